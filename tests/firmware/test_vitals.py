"""The gun's vitals in its status: battery (the host board's stand-in,
set from the harness), WiFi RSSI, free heap and uptime, through the real
firmware, broker and status message (shared/wire.py status())."""
import json
import sys
import time

from mp import REPO

sys.path.insert(0, str(REPO))
from server.gunlink.broker import Broker  # noqa: E402
from shared import wire  # noqa: E402
from sync_server import FakeServer  # noqa: E402
from tools.simulate import SimulatedGun  # noqa: E402

FAST = {"backoff_ms": 200, "backoff_max_ms": 400}


class StatusLog(FakeServer):
    """FakeServer that also keeps every online status the gun sends."""

    def __init__(self, broker):
        self.statuses = []
        super().__init__(broker)
        deadline = time.monotonic() + 5
        while not self.c.is_connected():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        self.c.subscribe(wire.STATUS_FILTER, 1)

    def on_message(self, c, u, m):
        if m.topic.endswith("/status"):
            obj = json.loads(m.payload)
            if obj.get("online"):
                self.statuses.append(obj)
            return
        super().on_message(c, u, m)


def latest(log, check, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        for obj in reversed(log.statuses):
            if check(obj):
                return obj
        assert time.monotonic() < deadline, log.statuses[-3:]
        time.sleep(0.1)


def test_status_carries_the_vitals(tmp_path):
    broker = Broker(tmp_path / "broker", devices={"G01": "pw-g01"},
                    worker_password="pw-worker")
    broker.start()
    log = StatusLog(broker)
    try:
        with SimulatedGun(tmp_path / "g", "G01", "pw-g01", "127.0.0.1",
                          broker.port, extra_config=FAST) as gun:
            gun.wait_for(lambda s: s["link"] == "online", 20)
            first = latest(log, lambda o: "bat" in o)
            assert (first["bat"], first["rssi"]) == (3900, -55), first
            assert 0 < first["mem"] < 400 * 1024 and first["up"] >= 0
            assert "blk" not in first       # no internal RAM on the host
            gun.battery(3400)
            gun.wifi(False)
            gun.wait_for(lambda s: s["link"] != "online", 20)
            gun.wifi(True)                  # a new session: a new status
            again = latest(log, lambda o: o.get("bat") == 3400)
            assert again["up"] >= first["up"]
    finally:
        log.close()
        broker.stop()


def test_diagnostics_screen(tmp_path, sntp):
    """OK on the idle screen: what a technician checks on a gun; OK reads
    it again, BACK leaves."""
    from server.gunlink.broker import free_port
    from tools.flash import firmware_version
    with SimulatedGun(tmp_path / "g", "G01", "pw", "127.0.0.1", free_port(),
                      extra_config=dict(FAST, ntp_port=sntp.port)) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        st = gun.press("OK")
        assert st["screen"] == "diag", st
        rows = gun.rows
        assert rows[1] == "FW " + firmware_version(), rows
        assert rows[2].startswith("Heap ") and rows[2].endswith("K free")
        assert rows[3] == "Block n/a" and rows[4] == "Bat 3.90V", rows
        assert rows[7].startswith("Up 0d 00h 0"), rows
        gun.battery(3400)
        deadline = time.monotonic() + 20
        while not (gun.rows[4] == "Bat 3.40V LOW" and
                   gun.rows[6].startswith("UTC ")):
            assert time.monotonic() < deadline, gun.rows   # (NTP: a while)
            gun.press("OK")             # read again
            time.sleep(0.3)
        assert gun.rows[5] == "WiFi -55dBm", gun.rows
        assert gun.state()["screen"] == "diag"
        st = gun.press("BACK")
        assert st["screen"] == "idle"
