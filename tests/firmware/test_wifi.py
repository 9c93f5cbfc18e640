"""WiFi: the host board's radio models network.WLAN (statuses, the time
an association takes), main.py's WiFi task connects by the station's
status, the idle screen names what is wrong, and the broker's name is
resolved once (a DNS query blocks the event loop), again only after a
failed connection."""
import json
import re
import sys

from mp import REPO, check, script
from test_link_reason import shown

sys.path.insert(0, str(REPO))
from server.gunlink.broker import free_port  # noqa: E402
from shared import wire  # noqa: E402
from tools.simulate import CODE_ALLOWANCE_K, SimulatedGun  # noqa: E402

FAST = {"backoff_ms": 200, "backoff_max_ms": 400}


def host_env(tmp_path, **host):
    (tmp_path / "config.json").write_text(json.dumps(
        {"id": "G01", "password": "pw", "broker": "127.0.0.1", "ssid": "sim",
         "host": dict({"uart": 1, "panel": 2}, **host)}))
    return {"PICKGUN_BOARD": "host", "PICKGUN_HOST_DIR": str(tmp_path)}


def test_radio_statuses_as_network_wlan(tmp_path):
    out = check(script("wifi_radio"), env=host_env(tmp_path))
    assert out.splitlines() == [
        "idle [1000]",
        "join [1001, 1010]",
        "drop [1001, 201] False",       # beacon lost, then no AP found
        "back [201, 1010] 1",           # joined by itself: no connect()
        "password [1001, 202]",
        "no ap [1001, 201]",
        "again [1001] [1001, 1010]"]    # started over: 200 ms from then


def test_wifi_task_connects_by_the_station_status(tmp_path):
    # main.py from source: its code in the heap, as SimulatedGun runs it
    # (on a gun it runs from flash, ROMFS, outside the heap).
    out = check(script("wifi_task"), env=host_env(tmp_path),
                heapsize="%dk" % (110 + CODE_ALLOWANCE_K))
    lines = [ln for ln in out.splitlines()        # (no NTP server here)
             if not ln.startswith("pickgun: ntp failed")]
    # The old task called connect() every 10 s: 15 times in this
    # association, which it would start over each time.
    assert lines[:2] == ["slow 1001 1", "joined True 1"], lines
    assert lines[2].startswith("failing 201 True"), lines
    assert lines[3:] == [
        "back True",
        "pickgun: wifi: no ssid in config.json: provision the gun with "
        "--ssid",
        "no ssid: task idle True True"], lines


def test_idle_screen_names_the_wifi_problem(tmp_path):
    cfg = dict(FAST, wifi_password="guess")
    with SimulatedGun(tmp_path / "w", "G01", "pw", "127.0.0.1", free_port(),
                      extra_config=cfg) as gun:
        _ap(gun, "simulated", "right")
        shown(gun, "WiFi: wrong pass")
    with SimulatedGun(tmp_path / "n", "G01", "pw", "127.0.0.1", free_port(),
                      extra_config=dict(FAST, ssid="")) as gun:
        shown(gun, "WiFi: no ssid")
        # picking goes on offline
        st = gun.scan(wire.order_code(1042))
        assert st["reason"] == "unknown_order"
        assert "no ssid in config.json" in gun.log_path.read_text()


def _ap(gun, ssid, password):
    """Give the harness's access point another name or password (the gun
    reads config.json at boot: power it off and on)."""
    gun.power_cut()
    path = gun.workdir / "config.json"
    cfg = json.loads(path.read_text())
    cfg["host"]["ap"] = [ssid, password]
    path.write_text(json.dumps(cfg))
    gun.power_on()


def test_broker_name_resolved_once_then_after_failures(tmp_path, env):
    broker, _server = env
    with SimulatedGun(tmp_path / "g", "G01", "pw-g01", "localhost",
                      broker.port, extra_config=FAST) as gun:
        gun.wait_for(lambda s: s["link"] == "online", 20)
        gun.wifi(False)
        gun.wait_for(lambda s: s["link"] == "offline", 20)
        gun.wifi(True)
        gun.wait_for(lambda s: s["link"] == "online", 20)
        log = gun.log_path.read_text()
    assert re.findall(r"pickgun: broker localhost at (\S+)", log) == [
        "127.0.0.1"], log
    # Nothing listens: every failed connection asks DNS again.
    with SimulatedGun(tmp_path / "h", "G01", "pw", "localhost", free_port(),
                      extra_config=FAST) as gun:
        shown(gun, "Broker: no reply")
        gun.wait_for(lambda s: gun.log_path.read_text().count(
            "pickgun: broker localhost at") >= 3, 20)
