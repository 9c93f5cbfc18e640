"""The fleet page shows what a simulated gun reports about itself: the real
firmware under MicroPython publishes its status through the real Mosquitto,
the worker stores it, the web server shows it."""
import re
import time

from e2e_support import get
from server.core import db as dbmod
from tools.flash import firmware_version

TIMEOUT = 30


def device_row(stack, device):
    db = dbmod.connect(str(stack.db_path))
    try:
        return dict(db["devices"].get(device))
    finally:
        db.conn.close()


def wait_row(stack, device, check):
    deadline = time.monotonic() + TIMEOUT
    while True:
        row = device_row(stack, device)
        if check(row):
            return row
        assert time.monotonic() < deadline, row
        time.sleep(0.2)


def test_simulated_gun_on_the_fleet_page(stack):
    gun = stack.guns["G01"]
    gun.wait_for(lambda s: s["link"] == "online", TIMEOUT)
    # What an older database holds (the demo's seed, a gun whose firmware
    # sent no version): the gun's next status must replace it.
    db = dbmod.connect(str(stack.db_path))
    try:
        with dbmod.transaction(db):
            db.execute("UPDATE devices SET fw = '', board = 'esp32' "
                       "WHERE id = 'G01'")
    finally:
        db.conn.close()
    gun.wifi(False)                     # the link drops: the last will
    gun.wait_for(lambda s: s["link"] != "online", TIMEOUT)
    wait_row(stack, "G01", lambda r: r["online"] == 0)
    gun.wifi(True)                      # it connects again: a new status
    version = firmware_version()
    row = wait_row(stack, "G01", lambda r: r["online"] == 1
                   and r["fw"] == version)
    assert row["board"] == "simulated"

    html = get(stack, "/devices/")
    g01 = re.search(r'<td class="mono">G01</td>(.*?)</tr>', html, re.S)
    assert g01, html
    text = re.sub(r"<[^>]+>|\s+", " ", g01.group(1))
    assert version in text and "Simulated" in text and "esp32" not in text
    api = {d["id"]: d for d in get(stack, "/api/devices")["devices"]}
    assert (api["G01"]["fw"], api["G01"]["board"], api["G01"]["simulated"]) \
        == (version, "simulated", True)


def test_vitals_and_a_low_battery_on_the_fleet_page(stack):
    gun = stack.guns["G02"]
    gun.wait_for(lambda s: s["link"] == "online", TIMEOUT)
    gun.battery(3400)                   # the stand-in battery runs low
    gun.wifi(False)
    gun.wait_for(lambda s: s["link"] != "online", TIMEOUT)
    gun.wifi(True)                      # its next status says so
    row = wait_row(stack, "G02", lambda r: r["online"] == 1
                   and r["bat_mv"] == 3400)
    assert row["rssi"] == -55 and row["mem_free"] > 0
    assert row["uptime"] >= 0 and row["mem_block"] is None
    html = get(stack, "/devices/")
    g02 = re.search(r'<td class="mono">G02</td>(.*?)</tr>', html, re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", g02.group(1)).split())
    assert "3.40 V Low battery WiFi -55 dBm" in text, text
