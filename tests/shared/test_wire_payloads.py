"""What both sides check in shared/wire.py: the version and the acks.
Every integer field is a real integer (never a bool, never a float),
within the limits docs/protocol.md lists, and MicroPython gives the same
answers as CPython (where bool is an int and True == 1)."""
import json
import subprocess
from pathlib import Path

import pytest

from shared import wire

REPO = Path(__file__).resolve().parents[2]
CODE = wire.bottle_code("B000123", "CBD-OIL-30", "L2311A")
EVENT = wire.event(5, 1, wire.PICK, 1042, 1700000000, CODE)
ACK = wire.ack(5, 3, [{"seq": 3, "why": "over_pick", "o": 1042, "c": CODE}],
               since=2)
STATUS = wire.status(True, "1.0", 2, 5, 3)
U32 = 2 ** 32 - 1


def enc(obj):
    return json.dumps(obj).encode()


@pytest.mark.parametrize("v", [True, 1.0, 2, "1", None, [1]])
def test_version_must_be_the_integer_1(v):
    for obj in (EVENT, ACK, STATUS):
        with pytest.raises(wire.WireError):
            wire.decode(enc(dict(obj, v=v)))


def test_good_ack_passes():
    assert wire.check_ack(wire.decode(enc(ACK))) == ACK
    empty = wire.ack(5, 0, [], since=0)
    assert wire.check_ack(empty) == empty


def _rej(**kw):
    r = {"seq": 3, "why": "over_pick", "o": 1042, "c": CODE}
    r.update(kw)
    return dict(ACK, rej=[r])


BAD_ACKS = [
    dict(ACK, ep=True), dict(ACK, ep=5.0), dict(ACK, ep=0),
    dict(ACK, ep=U32 + 1), dict(ACK, upto=True), dict(ACK, upto=3.0),
    dict(ACK, upto=U32 + 1), dict(ACK, upto=-1), dict(ACK, since=True),
    dict(ACK, since=4), dict(ACK, since=-1),
    {k: v for k, v in ACK.items() if k != "since"},
    dict(ACK, rej="x"), dict(ACK, rej=[3]), dict(ACK, rej=None),
    _rej(seq=True), _rej(seq=3.0), _rej(seq=2), _rej(seq=4),
    _rej(why=""), _rej(why=5), _rej(why="x" * 33), _rej(why="Over pick"),
    _rej(why="a\x00b"), _rej(o=True), _rej(o=-1), _rej(o=10 ** 9),
    _rej(c=5), _rej(c="x" * 81),
    dict(ACK, since=0, upto=3, rej=[{"seq": 3, "why": "a"},
                                    {"seq": 3, "why": "a"}]),
    dict(ACK, since=0, upto=3, rej=[{"seq": 3, "why": "a"},
                                    {"seq": 2, "why": "a"}]),
    dict(ACK, since=0, upto=100, rej=[{"seq": i, "why": "a"}
                                      for i in range(1, 34)]),
]


@pytest.mark.parametrize("obj", BAD_ACKS)
def test_acks_outside_the_limits_are_refused(obj):
    with pytest.raises(wire.WireError):
        wire.check_ack(obj)


def test_ack_entries_may_leave_out_order_and_code():
    ack = dict(ACK, rej=[{"seq": 3, "why": "some_new_reason"}])
    assert wire.check_ack(ack) == ack


def test_new_reasons_fit_a_screen_line():
    for reason in ("bad_event", "unknown_note"):
        assert 0 < len(wire.REASONS[reason]) <= 16


MP_SCRIPT = r"""
import json
from shared import wire
out = []
for payload in CASES:
    try:
        wire.check_ack(wire.decode(payload.encode()))
        out.append("ok")
    except wire.WireError:
        out.append("refused")
print(json.dumps(out))
print(isinstance(True, int), True == 1, 1.0 == 1)
"""


def test_micropython_gives_the_same_answers(micropython):
    cases = [json.dumps(obj) for obj in [
        ACK, dict(ACK, v=True), dict(ACK, v=1.0), dict(ACK, upto=2 ** 64),
        dict(ACK, ep=2 ** 70)] + BAD_ACKS]
    cases.append(json.dumps({"v": 1, "ep": 5, "since": 0, "upto": 0}))
    expected = []
    for payload in cases:
        try:
            wire.check_ack(wire.decode(payload.encode()))
            expected.append("ok")
        except wire.WireError:
            expected.append("refused")
    assert expected.count("ok") == 2
    script = "CASES = %r\n" % cases + MP_SCRIPT
    out = subprocess.run([str(micropython), "-X", "heapsize=110k", "-c",
                          script], env={"MICROPYPATH": "%s:.frozen" % REPO},
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert json.loads(lines[0]) == expected
    # Why "is it an int" cannot be isinstance() alone: the two interpreters
    # disagree about bool, and both say True == 1 and 1.0 == 1.
    assert lines[1] == "False True True"
