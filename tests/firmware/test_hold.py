"""The orders a gun holds, and orders on demand (docs/protocol.md §3), in
the real MicroPython: the hold list's side of the order store and of the
sync session fed hostile messages with no broker (mp/hold_offline.py);
then against a real Mosquitto, the gun subscribing to exactly the orders
its hold list names (mp/sync_hold.py, on sync_rig), and the app asking
for an order it lacks (mp/sync_get.py)."""
import json
import sys
import time
from pathlib import Path

import paho.mqtt.client as paho

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import check, script  # noqa: E402
from mp_run import MPProcess  # noqa: E402
from sync_server import FakeServer  # noqa: E402
from test_sync import _touch, _wait  # noqa: E402

from server.gunlink.broker import mosquitto_binary  # noqa: E402
from shared import wire  # noqa: E402

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
