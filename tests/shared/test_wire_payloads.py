"""Payload checks of shared/wire.py: every integer field is a real integer
(never a bool, never a float), within the limits docs/protocol.md lists;
the same checks give the same answers under MicroPython."""
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


def test_good_payloads_pass():
    assert wire.check_event(wire.decode(enc(EVENT))) == EVENT
    assert wire.check_ack(wire.decode(enc(ACK))) == ACK
    assert wire.check_status(wire.decode(enc(STATUS))) == STATUS
    assert wire.event_identity(EVENT) == (5, 1)
    notes = wire.event(5, 2, wire.NOTES_ACK, 1042, 0, notes=[1, 2 ** 63 - 1])
    assert wire.check_event(notes) == notes


def _bad_events():
    for key, values in {
            "ep": [True, 5.0, 0, -1, U32 + 1, "5", None],
            "seq": [True, 1.0, 0, U32 + 1, "1", None],
            "o": [True, 1042.0, 0, 10 ** 9, "1042", None],
            "at": [True, 0.5, -1, U32 + 1, None],
            "k": ["teleport", 5, None],
            "c": ["", "x" * (wire.CODE_MAX + 1), 5, None]}.items():
        for value in values:
            yield dict(EVENT, **{key: value})
    base = wire.event(5, 1, wire.NOTES_ACK, 1042, 0, notes=[1])
    for n in ([], [0], [True], [1.0], [2 ** 63], "1", None, [[1]],
              list(range(1, wire.NOTES_MAX + 2))):
        yield dict(base, n=n)


@pytest.mark.parametrize("obj", list(_bad_events()))
def test_events_outside_the_limits_are_refused(obj):
    with pytest.raises(wire.WireError):
        wire.check_event(obj)


@pytest.mark.parametrize("obj", [
    dict(EVENT, ep=True), dict(EVENT, seq=1.0), dict(EVENT, ep=U32 + 1),
    {k: v for k, v in EVENT.items() if k != "seq"}])
def test_identity_needs_integer_ep_and_seq_in_range(obj):
    with pytest.raises(wire.WireError):
        wire.event_identity(obj)


def test_identity_survives_a_bad_body():
    assert wire.event_identity(dict(EVENT, k="teleport", c=5)) == (5, 1)


def _rej(**kw):
    r = {"seq": 3, "why": "over_pick", "o": 1042, "c": CODE}
    r.update(kw)
    return dict(ACK, rej=[r])


@pytest.mark.parametrize("obj", [
    dict(ACK, ep=True), dict(ACK, ep=5.0), dict(ACK, ep=0),
    dict(ACK, ep=U32 + 1), dict(ACK, upto=True), dict(ACK, upto=3.0),
    dict(ACK, upto=U32 + 1), dict(ACK, upto=-1), dict(ACK, since=True),
    dict(ACK, since=4), dict(ACK, since=-1),
    {k: v for k, v in ACK.items() if k != "since"},
    dict(ACK, rej="x"), dict(ACK, rej=[3]), dict(ACK, rej=None),
    _rej(seq=True), _rej(seq=3.0), _rej(seq=2), _rej(seq=4),
    _rej(why=""), _rej(why=5), _rej(why="x" * 33), _rej(why="Over pick"),
    _rej(why="a\x00b"), _rej(o=True), _rej(o=-1), _rej(o=10 ** 9),
    _rej(c=5), _rej(c="x" * (wire.CODE_MAX + 1)),
    dict(ACK, since=0, upto=3, rej=[{"seq": 3, "why": "a"},
                                    {"seq": 3, "why": "a"}]),
    dict(ACK, since=0, upto=3, rej=[{"seq": 3, "why": "a"},
                                    {"seq": 2, "why": "a"}]),
    dict(ACK, since=0, upto=100, rej=[{"seq": i, "why": "a"} for i in
                                      range(1, wire.ACK_REJ_MAX + 2)]),
])
def test_acks_outside_the_limits_are_refused(obj):
    with pytest.raises(wire.WireError):
        wire.check_ack(obj)


def test_ack_entries_may_leave_out_order_and_code():
    ack = dict(ACK, rej=[{"seq": 3, "why": "some_new_reason"}])
    assert wire.check_ack(ack) == ack


@pytest.mark.parametrize("obj", [
    dict(STATUS, online=1), dict(STATUS, pending=True),
    dict(STATUS, pending=2.0), dict(STATUS, ep=U32 + 1),
    dict(STATUS, upto=-1), dict(STATUS, fw=5), dict(STATUS, fw="x" * 41)])
def test_status_outside_the_limits_is_refused(obj):
    with pytest.raises(wire.WireError):
        wire.check_status(obj)


def test_new_reasons_fit_a_screen_line():
    for reason in ("bad_event", "unknown_note"):
        assert 0 < len(wire.REASONS[reason]) <= 16


MP_SCRIPT = r"""
import json
from shared import wire
CODE = wire.bottle_code("B000123", "CBD-OIL-30", "L2311A")
EVENT = wire.event(5, 1, wire.PICK, 1042, 1700000000, CODE)
ACK = wire.ack(5, 3, [{"seq": 3, "why": "over_pick", "o": 1042, "c": CODE}],
               since=2)
out = []
for text in CASES:
    kind, payload = text.split(" ", 1)
    try:
        obj = wire.decode(payload.encode())
        if kind == "event":
            wire.check_event(obj)
        elif kind == "ack":
            wire.check_ack(obj)
        else:
            wire.check_status(obj)
        out.append("ok")
    except wire.WireError:
        out.append("refused")
print(json.dumps(out))
"""


def test_micropython_gives_the_same_answers():
    cases = []
    for obj in [EVENT, dict(EVENT, v=True), dict(EVENT, v=1.0),
                dict(EVENT, seq=True), dict(EVENT, o=1042.0),
                dict(EVENT, ep=U32 + 1), dict(EVENT, ep=2 ** 70),
                dict(EVENT, at=False)]:
        cases.append("event " + json.dumps(obj))
    for obj in [ACK, dict(ACK, upto=True), dict(ACK, upto=3.0),
                dict(ACK, upto=2 ** 64), _rej(seq=True), _rej(why="a\x00"),
                dict(ACK, v=True)]:
        cases.append("ack " + json.dumps(obj))
    for obj in [STATUS, dict(STATUS, pending=True), dict(STATUS, v=1.0)]:
        cases.append("status " + json.dumps(obj))
    expected = []
    for text in cases:
        kind, payload = text.split(" ", 1)
        check = {"event": wire.check_event, "ack": wire.check_ack,
                 "status": wire.check_status}[kind]
        try:
            check(wire.decode(payload.encode()))
            expected.append("ok")
        except wire.WireError:
            expected.append("refused")
    assert expected.count("ok") == 3        # only the three good ones
    script = "CASES = %r\n" % cases + MP_SCRIPT
    mp = REPO / ".venv" / "bin" / "micropython"
    out = subprocess.run([str(mp), "-X", "heapsize=110k", "-c", script],
                         env={"MICROPYPATH": "%s:.frozen" % REPO},
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == expected
