"""Events that break a documented limit (docs/protocol.md, Limits): with a
readable identity (device, ep, seq) they are acked as rejected
(bad_event), so the gun's journal moves on; without one they are logged
as malformed and never acked."""
import pytest

from server.gunlink.gun_payloads import EVENT_BYTES_MAX, NOTES_MAX
from server.gunlink.ingest import ingest_batch
from server.gunlink.ingest_parse import READ_MAX
from shared import wire
from ingest_support import pick, raw, state, verdicts
from worker_support import code

GOOD = wire.event(7, 1, wire.PICK, 1001, 1700000000, code("B0001"))
NOTES = wire.event(7, 1, wire.NOTES_ACK, 1001, 1700000000, notes=[3])


def without(obj, key):
    return {k: v for k, v in obj.items() if k != key}


BAD_EVENTS = [
    ("code of 81 characters", dict(GOOD, c="PGB:" + "A" * 77)),
    ("code empty", dict(GOOD, c="")),
    ("code not text", dict(GOOD, c=5)),
    ("code missing", without(GOOD, "c")),
    ("unknown kind", dict(GOOD, k="teleport")),
    ("kind not text", dict(GOOD, k=5)),
    ("kind missing", without(GOOD, "k")),
    ("order zero", dict(GOOD, o=0)),
    ("order of ten digits", dict(GOOD, o=10 ** 9)),
    ("order as bool", dict(GOOD, o=True)),
    ("order as float", dict(GOOD, o=1001.0)),
    ("order as text", dict(GOOD, o="1001")),
    ("order missing", without(GOOD, "o")),
    ("clock negative", dict(GOOD, at=-1)),
    ("clock past 32 bits", dict(GOOD, at=2 ** 32)),
    ("clock as float", dict(GOOD, at=1.5)),
    ("clock as bool", dict(GOOD, at=True)),
    ("clock missing", without(GOOD, "at")),
    ("notes empty", dict(NOTES, n=[])),
    ("note id zero", dict(NOTES, n=[0])),
    ("note id negative", dict(NOTES, n=[-3])),
    ("note id as bool", dict(NOTES, n=[True])),
    ("note id as float", dict(NOTES, n=[3.0])),
    ("note id past 64 bits", dict(NOTES, n=[2 ** 63])),
    ("notes not a list", dict(NOTES, n="3")),
    ("too many notes", dict(NOTES, n=list(range(1, NOTES_MAX + 2)))),
    ("payload too large", dict(GOOD, pad="x" * EVENT_BYTES_MAX)),
]


@pytest.mark.parametrize("name,obj", BAD_EVENTS,
                         ids=[b[0] for b in BAD_EVENTS])
def test_event_breaking_a_limit_is_acked_as_rejected(demo, name, obj):
    before = state(demo)
    acks = ingest_batch(demo, [raw(obj)])
    ack = acks["G01"]
    assert (ack["ep"], ack["since"], ack["upto"]) == (7, 0, 1)
    assert [(r["seq"], r["why"]) for r in ack["rej"]] == [(1, "bad_event")]
    wire.check_ack(wire.decode(wire.encode(ack)))   # fits the ack's limits
    assert state(demo) == before
    assert verdicts(demo) == {1: ("rejected", "bad_event")}
    assert demo.execute("SELECT count(*) FROM malformed_messages") \
        .fetchone()[0] == 0
    # The journal moves on: the next event is applied and acked.
    acks = ingest_batch(demo, [pick(2, "B0001")])
    assert (acks["G01"]["upto"], acks["G01"]["rej"]) == (2, [])
    # Sent again, it is reported again, never applied.
    acks = ingest_batch(demo, [raw(obj)])
    assert [r["why"] for r in acks["G01"]["rej"]] == ["bad_event"]
    assert demo.execute("SELECT count(*) FROM device_events") \
        .fetchone()[0] == 2


def test_rejection_of_a_bad_event_names_what_it_can(demo):
    acks = ingest_batch(demo, [raw(dict(GOOD, c="PGB:" + "A" * 77)),
                               raw(dict(GOOD, seq=2, o=0))])
    assert acks["G01"]["rej"] == [
        {"seq": 1, "why": "bad_event", "o": 1001, "c": ""},
        {"seq": 2, "why": "bad_event", "o": 0, "c": code("B0001")}]


NO_IDENTITY = [
    ("version true", dict(GOOD, v=True)),
    ("version float", dict(GOOD, v=1.0)),
    ("version 2", dict(GOOD, v=2)),
    ("version missing", without(GOOD, "v")),
    ("epoch zero", dict(GOOD, ep=0)),
    ("epoch past 32 bits", dict(GOOD, ep=2 ** 32)),
    ("epoch past 64 bits", dict(GOOD, ep=2 ** 64)),
    ("epoch as bool", dict(GOOD, ep=True)),
    ("epoch as float", dict(GOOD, ep=7.0)),
    ("epoch as text", dict(GOOD, ep="7")),
    ("seq zero", dict(GOOD, seq=0)),
    ("seq past 32 bits", dict(GOOD, seq=2 ** 32)),
    ("seq as bool", dict(GOOD, seq=True)),
    ("seq as float", dict(GOOD, seq=1.0)),
    ("seq missing", without(GOOD, "seq")),
]


@pytest.mark.parametrize("name,obj", NO_IDENTITY,
                         ids=[b[0] for b in NO_IDENTITY])
def test_event_without_identity_is_malformed_and_not_acked(demo, name, obj):
    before = state(demo)
    acks = ingest_batch(demo, [raw(obj)])
    assert acks == {}
    assert state(demo) == before
    assert verdicts(demo) == {}
    rows = list(demo.execute("SELECT reason FROM malformed_messages"))
    assert len(rows) == 1 and rows[0]["reason"]


def test_payload_too_large_to_read_is_malformed(demo):
    big = wire.encode(dict(GOOD, pad="x" * READ_MAX))
    acks = ingest_batch(demo, [(wire.dev_topic("G01", wire.EVT), big)])
    assert acks == {} and verdicts(demo) == {}
    row = demo.execute("SELECT reason, size FROM malformed_messages") \
        .fetchone()
    assert "too large" in row["reason"] and row["size"] == len(big)
