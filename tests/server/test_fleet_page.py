"""The fleet page (Scanner guns) shows the firmware version, the board and
the vitals (battery, with a warning when low, WiFi signal, memory,
uptime) each gun reports in its status, as the worker's ingest stores
them: a simulated gun as "Simulated", a gun whose firmware predates the
board field with the board its provisioning recorded."""
import re

import pytest

from server.gunlink.ingest import ingest_batch
from shared import wire
from server.fleet.provisioning import provision_device
from widths import WIDTHS


def report(db, device, **status):
    """What the worker does with a gun's retained status."""
    topic = wire.dev_topic(device, wire.STATUS)
    payload = status.pop("payload", None) or wire.encode(
        wire.status(True, **status))
    ingest_batch(db, [(topic, payload)])


def fleet(db):
    """A real gun, a simulated one and one whose firmware says neither its
    board (no such field then) nor its version ("fw": "", as it sent)."""
    provision_device(db, "G03", name="Returns desk", board="esp32_gm65")
    report(db, "G01", fw="0.1.0", pending=2, ep=5, upto=9,
           board="esp32_gm65")
    report(db, "G02", fw="0.1.0", board="simulated")
    report(db, "G03", payload=wire.encode(
        {"v": 1, "online": True, "fw": "", "pending": 0, "ep": 3,
         "upto": 0}))


def cells(html, device):
    """The text of each cell of a gun's row."""
    row = re.search(r'<tr>\s*<td class="mono">%s</td>(.*?)</tr>' % device,
                    html, re.S).group(1)
    return [re.sub(r"<[^>]+>|\s+", " ", c).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_fleet_page_shows_the_reported_firmware_and_board(client, demo):
    fleet(demo)
    html = client.get("/devices/").get_data(as_text=True)
    head = [re.sub(r"<[^>]+>", "", h) for h in re.findall(
        r"<th[^>]*>(.*?)</th>", html)]
    firmware, board = head.index("Firmware") - 1, head.index("Board") - 1
    g01, g02, g03 = (cells(html, d) for d in ("G01", "G02", "G03"))
    assert (g01[firmware], g01[board]) == ("0.1.0", "esp32_gm65")
    assert (g02[firmware], g02[board]) == ("0.1.0", "Simulated")
    # an older gun: no version to show, the provisioned board kept
    assert (g03[firmware], g03[board]) == ("not reported", "esp32_gm65")
    assert "Online" in g01[1] and g01[3] == "2"

    api = {d["id"]: d for d in client.get("/api/devices").get_json()[
        "devices"]}
    assert (api["G02"]["fw"], api["G02"]["board"], api["G02"]["simulated"]) \
        == ("0.1.0", "simulated", True)
    assert api["G01"]["simulated"] is False
    assert api["G03"]["board"] == "esp32_gm65" and api["G03"]["fw"] == ""


def test_a_later_status_replaces_the_board_a_missing_one_keeps_it(demo):
    provision_device(demo, "G05", board="esp32_gm65")
    report(demo, "G05", fw="0.1.0", board="simulated")
    assert demo["devices"].get("G05")["board"] == "simulated"
    report(demo, "G05", fw="0.2.0")                 # flashed back: no field
    row = demo["devices"].get("G05")
    assert (row["fw"], row["board"]) == ("0.2.0", "simulated")
    report(demo, "G05", fw="0.2.0", board="")       # says nothing either
    assert demo["devices"].get("G05")["board"] == "simulated"
    # the last will changes neither
    ingest_batch(demo, [(wire.dev_topic("G05", wire.STATUS),
                         wire.encode(wire.status(False)))])
    row = demo["devices"].get("G05")
    assert (row["online"], row["fw"], row["board"]) == (0, "0.2.0",
                                                       "simulated")


def vitals_fleet(db):
    """G01 with every vital, its battery low; G02 with some; G03 whose
    firmware says none; G04 provisioned, never seen."""
    report(db, "G01", fw="0.1.0", board="esp32_gm65",
           vitals=(3412, -71, 41000, 12288, 3 * 86400 + 4 * 3600))
    report(db, "G02", fw="0.1.0", board="simulated",
           vitals=(3980, -55, 52224, None, 754))
    report(db, "G03", fw="0.1.0", board="esp32_gm65")
    provision_device(db, "G04", board="esp32_gm65")


def test_fleet_page_shows_vitals_and_warns_of_a_low_battery(client, demo):
    vitals_fleet(demo)
    html = client.get("/devices/").get_data(as_text=True)
    head = [re.sub(r"<[^>]+>", "", h) for h in re.findall(
        r"<th[^>]*>(.*?)</th>", html)]
    health, firmware = head.index("Health") - 1, head.index("Firmware") - 1
    g01, g02, g03, g04 = ([" ".join(c.split()) for c in cells(html, d)]
                          for d in ("G01", "G02", "G03", "G04"))
    assert g01[health] == ("3.41 V Low battery WiFi -71 dBm 40 KB free, "
                           "block 12 KB up 3 d 4 h")
    assert g02[health] == "3.98 V WiFi -55 dBm 51 KB free up 12 min"
    assert "Low battery" not in g02[health]
    assert g03[health] == "nothing reported"
    assert (g04[firmware], g04[health]) == ("not seen yet",
                                            "nothing reported")
    api = {d["id"]: d for d in client.get("/api/devices").get_json()[
        "devices"]}
    assert (api["G01"]["bat_mv"], api["G01"]["low_battery"],
            api["G01"]["mem_block"], api["G01"]["uptime"]) == \
        (3412, True, 12288, 273600)
    assert (api["G02"]["low_battery"], api["G02"]["mem_block"]) == \
        (False, None)


def test_a_status_without_a_vital_forgets_the_old_value(demo):
    report(demo, "G01", fw="0.1.0", vitals=(3900, -60, 40000, 9000, 60))
    report(demo, "G01", fw="0.1.0", vitals=(None, None, 39000, None, 120))
    row = demo["devices"].get("G01")
    assert (row["bat_mv"], row["rssi"], row["mem_free"], row["mem_block"],
            row["uptime"]) == (None, None, 39000, None, 120)
    ingest_batch(demo, [(wire.dev_topic("G01", wire.STATUS),
                         wire.encode(wire.status(False)))])
    assert demo["devices"].get("G01")["mem_free"] == 39000  # last known


@pytest.mark.parametrize("key,value", [
    ("bat", 10 ** 30), ("bat", 3.7), ("bat", True), ("bat", "3700"),
    ("rssi", 5), ("rssi", -61.5), ("mem", -1), ("mem", [1]),
    ("blk", 2 ** 40), ("up", 2 ** 32), ("up", False), ("up", None)])
def test_hostile_vitals_store_nothing_and_say_why(demo, key, value):
    report(demo, "G01", fw="0.1.0", vitals=(3900, -60, 40000, 9000, 60))
    before = dict(demo["devices"].get("G01"))
    status = wire.status(True, "0.2.0", 0, 5, 0, "esp32_gm65")
    status[key] = value
    report(demo, "G01", payload=wire.encode(status))
    assert dict(demo["devices"].get("G01")) == before
    why = demo.execute("SELECT reason FROM malformed_messages WHERE "
                       "device_id = 'G01'").fetchone()[0]
    assert "field %s must be an integer" % key in why, why


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_fleet_page_in_a_browser(signed_in_page, live_server, demo,
                                 keep_screenshot, width):
    fleet(demo)
    report(demo, "G01", fw="0.1.0", pending=2, ep=5, upto=9,
           board="esp32_gm65", vitals=(3412, -71, 41000, 12288, 86400))
    page = signed_in_page(live_server, "admin", viewport=WIDTHS[width])
    page.goto(live_server + "/devices/")
    assert page.locator("h1").inner_text() == "Scanner guns"
    row = page.locator("tr", has=page.locator("td", has_text="G02"))
    assert row.get_by_text("Simulated", exact=True).is_visible()
    assert row.get_by_text("0.1.0", exact=True).is_visible()
    g01 = page.locator("tr", has=page.locator("td", has_text="G01"))
    assert g01.get_by_text("Low battery").is_visible()
    old = page.locator("tr", has=page.locator("td", has_text="G03"))
    assert old.get_by_text("not reported").is_visible()
    assert old.get_by_text("esp32_gm65").is_visible()
    keep_screenshot(page)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
