"""gun.sync in the real MicroPython (110 KB heap) against a real Mosquitto
(server.gunlink.broker) and a fake server written with paho-mqtt that commits
events idempotently by (device, ep, seq) and acks after the commit."""
import json
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp_run import MPProcess  # noqa: E402

import paho.mqtt.client as paho
from server.gunlink.broker import Broker, mosquitto_binary  # noqa: E402
from server.gunlink.gun_payloads import check_event  # noqa: E402
from shared import wire  # noqa: E402
from tools.flash import firmware_version  # noqa: E402

mosquitto_binary()      # tools/test.sh installs it: fail loudly if missing


class FakeServer:
    """Commits each event once, then publishes a cumulative ack (QoS 1)
    by the server's ack rule: rej lists every rejected event with
    since < seq <= upto, since being at most the upto told before and
    below the event just received.  Rejects bottle codes containing BAD."""

    def __init__(self, broker):
        self.lock = threading.Lock()
        self.committed = {}      # (dev, ep) -> {seq: event}
        self.arrivals = []       # (dev, ep, seq) in arrival order
        self.rejected = {}       # (dev, ep) -> {seq: rej}
        self.acked = {}          # (dev, ep) -> upto told
        self.low = {}            # (dev, ep) -> lowest seq received, held
        self.hold = False
        self.c = paho.Client(paho.CallbackAPIVersion.VERSION2,
                             client_id=broker.worker_user, clean_session=False)
        self.c.username_pw_set(broker.worker_user, broker.worker_password)
        self.c.on_connect = lambda c, u, f, rc, p: c.subscribe(wire.EVT_FILTER, 1)
        self.c.on_message = self.on_message
        self.c.reconnect_delay_set(0.1, 0.5)
        self.c.connect(broker.host, broker.port)
        self.c.loop_start()

    def on_message(self, c, u, m):
        kind, dev = wire.parse_topic(m.topic)
        ev = check_event(wire.decode(m.payload))
        key = (dev, ev["ep"])
        with self.lock:
            self.arrivals.append((dev, ev["ep"], ev["seq"]))
            done = self.committed.setdefault(key, {})
            if ev["seq"] not in done:
                done[ev["seq"]] = ev
                if "BAD" in ev.get("c", ""):
                    self.rejected.setdefault(key, {})[ev["seq"]] = {
                        "seq": ev["seq"], "why": "unknown_bottle",
                        "o": ev["o"], "c": ev["c"]}
            self.low[key] = min(self.low.get(key, ev["seq"]), ev["seq"])
            if not self.hold:
                self._ack(key)

    def _ack(self, key):
        done = self.committed.get(key, {})
        told = self.acked.get(key, 0)
        since = min(told, self.low.pop(key, told + 1) - 1)
        upto = since
        while upto + 1 in done:
            upto += 1
        rej = [r for s, r in sorted(self.rejected.get(key, {}).items())
               if since < s <= upto]
        self.acked[key] = max(told, upto)
        self.c.publish(wire.dev_topic(key[0], wire.ACK),
                       wire.encode(wire.ack(key[1], upto, rej, since=since)),
                       qos=1)

    def release(self):
        with self.lock:
            self.hold = False
            for key in list(self.committed):
                self._ack(key)

    def publish(self, topic, payload, retain=False):
        self.c.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


# The end of a gun script: the session runs beside the script's driver(),
# which ends it.
RUN_DRIVER = r"""
async def main():
    t = asyncio.create_task(sync.run())
    await driver()
    await asyncio.sleep_ms(100)
    t.cancel()

asyncio.run(main())
"""


GUN = r"""
RX = bytearray(8192)       # big buffers first, as main.py does
import gun.mqtt            # then the largest module, while most heap is free
import sys, os, asyncio, time
from time import ticks_ms, ticks_diff
from shared import wire
from gun.journal import Journal
from gun.store import OrderStore
from gun.sync import Sync

DATA, PORT, WORK = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Board:
    NAME = "bench-rig"
    DATA_DIR = DATA
    def wifi_up(self):
        return not exists("wifi_off")
    async def open_connection(self, host, port, ssl=None):
        if not self.wifi_up():
            raise OSError(113)
        return await asyncio.open_connection(host, port)
    def clock(self):
        return int(time.time())
    def ticks_ms(self):
        return ticks_ms()


class Listener:
    def __init__(self):
        self.acked = 0
        self.rejected = []
        self.snaps = []
    def on_acked(self, rejected):
        self.acked += 1
        self.rejected.extend(rejected)
        for r in rejected:
            print("REJ", r["seq"], r["why"])
    def on_snapshot(self, order_id):
        self.snaps.append(order_id)
        print("SNAP", order_id)
    def on_link(self, state):
        print("LINK", state)


def exists(name):
    try:
        os.stat(WORK + "/" + name)
        return True
    except OSError:
        return False


async def until(label, cond, ms=30000):
    t = ticks_ms()
    while not cond():
        if ticks_diff(ticks_ms(), t) > ms:
            print("FAIL timeout", label, j.pending_count(), sync.link, repr(sync.last_error))
            sys.exit(1)
        await asyncio.sleep_ms(20)


board = Board()
j = Journal(DATA + "/journal", capacity=50)
store = OrderStore(DATA)
listener = Listener()
cfg = {"id": "G01", "password": "pw-g01", "broker": "127.0.0.1", "port": PORT,
       "fw": "test", "keepalive": 5, "window": 3, "resend_ms": 1500,
       "backoff_ms": 100, "backoff_max_ms": 800}
sync = Sync(board, cfg, j, store, listener, rxbuf=RX)
n = [0]


def scan(code=None):
    n[0] += 1
    seq = j.append("pick", 1042, board.clock(), code=code or "PGB:B%d:CBD-OIL-30:L1:Q" % n[0])
    sync.kick()
    return seq


def state(tag):
    print(tag, j.ep, j.upto, j.next_seq, j.pending_count())


async def driver():
    mode = sys.argv[4]
    await until("online", lambda: sync.link == "online")
    print("ONLINE")
    if mode == "reboot":
        await until("drained", lambda: j.pending_count() == 0)
        state("DRAINED")
        await sync.stop()
        return
    for _ in range(5):
        scan()
        await asyncio.sleep_ms(30)
    await until("drained1", lambda: j.pending_count() == 0)
    state("DRAINED1")

    await until("broker down", lambda: exists("broker_down"))
    await until("offline", lambda: sync.link != "online")
    for _ in range(5):
        scan()
    state("PENDING")
    await until("drained2", lambda: j.pending_count() == 0, 60000)
    state("DRAINED2")

    await until("held", lambda: exists("held"))
    scan()
    scan("PGB:BAD1:CBD-OIL-30:L1:Q")
    scan()
    state("SENT_HELD")
    print("ACKS", listener.acked)
    await until("junk", lambda: exists("junk_sent"))
    await until("marker", lambda: store.get(52) is not None)
    print("AFTERJUNK", j.pending_count(), j.upto, j.next_seq, store.rev(50),
          store.get(51) is None, listener.acked, sync.link)
    await until("released", lambda: exists("release"))
    await until("drained3", lambda: j.pending_count() == 0)
    state("DRAINED3")

    await until("wifi off", lambda: exists("wifi_off"))
    await until("offline", lambda: sync.link == "offline")
    scan()
    scan()
    state("WIFI_PENDING")
    await until("wifi on", lambda: not exists("wifi_off"))
    await until("drained4", lambda: j.pending_count() == 0)
    state("DRAINED4")
    print("REJECTED", [r["seq"] for r in listener.rejected])
    if mode == "crash":
        await until("offline again", lambda: exists("broker_down2"))
        await until("offline", lambda: sync.link != "online")
        scan()
        scan()
        state("CRASH_PENDING")
        await asyncio.sleep(60)      # the test kills the process here
    await sync.stop()
    print("DONE")

""" + RUN_DRIVER


@pytest.fixture
def env(tmp_path):
    """A started broker and a FakeServer on it: (broker, server)."""
    b = Broker(tmp_path / "broker", devices={"G01": "pw-g01"},
               worker_password="pw-worker")
    b.start()
    server = FakeServer(b)
    yield b, server
    server.close()
    b.stop()


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
    snap = lambda o, rev, **kw: json.dumps(wire.snapshot(o, rev, "placed", "C", [], [], []))  # noqa: E731
    server.publish("pickgun/order/50", snap(50, 5), retain=True)
    gun = MPProcess(tmp_path, GUN, args=[str(tmp_path / "data"), str(broker.port),
                                         str(tmp_path), "crash"])
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
        for payload in (wire.encode(wire.ack(ep + 1, 999, [])),    # other epoch
                        wire.encode(wire.ack(ep, 7, [], since=5)),  # stale
                        good, good,                                # duplicates
                        b"{not json", b'{"v": 1, "ep": "x"}', b""):
            server.publish("pickgun/dev/G01/ack", payload)
        server.publish("pickgun/order/50", snap(50, 3), retain=True)        # stale
        server.publish("pickgun/order/51", b'{"v": 1, "o": 51, "rev": "x"}')  # malformed
        server.publish("pickgun/order/51", b"\xff\x00garbage")
        server.publish("pickgun/order/53", snap(54, 9))        # topic/payload mismatch
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
        gun2 = MPProcess(tmp_path, GUN, args=[str(tmp_path / "data"), str(broker.port),
                                              str(tmp_path), "reboot"], name="gun2.py")
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
    for dev, e, seq in server.arrivals:
        if seq not in first:
            first.append(seq)
    assert first == list(range(1, 18)), first
    assert len(server.arrivals) > 17          # resends happened, harmlessly


STATUS_DRIVER = r"""
async def driver():
    await until("online", lambda: sync.link == "online")
    print("ONLINE")
    await until("held", lambda: exists("held"))
    await asyncio.sleep_ms(2200)          # clear of the status sent at connect
    for _ in range(4):
        scan()
        await asyncio.sleep_ms(150)
    print("SCANNED")
    await until("drained", lambda: j.pending_count() == 0)
    print("DRAINED")
    await asyncio.sleep_ms(500)
    await sync.stop()


async def main():
    t = asyncio.create_task(sync.run())
    await driver()
    t.cancel()

asyncio.run(main())
"""


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
    script = GUN[:GUN.index("async def driver")] + STATUS_DRIVER
    gun = MPProcess(tmp_path, script, args=[str(tmp_path / "data"),
                                            str(broker.port), str(tmp_path), "-"])
    try:
        gun.expect("ONLINE")
        server.hold = True
        _touch(tmp_path, "held")
        gun.expect("SCANNED")
        _wait(lambda: server.statuses and server.statuses[-1][1] == 4, 5)
        burst = server.statuses[1:]
        assert [p for _, p in burst][0] >= 1 and burst[-1][1] == 4, burst
        gaps = [b[0] - a[0] for a, b in zip(burst, burst[1:])]
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
