"""server.gunlink.ingest rules, one at a time, without MQTT."""
import json

import pytest

from server.gunlink.ingest import ingest_batch
from server.gunlink.ingest_parse import READ_MAX
from shared import wire
from ingest_support import evt, pick, state
from worker_support import code

EVT = wire.dev_topic("G01", wire.EVT)


def test_accepted_pick(demo):
    acks = ingest_batch(demo, [pick(1, "B0001")])
    assert acks == {"G01": wire.ack(7, 1, [], since=0)}
    bottle = demo["bottles"].get("B0001")
    assert (bottle["status"], bottle["order_id"]) == ("picked", 1001)
    p = demo.execute("SELECT * FROM picks").fetchone()
    assert (p["status"], p["serial"], p["lot_id"], p["device_id"]) == \
        ("accepted", "B0001", "L2311A", "G01")
    assert demo["orders"].get(1001)["rev"] == 2          # bumped for guns
    ev = demo.execute("SELECT outcome, reason FROM device_events").fetchone()
    assert tuple(ev) == ("accepted", None)


def _refused(db, message, why):
    before = state(db)
    acks = ingest_batch(db, [message])
    rej = acks["G01"]["rej"]
    assert [r["why"] for r in rej] == [why]
    assert rej[0]["seq"] == acks["G01"]["upto"]
    assert state(db) == before
    ev = db.execute("SELECT outcome, reason FROM device_events "
                    "ORDER BY id DESC").fetchone()
    assert tuple(ev) == ("rejected", why)


def test_foreign_code(demo):
    _refused(demo, evt(1, code_="https://example.com/x"), "foreign")


def test_misread_code(demo):
    good = code("B0001")
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    _refused(demo, evt(1, code_=bad), "check")


def test_malformed_code(demo):
    body = "PGB:B0001:CBD-OIL-30"
    _refused(demo, evt(1, code_=body + ":" + wire.check_char(body)),
             "format")


def test_order_code_is_not_a_product(demo):
    _refused(demo, evt(1, code_=wire.order_code(1001)), "wrong_product")


def test_unknown_order(demo):
    _refused(demo, pick(1, "B0001", order=999), "unknown_order")


def test_order_not_pickable(demo):
    _refused(demo, pick(1, "B0001", order=1003), "not_pickable")
    _refused(demo, pick(2, "B0001", order=1004), "not_pickable")


def test_unknown_bottle(demo):
    _refused(demo, pick(1, "B9999"), "unknown_bottle")


def test_lot_mismatch(demo):
    _refused(demo, pick(1, "B0001", lot="L2311B"), "lot_mismatch")
    _refused(demo, pick(2, "B0001", sku="FLOWER-5G", lot="L2311A"),
             "lot_mismatch")


def test_duplicate_bottle_same_order(demo):
    ingest_batch(demo, [pick(1, "B0001")])
    _refused(demo, pick(2, "B0001"), "duplicate")


def test_bottle_taken_by_other_order(demo):
    ingest_batch(demo, [pick(1, "B0001", order=1002)])
    _refused(demo, pick(2, "B0001"), "bottle_taken")


def test_bottle_not_in_stock(demo):
    demo.execute("UPDATE bottles SET status = 'destroyed' "
                 "WHERE serial = 'B0002'")
    _refused(demo, pick(1, "B0002"), "not_in_stock")


def test_wrong_product(demo):
    _refused(demo, pick(1, "C0001", sku="CAPS-10", lot="L2313C"),
             "wrong_product")


def test_over_pick(demo):
    acks = ingest_batch(demo, [pick(1, "B0001"), pick(2, "B0002")])
    assert acks["G01"] == wire.ack(7, 2, [], since=0)
    _refused(demo, pick(3, "B0003"), "over_pick")


def test_rejection_reported_with_order_and_code(demo):
    acks = ingest_batch(demo, [pick(1, "B9999")])
    assert acks["G01"]["rej"] == [{"seq": 1, "why": "unknown_bottle",
                                   "o": 1001, "c": code("B9999")}]
    assert all(r["why"] in wire.REASONS for r in acks["G01"]["rej"])


def test_same_event_twice_is_one_pick(demo):
    first = ingest_batch(demo, [pick(1, "B0001")])
    again = ingest_batch(demo, [pick(1, "B0001")])
    assert first == again == {"G01": wire.ack(7, 1, [], since=0)}
    assert demo.execute("SELECT count(*) FROM picks").fetchone()[0] == 1
    assert demo.execute("SELECT count(*) FROM device_events") \
        .fetchone()[0] == 1
    assert demo["orders"].get(1001)["rev"] == 2


def test_duplicate_in_one_batch(demo):
    acks = ingest_batch(demo, [pick(1, "B0001"), pick(1, "B0001")])
    assert acks == {"G01": wire.ack(7, 1, [], since=0)}
    assert demo.execute("SELECT count(*) FROM picks").fetchone()[0] == 1


def test_resent_rejected_event_reports_verdict_again(demo):
    ingest_batch(demo, [pick(1, "B9999")])
    acks = ingest_batch(demo, [pick(1, "B9999")])     # the ack was lost
    assert [r["why"] for r in acks["G01"]["rej"]] == ["unknown_bottle"]
    assert demo.execute("SELECT count(*) FROM picks").fetchone()[0] == 1


def test_cumulative_ack_waits_for_gap(demo):
    acks = ingest_batch(demo, [pick(1, "B0001"), pick(3, "B9999")])
    assert acks["G01"] == wire.ack(7, 1, [], since=0)   # 3 not covered yet
    acks = ingest_batch(demo, [pick(2, "B0002")])
    # seq 3 was judged in the earlier batch; the ack that first covers it
    # is the one that tells the gun.
    assert acks["G01"] == wire.ack(7, 3, [
        {"seq": 3, "why": "unknown_bottle", "o": 1001, "c": code("B9999")}],
        since=1)
    assert demo["devices"].get("G01")["upto"] == 3
    acks = ingest_batch(demo, [pick(3, "B9999")])       # and on a resend
    assert acks["G01"] == wire.ack(7, 3, [
        {"seq": 3, "why": "unknown_bottle", "o": 1001, "c": code("B9999")}],
        since=2)


def test_new_epoch_restarts_the_count(demo):
    ingest_batch(demo, [pick(1, "B0001"),
                        pick(2, "F0001", sku="FLOWER-5G", lot="L2312F")])
    acks = ingest_batch(demo, [pick(1, "B0002", ep=8)])
    assert acks["G01"] == wire.ack(8, 1, [], since=0)
    row = demo["devices"].get("G01")
    assert (row["ep"], row["upto"]) == (8, 1)
    assert demo.execute("SELECT count(*) FROM picks WHERE status = "
                        "'accepted'").fetchone()[0] == 3


def test_devices_acked_separately(demo):
    acks = ingest_batch(demo, [pick(1, "B0001"),
                               evt(1, 1002, code("B0002"), device="G02")])
    assert acks == {"G01": wire.ack(7, 1, [], since=0),
                    "G02": wire.ack(7, 1, [], since=0)}


def test_notes_ack_goes_to_history(demo):
    demo["notes"].insert_all([{"id": i, "order_id": 1001, "text": "n"}
                              for i in (3, 4)])
    acks = ingest_batch(demo, [evt(1, kind=wire.NOTES_ACK, notes=[3, 4])])
    assert acks["G01"] == wire.ack(7, 1, [], since=0)
    h = demo.execute("SELECT * FROM order_history").fetchone()
    assert (h["order_id"], h["action"], h["actor"], h["detail"]) == \
        (1001, "notes_ack", "G01", "notes 3, 4")


def test_status_updates_device(demo):
    status = wire.status(True, fw="1.2.0", pending=5, ep=7, upto=3,
                         board="esp32_gm65")
    ingest_batch(demo, [(wire.dev_topic("G05", wire.STATUS),
                         wire.encode(status))])
    row = demo["devices"].get("G05")                  # created on the fly
    assert (row["online"], row["fw"], row["pending"], row["board"]) == \
        (1, "1.2.0", 5, "esp32_gm65")
    assert row["last_seen"]
    # a gun from before the board field: the board stays as it was
    old = wire.status(True, fw="", pending=0, ep=7, upto=8)
    assert "board" not in old
    ingest_batch(demo, [(wire.dev_topic("G05", wire.STATUS),
                         wire.encode(old))])
    row = demo["devices"].get("G05")
    assert (row["fw"], row["pending"], row["board"]) == ("", 0, "esp32_gm65")
    ingest_batch(demo, [(wire.dev_topic("G05", wire.STATUS),
                         wire.encode(wire.status(False)))])
    assert demo["devices"].get("G05")["online"] == 0


STATUS = wire.dev_topic("G01", wire.STATUS)
GOOD = wire.event(7, 1, wire.PICK, 1001, 0, "PGB:X")

MALFORMED = [
    ("not json", EVT, b"\x00\xffnot json"),
    ("array", EVT, b"[1, 2]"),
    ("wrong version", EVT, json.dumps(dict(GOOD, v=2)).encode()),
    ("missing seq", EVT, json.dumps(
        {k: v for k, v in GOOD.items() if k != "seq"}).encode()),
    ("seq as text", EVT, json.dumps(dict(GOOD, seq="1")).encode()),
    ("seq as bool", EVT, json.dumps(dict(GOOD, seq=True)).encode()),
    ("version as bool", EVT, json.dumps(dict(GOOD, v=True)).encode()),
    ("ep zero", EVT, json.dumps(dict(GOOD, ep=0)).encode()),
    ("huge ep", EVT, json.dumps(dict(GOOD, ep=2 ** 70)).encode()),
    ("bad device id", "pickgun/dev/g 1/evt", wire.encode(GOOD)),
    ("lower-case device", "pickgun/dev/bad_id/evt", wire.encode(GOOD)),
    ("unknown topic", "pickgun/dev/G01/other", wire.encode(GOOD)),
    ("ack topic", wire.dev_topic("G01", wire.ACK), wire.encode(GOOD)),
    ("status garbage", STATUS, b"online!"),
    ("status no online", STATUS, wire.encode({"v": 1, "fw": "x"})),
    ("status bad pending", STATUS, wire.encode(
        {"v": 1, "online": True, "pending": -1, "ep": 1, "upto": 0})),
    ("status as bool pending", STATUS, wire.encode(
        {"v": 1, "online": True, "pending": True, "ep": 1, "upto": 0})),
    ("status board not text", STATUS, wire.encode(
        {"v": 1, "online": True, "pending": 0, "ep": 1, "upto": 0,
         "board": 32})),
    ("too large to read", EVT, json.dumps(dict(GOOD, pad="x" * READ_MAX))
     .encode()),
]


@pytest.mark.parametrize("name,topic,payload", MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_malformed_is_recorded_and_skipped(demo, caplog, name, topic,
                                           payload):
    good = pick(1, "B0001")
    acks = ingest_batch(demo, [(topic, payload), good])
    assert acks == {"G01": wire.ack(7, 1, [], since=0)}
    rows = list(demo.execute("SELECT * FROM malformed_messages"))
    assert len(rows) == 1
    assert rows[0]["topic"] == topic and rows[0]["reason"]
    assert rows[0]["size"] == len(payload)
    assert "malformed message" in caplog.text
    assert demo.execute("SELECT count(*) FROM device_events") \
        .fetchone()[0] == 1


def test_unexpected_failure_skips_only_that_message(demo, monkeypatch,
                                                    caplog):
    from server.gunlink import ingest
    real = ingest._Batch._judge_pick

    def judge(self, order_id, bottle):
        if bottle[0] == "B0002":
            raise RuntimeError("boom")
        return real(self, order_id, bottle)
    monkeypatch.setattr(ingest._Batch, "_judge_pick", judge)
    acks = ingest_batch(demo, [pick(1, "B0001"), pick(2, "B0002"),
                               pick(3, "F0001", sku="FLOWER-5G",
                                    lot="L2312F")])
    assert acks["G01"]["upto"] == 1          # seq 2 missing: not acked
    row = demo.execute("SELECT reason FROM malformed_messages").fetchone()
    assert "server error: boom" in row["reason"]
    accepted = [r[0] for r in demo.execute(
        "SELECT serial FROM picks WHERE status = 'accepted' ORDER BY id")]
    assert accepted == ["B0001", "F0001"]
    assert demo["orders"].get(1001)["rev"] == 2
