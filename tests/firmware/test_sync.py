"""gun.sync in the real MicroPython (110 KB heap) against a real Mosquitto
(server.gunlink.broker) and a fake server (sync_server.FakeServer, the `env`
fixture in conftest) written with paho-mqtt that commits events
idempotently by (device, ep, seq) and acks after the commit.
Scripts: tests/firmware/mp/sync_*.py, the gun itself in sync_rig."""
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import script  # noqa: E402
from mp_run import MPProcess  # noqa: E402
from sync_server import FakeServer  # noqa: E402

from server.gunlink.broker import Broker, mosquitto_binary  # noqa: E402
from shared import wire  # noqa: E402
from tools.flash import firmware_version  # noqa: E402

mosquitto_binary()      # tools/test.sh installs it: fail loudly if missing


def _touch(tmp_path, name):
    (tmp_path / name).write_text("")


def _state(line):
    tag, ep, upto, nxt, pending = line.split()
    return int(ep), int(upto), int(nxt), int(pending)


def _wait(cond, timeout=20):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_sync_end_to_end(tmp_path, env):
    broker, server = env

    def snap(o, rev):
        return json.dumps(wire.snapshot(o, rev, "placed", "C", [], [], []))

    server.publish("pickgun/order/50", snap(50, 5), retain=True)
    server.hold_orders([50, 51, 52, 53])
    args = [str(tmp_path / "data"), str(broker.port), str(tmp_path)]
    gun = MPProcess(tmp_path, script("sync_end_to_end"), args=args + ["crash"])
    try:
        gun.expect("ONLINE")
        assert gun.expect("SNAP") == "SNAP 50"     # retained snapshot cached
        ep, upto, nxt, pending = _state(gun.expect("DRAINED1"))
        assert (upto, nxt, pending) == (5, 6, 0)

        # broker goes away: scans pile up, then all go when it is back
        broker.stop()
        _touch(tmp_path, "broker_down")
        assert _state(gun.expect("PENDING"))[3] == 5
        time.sleep(1.0)                             # a few failed reconnects
        broker.start()
        assert _state(gun.expect("DRAINED2"))[1:] == (10, 11, 0)

        # server holds its acks: the gun resends after resend_ms; junk acks
        # and stale or malformed snapshots change nothing
        server.hold = True
        _touch(tmp_path, "held")
        gun.expect("SENT_HELD")
        acks = gun.expect("ACKS").split()[1]
        _wait(lambda: sum(1 for a in server.arrivals if a[2] == 13) >= 2, 15)
        good = wire.encode(wire.ack(ep, 10, [], since=10))
        for payload in (wire.encode(wire.ack(ep + 1, 999, [])),  # other epoch
                        wire.encode(wire.ack(ep, 7, [], since=5)),  # stale
                        good, good,                              # duplicates
                        b"{not json", b'{"v": 1, "ep": "x"}', b""):
            server.publish("pickgun/dev/G01/ack", payload)
        server.publish("pickgun/order/50", snap(50, 3), retain=True)  # stale
        server.publish("pickgun/order/51",                        # malformed
                       b'{"v": 1, "o": 51, "rev": "x"}')
        server.publish("pickgun/order/51", b"\xff\x00garbage")
        server.publish("pickgun/order/53", snap(54, 9))  # topic != payload's
        server.publish("pickgun/order/52", snap(52, 1))        # marker
        _touch(tmp_path, "junk_sent")
        line = gun.expect("AFTERJUNK").split()
        assert line[1:] == ["3", "10", "14", "5", "True", acks, "online"], line
        server.release()
        _touch(tmp_path, "release")
        assert _state(gun.expect("DRAINED3"))[1:] == (13, 14, 0)

        # wifi drop
        _touch(tmp_path, "wifi_off")
        assert _state(gun.expect("WIFI_PENDING"))[3] == 2
        (tmp_path / "wifi_off").unlink()
        assert _state(gun.expect("DRAINED4"))[1:] == (15, 16, 0)
        assert gun.expect("REJECTED") == "REJECTED [12]"   # reported once

        # power loss while offline with scans on flash, then a reboot
        broker.stop()
        _touch(tmp_path, "broker_down2")
        assert _state(gun.expect("CRASH_PENDING"))[3] == 2
        gun.kill()
        broker.start()
        gun2 = MPProcess(tmp_path, script("sync_end_to_end"),
                         args=args + ["reboot"])
        try:
            gun2.expect("ONLINE")
            ep2, upto2, nxt2, pending2 = _state(gun2.expect("DRAINED"))
            assert (ep2, upto2, nxt2, pending2) == (ep, 17, 18, 0)
            assert gun2.wait() == 0
        finally:
            gun2.kill()
    finally:
        gun.kill()

    # every scan committed exactly once, first arrivals in seq order
    done = server.committed[("G01", ep)]
    assert sorted(done) == list(range(1, 18))
    first = []
    for _dev, _ep, seq in server.arrivals:
        if seq not in first:
            first.append(seq)
    assert first == list(range(1, 18)), first
    assert len(server.arrivals) > 17          # resends happened, harmlessly


class StatusWatcher(FakeServer):
    """FakeServer that also records the gun's status messages."""

    def __init__(self, broker):
        self.statuses = []       # (monotonic time, pending)
        self.reported = set()    # (fw, board) of every online status
        super().__init__(broker)
        _wait(self.c.is_connected, 5)
        self.c.subscribe(wire.STATUS_FILTER, 1)   # after the evt one

    def on_message(self, c, u, m):
        if m.topic.endswith("/status"):
            obj = json.loads(m.payload)
            if obj.get("online"):
                self.statuses.append((time.monotonic(), obj["pending"]))
                self.reported.add((obj.get("fw"), obj.get("board")))
            return
        super().on_message(c, u, m)


def test_status_follows_pending_rate_limited(tmp_path):
    broker = Broker(tmp_path / "broker", devices={"G01": "pw-g01"},
                    worker_password="pw-worker")
    broker.start()
    server = StatusWatcher(broker)
    gun = MPProcess(tmp_path, script("sync_status"),
                    args=[str(tmp_path / "data"), str(broker.port),
                          str(tmp_path)])
    try:
        gun.expect("ONLINE")
        server.hold = True
        _touch(tmp_path, "held")
        gun.expect("SCANNED")
        _wait(lambda: server.statuses and server.statuses[-1][1] == 4, 5)
        burst = server.statuses[1:]
        assert [p for _, p in burst][0] >= 1 and burst[-1][1] == 4, burst
        gaps = [b[0] - a[0]
                for a, b in zip(burst[:-1], burst[1:], strict=True)]
        assert all(g > 1.5 for g in gaps), burst     # at most one per ~2 s
        released = time.monotonic()
        server.release()
        gun.expect("DRAINED")
        _wait(lambda: server.statuses[-1][1] == 0, 5)
        assert server.statuses[-1][0] - released < 1.0   # 0 is told at once
        assert gun.wait() == 0
        # every status names the firmware's version and the board
        assert server.reported == {(firmware_version(), "bench-rig")}
    finally:
        gun.kill()
        server.close()
        broker.stop()
