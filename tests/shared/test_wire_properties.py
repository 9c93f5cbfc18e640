"""Properties of the wire contract (shared/wire.py and the server's
checks, server/gunlink/gun_payloads.py) over random input: nothing but
WireError ever escapes a check, whatever is accepted keeps every
documented limit, and what one side builds the other accepts."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.gunlink import gun_payloads as payloads
from shared import wire

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
U32 = 2 ** 32 - 1

# JSON values, with the awkward ones over-represented: bools where ints
# go, floats equal to ints, numbers past 32 and 64 bits, NUL, long text.
awkward_int = st.one_of(
    st.integers(-3, 40), st.sampled_from([U32, U32 + 1, 2 ** 63, 2 ** 64]),
    st.integers())
scalar = st.one_of(
    st.none(), st.booleans(), awkward_int,
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(0, 40).map(float),
    st.text(max_size=12), st.just("\x00"), st.just("x" * 5000),
    st.sampled_from(["over_pick", "bad_event", "Over pick", "pick",
                     "notes_ack"]))
json_value = st.recursive(scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.text(max_size=5), inner, max_size=4)), max_leaves=12)


def field(*good):
    """A field's value: usually one of the good ones, else anything."""
    return st.one_of(st.sampled_from(good), scalar, json_value)


rej_entry = st.one_of(
    st.fixed_dictionaries(
        {"seq": field(1, 2, 3, 4), "why": field("over_pick", "bad_event")},
        optional={"o": field(0, 1042, 10 ** 9), "c": field("", "PGB:X")}),
    json_value)
ack_like = st.fixed_dictionaries(
    {"v": field(1), "ep": field(5, 1, U32), "upto": field(0, 3, 4, U32),
     "since": field(0, 1, 2)},
    optional={"rej": st.one_of(st.lists(rej_entry, max_size=5),
                               json_value)})


@SETTINGS
@given(st.binary(max_size=200))
def test_decode_only_raises_wire_errors(data):
    try:
        obj = wire.decode(data)
    except wire.WireError:
        return
    assert isinstance(obj, dict) and type(obj["v"]) is int and obj["v"] == 1


def _is_int(value, low, high):
    return type(value) is int and low <= value <= high


@SETTINGS
@given(ack_like)
def test_accepted_acks_keep_every_limit(obj):
    payload = json.dumps(obj).encode()
    try:
        ack = wire.check_ack(wire.decode(payload))
    except wire.WireError:
        return
    assert _is_int(ack["ep"], 1, U32) and _is_int(ack["upto"], 0, U32)
    assert _is_int(ack["since"], 0, ack["upto"])
    rej = ack.get("rej", [])
    assert isinstance(rej, list) and len(rej) <= 32
    seqs = [r["seq"] for r in rej]
    assert all(_is_int(s, ack["since"] + 1, ack["upto"]) for s in seqs)
    assert seqs == sorted(set(seqs))
    for r in rej:
        why = r["why"]
        assert 0 < len(why) <= 32 and all(
            c.isdigit() or c == "_" or "a" <= c <= "z" for c in why)
        assert "o" not in r or _is_int(r["o"], 0, 999999999)
        assert "c" not in r or (isinstance(r["c"], str) and len(r["c"]) <= 80)


good_rejections = st.lists(
    st.tuples(st.sampled_from(sorted(wire.REASONS)),
              st.integers(0, 999999999), st.text(max_size=80)),
    max_size=32)


@SETTINGS
@given(st.integers(1, U32), st.integers(0, U32 - 40), st.data())
def test_built_acks_are_accepted(ep, since, data):
    rejections = data.draw(good_rejections)
    seqs = sorted(data.draw(st.sets(st.integers(since + 1, since + 40),
                                    min_size=len(rejections),
                                    max_size=len(rejections))))
    upto = data.draw(st.integers(max([since] + seqs), since + 40))
    rej = [{"seq": s, "why": why, "o": o, "c": c}
           for s, (why, o, c) in zip(seqs, rejections, strict=True)]
    ack = wire.ack(ep, upto, rej, since=since)
    assert wire.check_ack(wire.decode(wire.encode(ack))) == ack


event_like = st.fixed_dictionaries(
    {"v": field(1), "ep": field(7, U32), "seq": field(1, 2, U32),
     "k": field("pick", "notes_ack"), "o": field(1001, 999999999),
     "at": field(0, 1700000000, U32)},
    optional={"c": field("PGB:X", "x" * 80, "x" * 81),
              "n": st.one_of(st.lists(field(1, 3, 2 ** 63 - 1),
                                      max_size=4), json_value)})


@SETTINGS
@given(event_like)
def test_accepted_events_keep_every_limit(obj):
    try:
        identity = payloads.event_identity(obj)
    except wire.WireError:
        identity = None
    try:
        payloads.check_event(obj)
    except wire.WireError:
        return
    assert identity == (obj["ep"], obj["seq"])     # no event without one
    assert _is_int(obj["ep"], 1, U32) and _is_int(obj["seq"], 1, U32)
    assert _is_int(obj["o"], 1, 999999999) and _is_int(obj["at"], 0, U32)
    if obj["k"] == "pick":
        assert isinstance(obj["c"], str) and 0 < len(obj["c"]) <= 80
    else:
        assert obj["k"] == "notes_ack" and 0 < len(obj["n"]) <= 100
        assert all(_is_int(n, 1, 2 ** 63 - 1) for n in obj["n"])


@SETTINGS
@given(st.integers(1, U32), st.integers(1, U32), st.integers(1, 999999999),
       st.integers(0, U32), st.text(min_size=1, max_size=80))
def test_built_events_are_accepted(ep, seq, order, at, code):
    ev = wire.event(ep, seq, wire.PICK, order, at, code=code)
    assert payloads.check_event(wire.decode(wire.encode(ev))) == ev
