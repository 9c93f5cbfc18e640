"""The orders a gun holds, and orders on demand (docs/protocol.md §3), in
the real MicroPython: the hold list's side of the order store and of the
sync session fed hostile messages with no broker (mp/hold_offline.py);
then against a real Mosquitto, the gun subscribing to exactly the orders
its hold list names (mp/sync_hold.py, on sync_rig), and the app asking
for an order it lacks (mp/sync_get.py)."""
import json
import re
import sys
import time
from pathlib import Path

import paho.mqtt.client as paho

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import check, script  # noqa: E402
from mp_run import MPProcess  # noqa: E402
from sync_server import FakeServer  # noqa: E402
from test_sync import _touch, _wait  # noqa: E402

from server.gunlink.broker import Broker, mosquitto_binary  # noqa: E402
from shared import wire  # noqa: E402
from tools.simulate import MPY_CODE_ALLOWANCE_K  # noqa: E402

mosquitto_binary()


def _enc(obj):
    return obj if isinstance(obj, bytes) else json.dumps(obj).encode()


def _write(path, payloads):
    with open(path, "wb") as f:
        for p in payloads:
            p = _enc(p)
            assert len(p) <= 8192               # the gun's receive buffer
            f.write(len(p).to_bytes(2, "little") + p)


def _hold(o, **kw):
    return dict({"v": 1, "o": o}, **kw)


HOSTILE_HOLDS = [
    _hold({"1": 2}), _hold("1,2"), _hold(7), _hold(None), {"v": 1},
    _hold(list(range(1, 42))),                  # 41 orders
    _hold([1, 2, 1]), _hold([True]), _hold([1, False]), _hold([1.0]),
    _hold([10 ** 9]), _hold([2 ** 64]), _hold([-1]), _hold([0]),
    _hold(["1"]), _hold([[1]]), _hold([None]), _hold([{"o": 1}]),
    _hold([1], v=2), _hold([1], v=True), [1, 2], b"null", b"[]", b"{",
    b"\xff\xfe\x00", b"x" * 8000, b" " * 100 + b"{" * 3000,
]

_SNAP = wire.snapshot(42, 1, "placed", "C", [], [], [])
HOSTILE_ANSWERS = [
    {"v": 1, "o": 42, "no": 5}, {"v": 1, "o": True, "no": "x"},
    {"v": 1, "o": 0, "no": "x"}, {"v": 1, "o": 10 ** 12, "no": "x"},
    {"v": 1, "o": "42", "no": "x"}, {"v": 1, "no": "unknown_order"},
    {"v": 1, "o": 42, "no": ""}, {"v": 1, "o": 42, "no": "BAD!"},
    {"v": 1, "o": 42, "no": "x" * 33}, {"v": 1, "o": 42, "no": None},
    {"v": 2, "o": 42, "no": "unknown_order"},
    dict(_SNAP, rev="2"), dict(_SNAP, pick=True, st="shipped"),
    dict(_SNAP, rev=True), {k: v for k, v in _SNAP.items() if k != "st"},
    [1], b"null", b"{", b"\xff", b"x" * 8000,
]


def test_hostile_hold_lists_and_answers_change_nothing(tmp_path):
    # The contract's own checks refuse every one of them, as the gun does.
    for payload in HOSTILE_HOLDS + HOSTILE_ANSWERS:
        try:
            obj = wire.decode(_enc(payload))
            if payload in HOSTILE_HOLDS:
                wire.check_hold(obj)
            else:
                wire.check_answer(obj)
        except wire.WireError:
            continue
        raise AssertionError("accepted: %r" % payload)
    _write(tmp_path / "hold.bin", HOSTILE_HOLDS)
    _write(tmp_path / "answer.bin", HOSTILE_ANSWERS)
    out = check(script("hold_offline"), cwd=str(tmp_path))
    assert "REFUSED %d %d" % (len(HOSTILE_HOLDS), len(HOSTILE_ANSWERS)) \
        in out and out.strip().endswith("OK"), out


class Watcher(FakeServer):
    """FakeServer that also records the "held" of the gun's statuses."""

    def __init__(self, broker):
        self.held = []
        super().__init__(broker)
        _wait(self.c.is_connected, 5)
        self.c.subscribe(wire.STATUS_FILTER, 1)

    def on_message(self, c, u, m):
        if m.topic.endswith("/status"):
            obj = json.loads(m.payload)
            if obj.get("online"):
                self.held.append(obj.get("held"))
            return
        super().on_message(c, u, m)


def _state(gun, want, timeout=20):
    """Wait for the STATE line `want` (the lines before it are dropped)."""
    deadline = time.monotonic() + timeout
    while True:
        line = gun.expect("STATE", max(0.1, deadline - time.monotonic()))
        if line == want:
            return


def _fields(line):
    """A STATE line's cached orders, hold list, held count and revs."""
    return [json.loads(f)
            for f in re.findall(r"\[[^\]]*\]|\d+", line[len("STATE"):])]


def _snap(o, rev=1):
    return json.dumps(wire.snapshot(o, rev, "placed", "C", [], [], []))


def test_the_gun_holds_exactly_the_orders_its_hold_list_names(tmp_path):
    broker = Broker(tmp_path / "broker", devices={"G01": "pw-g01"},
                    worker_password="pw-worker")
    broker.start()
    server = Watcher(broker)
    for o in range(1, 61):
        server.publish(wire.order_topic(o), _snap(o), retain=True)
    server.hold_orders([1, 7, 20, 33, 60])
    args = [str(tmp_path / "data"), str(broker.port), str(tmp_path)]
    gun = MPProcess(tmp_path, script("sync_hold"), args=args)
    try:
        assert gun.expect("BOOT") == "BOOT []"
        _state(gun, "STATE [1, 7, 20, 33, 60] [1, 7, 20, 33, 60] 5 "
               "[1, 1, 1, 1, 1]")
        _wait(lambda: server.held and server.held[-1] == 5, 10)
        # A new list: one kept, two new, the rest dropped (and their
        # snapshots with them); a dropped order's news no longer comes.
        server.hold_orders([7, 2, 3])
        _state(gun, "STATE [2, 3, 7] [7, 2, 3] 3 [1, 1, 1]")
        _wait(lambda: server.held[-1] == 3, 10)     # told, in its time
        server.publish(wire.order_topic(1), _snap(1, 2), retain=True)
        server.publish(wire.order_topic(7), _snap(7, 2), retain=True)
        server.publish(wire.order_topic(5), _snap(5, 2), retain=True)
        server.publish(wire.order_topic(2), _snap(2, 2), retain=True)
        _state(gun, "STATE [2, 3, 7] [7, 2, 3] 3 [2, 1, 2]")
        time.sleep(0.3)
        _touch(tmp_path, "stop")
        assert gun.wait() == 0
        lines = [x for x in gun.lines if x.startswith("STATE")]
        assert lines[-1] == "STATE [2, 3, 7] [7, 2, 3] 3 [2, 1, 2]", lines
    finally:
        gun.kill()
    (tmp_path / "stop").unlink()

    # Rebooted: the list is on flash before any connection; the session
    # is resumed, the held orders subscribed to again.
    gun = MPProcess(tmp_path, script("sync_hold"), args=args)
    try:
        assert gun.expect("BOOT") == "BOOT [7, 2, 3]"
        assert gun.expect("ONLINE") == "ONLINE True"
        _state(gun, "STATE [2, 3, 7] [7, 2, 3] 3 [2, 1, 2]")
        server.hold_orders(None)                # hold nothing
        # (what the subscriptions made at boot bring may still be cached,
        # held no more)
        line = gun.expect("STATE")
        while " [] 0 " not in line:
            line = gun.expect("STATE")
        server.publish(wire.order_topic(2), _snap(2, 3), retain=True)
        time.sleep(0.5)
        _touch(tmp_path, "stop")
        assert gun.wait() == 0
        lines = [x for x in gun.lines if x.startswith("STATE")]
        ids, hold, held, revs = _fields(lines[-1])
        assert (hold, held) == ([], 0) and 3 not in revs, lines
    finally:
        gun.kill()
        server.close()
        broker.stop()


def test_a_resumed_session_unsubscribes_from_every_order(tmp_path, env):
    # The session as firmware before the hold list left it: subscribed
    # to every order's snapshot.
    broker, server = env
    server.publish(wire.order_topic(1), _snap(1), retain=True)
    old = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="G01",
                      clean_session=False)
    old.username_pw_set("G01", "pw-g01")
    old.connect(broker.host, broker.port)
    old.loop_start()
    _wait(old.is_connected, 5)
    old.subscribe(wire.ORDER_FILTER, 1)
    time.sleep(0.3)
    old.disconnect()
    old.loop_stop()
    server.hold_orders([2])
    server.publish(wire.order_topic(2), _snap(2), retain=True)
    args = [str(tmp_path / "data"), str(broker.port), str(tmp_path)]
    gun = MPProcess(tmp_path, script("sync_hold"), args=args)
    try:
        assert gun.expect("ONLINE") == "ONLINE True"
        _state(gun, "STATE [2] [2] 1 [1]")
        # nothing for order 1 any more, retained or new
        server.publish(wire.order_topic(1), _snap(1, 2), retain=True)
        server.publish(wire.order_topic(2), _snap(2, 2), retain=True)
        _state(gun, "STATE [2] [2] 1 [2]")
        time.sleep(0.3)
        _touch(tmp_path, "stop")
        assert gun.wait() == 0
    finally:
        gun.kill()
    states = [x for x in gun.lines if x.startswith("STATE")]
    assert states[-1] == "STATE [2] [2] 1 [2]", states


class Answers(FakeServer):
    """FakeServer that answers gets: the snapshot of order 70, no such
    order 71, and nothing at all for any other."""

    def __init__(self, broker):
        self.gets = []
        super().__init__(broker)
        _wait(self.c.is_connected, 5)
        self.c.subscribe(wire.GET_FILTER, 1)

    def on_message(self, c, u, m):
        if not m.topic.endswith("/get"):
            return super().on_message(c, u, m)
        o = wire.check_get(wire.decode(m.payload))
        self.gets.append(o)
        dev = wire.parse_topic(m.topic)[1]
        answer = {70: wire.snapshot(70, 4, "placed", "Jane R.", [
            {"sku": "CBD-OIL-30", "qty": 1, "got": 0}], [], []),
            71: wire.no_order(71)}.get(o)
        if answer is not None:
            c.publish(wire.dev_topic(dev, wire.ANSWER), wire.encode(answer),
                      qos=1)


def test_an_order_the_gun_lacks_is_asked_for(tmp_path):
    broker = Broker(tmp_path / "broker", devices={"G01": "pw-g01"},
                    worker_password="pw-worker")
    broker.start()
    server = Answers(broker)
    # the app's code in the heap too, as the other app tests have it
    gun = MPProcess(tmp_path, script("sync_get"),
                    heap="%dk" % (110 + MPY_CODE_ALLOWANCE_K), args=[
        str(tmp_path / "data"), str(broker.port), str(tmp_path)])
    try:
        gun.expect("ONLINE")
        assert gun.expect("ASKED") == \
            "ASKED refused fetching | Fetching order | Wait a moment | " \
            "WAIT info"
        # the answer is the snapshot: the order opens
        assert gun.expect("OPENED").startswith("OPENED order None |")
        # no such order: said so, no waiting for the time-out
        assert gun.expect("NO") == \
            "NO refused unknown_order | Unknown order | Not a Pickgun " \
            "order: ask a lead | REFUSED err"
        assert gun.expect("TIMEOUT") == \
            "TIMEOUT refused unknown_order | No answer: scan again | " \
            "Server did not answer | REFUSED err"
        assert gun.expect("AFTER") in ("AFTER 5", "AFTER 6")
        # offline: refused at once, nothing asked
        assert gun.expect("OFFLINE") == \
            "OFFLINE refused unknown_order | Unknown order | Not on this " \
            "gun: get WiFi | REFUSED err"
        assert gun.wait() == 0
        assert server.gets == [70, 71, 72]
    finally:
        gun.kill()
        server.close()
        broker.stop()
