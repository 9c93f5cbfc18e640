"""The warehouse floor in the ingest: who did it (`by`), lots on hold,
recalled or expired refused, bottles returned at the gun (docs/protocol.md,
Event and Rejection reasons; docs/back-office.md)."""
import datetime
import json

import pytest

from server.gunlink.ingest import ingest_batch
from server.orders import lot_checks
from shared import wire
from ingest_support import evt, pick, raw, ret, state, verdicts

TODAY = datetime.date(2026, 3, 10)


def ship(db, order_id, serials):
    """Order `order_id` shipped with `serials` picked for it."""
    db.execute("UPDATE orders SET status = 'shipped' WHERE id = ?",
               [order_id])
    for s in serials:
        db.execute("INSERT INTO picks (order_id, serial, sku, lot_id, "
                   "status) SELECT ?, serial, sku, lot_id, 'accepted' "
                   "FROM bottles WHERE serial = ?", [order_id, s])
        db.execute("UPDATE bottles SET status = 'shipped', order_id = ? "
                   "WHERE serial = ?", [order_id, s])


def whys(acks, device="G01"):
    return [(r["seq"], r["why"]) for r in acks[device]["rej"]]


# ------------------------------------------------------------------ by
def test_by_is_recorded_on_the_event_pick_and_history(demo):
    demo.execute("INSERT INTO notes (id, order_id, text) "
                 "VALUES (1, 1001, 'Fragile')")
    ingest_batch(demo, [pick(1, "B0001", by=42),
                        pick(2, "B9999", by=42),              # rejected
                        evt(3, kind=wire.NOTES_ACK, notes=[1], by=7),
                        pick(4, "B0002"),                     # nobody
                        pick(5, "B0003", 1002, by=999999999)])  # no account
    assert [tuple(r) for r in demo.execute(
        "SELECT seq, staff_id FROM device_events ORDER BY seq")] == [
        (1, 42), (2, 42), (3, 7), (4, None), (5, 999999999)]
    assert [tuple(r) for r in demo.execute(
        "SELECT serial, status, staff_id FROM picks ORDER BY id")] == [
        ("B0001", "accepted", 42), ("B9999", "rejected", 42),
        ("B0002", "accepted", None), ("B0003", "accepted", 999999999)]
    assert [tuple(r) for r in demo.execute(
        "SELECT action, actor, staff_id FROM order_history")] == [
        ("notes_ack", "G01", 7)]


@pytest.mark.parametrize("by", [True, False, 1.0, "42", 0, -1, 10 ** 9,
                                2 ** 63, None, [42], {"id": 42}])
def test_a_hostile_by_is_a_bad_event_and_changes_nothing(demo, by):
    obj = wire.event(7, 1, wire.PICK, 1001, 0, wire.bottle_code(
        "B0001", "CBD-OIL-30", "L2311A"))
    obj["by"] = by
    before = state(demo)
    acks = ingest_batch(demo, [raw(obj)])
    assert whys(acks) == [(1, "bad_event")]
    assert state(demo) == before
    row = demo.execute("SELECT outcome, staff_id FROM device_events "
                       "").fetchone()
    assert tuple(row) == ("rejected", None)


# ---------------------------------------------------------------- lots
def test_lot_refusal_and_the_lots_a_gun_refuses(demo):
    demo.conn.executescript(
        "UPDATE lots SET status = 'on_hold' WHERE id = 'L2311A';"
        "UPDATE lots SET status = 'recalled', expires_on = '2020-01-01' "
        "WHERE id = 'L2312F';"
        "UPDATE lots SET expires_on = '2026-03-10' WHERE id = 'L2313C';"
        "UPDATE lots SET expires_on = '2026-03-11' WHERE id = 'L2311B';")
    refusal = lot_checks.lot_refusal
    assert refusal(demo, "L2311A", TODAY) == "lot_on_hold"
    assert refusal(demo, "L2312F", TODAY) == "lot_recalled"   # graver
    assert refusal(demo, "L2313C", TODAY) == "expired"     # its day: out
    assert refusal(demo, "L2311B", TODAY) is None          # tomorrow's
    assert refusal(demo, "NOPE", TODAY) is None
    # L2311B has no bottle at all: it is left out when it expires.
    assert lot_checks.refused_lots(demo, TODAY + datetime.timedelta(2)) == [
        ["L2312F", "lot_recalled"], ["L2311A", "lot_on_hold"],
        ["L2313C", "expired"]]
    # A lot with no bottle in stock left is left out.
    demo.execute("UPDATE bottles SET status = 'shipped' "
                 "WHERE lot_id = 'L2311A'")
    assert lot_checks.refused_lots(demo, TODAY) == [
        ["L2312F", "lot_recalled"], ["L2313C", "expired"]]
    wire.check_lots(wire.lots(lot_checks.refused_lots(demo, TODAY)))


def test_refused_lots_keep_the_most_recently_expired(demo):
    with demo.conn:
        for i in range(wire.LOTS_MAX + 5):
            lot = "X%04d" % i
            demo.execute("INSERT INTO lots (id, sku, expires_on) VALUES "
                         "(?, 'CAPS-10', ?)", [lot, str(
                             datetime.date(2020, 1, 1)
                             + datetime.timedelta(i))])
            demo.execute("INSERT INTO bottles (serial, sku, lot_id) "
                         "VALUES (?, 'CAPS-10', ?)", ["Y%04d" % i, lot])
        demo.execute("UPDATE lots SET status = 'recalled' "
                     "WHERE id = 'L2313C'")
    out = lot_checks.refused_lots(demo, TODAY)
    assert len(out) == wire.LOTS_MAX
    assert out[0] == ["L2313C", "lot_recalled"]
    assert out[1] == ["X%04d" % (wire.LOTS_MAX + 4), "expired"]
    assert len(wire.encode(wire.lots(out))) < 8192


@pytest.mark.parametrize("setup,expected", [
    ("UPDATE lots SET status = 'recalled', expires_on = '2001-01-01'",
     "lot_recalled"),
    ("UPDATE lots SET status = 'on_hold', expires_on = '2001-01-01'",
     "lot_on_hold"),
    ("UPDATE lots SET expires_on = '2026-03-10'", "expired"),
    ("UPDATE lots SET expires_on = '2026-03-11'", None),
])
def test_a_pick_of_a_refused_lot(demo, setup, expected):
    demo.execute(setup + " WHERE id = 'L2311A'")
    before = state(demo)
    acks = ingest_batch(demo, [pick(1, "B0001")], today=TODAY)
    assert whys(acks) == ([(1, expected)] if expected else [])
    if expected:
        assert state(demo) == before


def test_the_lot_is_judged_after_the_bottle_and_before_the_lines(demo):
    demo.conn.executescript(
        "UPDATE lots SET status = 'on_hold';"
        "UPDATE bottles SET status = 'destroyed' WHERE serial = 'B0002';")
    acks = ingest_batch(demo, [
        pick(1, "B0001", lot="L2311B"),                     # lot_mismatch
        pick(2, "B0002"),                                   # not_in_stock
        pick(3, "C0001", sku="CAPS-10", lot="L2313C"),      # no such line
    ], today=TODAY)
    assert whys(acks) == [(1, "lot_mismatch"), (2, "not_in_stock"),
                          (3, "lot_on_hold")]


def test_a_hold_while_the_gun_was_offline_rejects_its_pick(demo):
    """Scanned offline before the hold reached the gun, arriving after
    the hold: the server refuses it; picked before the hold: it stands."""
    ingest_batch(demo, [pick(1, "B0001")], today=TODAY)
    demo.execute("UPDATE lots SET status = 'on_hold' WHERE id = 'L2311A'")
    acks = ingest_batch(demo, [pick(2, "B0002")], today=TODAY)
    assert whys(acks) == [(2, "lot_on_hold")]
    assert verdicts(demo) == {1: ("accepted", None),
                              2: ("rejected", "lot_on_hold")}
    assert demo["bottles"].get("B0002")["status"] == "in_stock"


# ------------------------------------------------------------- returns
def returns(db):
    return [tuple(r) for r in db.execute(
        "SELECT order_id, serial, device_id, staff_id, status, reason "
        "FROM gun_returns ORDER BY id")]


def test_a_return_is_applied_once(demo):
    ship(demo, 1002, ["B0001", "B0002"])
    rev = demo["orders"].get(1002)["rev"]
    acks = ingest_batch(demo, [ret(1, "B0001", by=42)])
    assert whys(acks) == []
    assert demo["bottles"].get("B0001")["status"] == "returned"
    assert demo["bottles"].get("B0002")["status"] == "shipped"
    assert demo["orders"].get(1002)["rev"] == rev + 1
    assert returns(demo) == [(1002, "B0001", "G01", 42, "accepted", None)]
    assert [tuple(r) for r in demo.execute(
        "SELECT order_id, action, from_status, to_status, actor, detail, "
        "staff_id FROM order_history")] == [
        (1002, "return_bottles", "shipped", "shipped", "G01",
         "bottle B0001 returned at the gun", 42)]
    # Grams are not credited by a return, as by the web form.
    assert demo.execute("SELECT count(*) FROM returned_grams"
                        ).fetchone()[0] == 0
    # The same event again (a lost ack): acked again, applied once; the
    # same bottle scanned again: a duplicate.
    before = state(demo)
    acks = ingest_batch(demo, [ret(1, "B0001", by=42), ret(2, "B0001")])
    assert whys(acks) == [(2, "duplicate")]
    assert state(demo) == before
    assert returns(demo)[1:] == [(1002, "B0001", "G01", None, "rejected",
                                  "duplicate")]


def test_two_returns_of_one_bottle_in_one_batch(demo):
    ship(demo, 1002, ["B0001"])
    acks = ingest_batch(demo, [ret(1, "B0001"),
                               ret(1, "B0001", device="G02", ep=9)])
    assert whys(acks) == [] and whys(acks, "G02") == [(1, "duplicate")]
    assert [r[4] for r in returns(demo)] == ["accepted", "rejected"]


def test_a_bottle_returned_on_the_web_is_a_duplicate_at_the_gun(demo):
    from server.orders.actions import perform
    ship(demo, 1002, ["B0001"])
    perform(demo, 1002, "return_bottles", "csr")
    assert demo["bottles"].get("B0001")["status"] == "returned"
    acks = ingest_batch(demo, [ret(1, "B0001")])
    assert whys(acks) == [(1, "duplicate")]


def test_return_reasons_in_the_documented_order(demo):
    ship(demo, 1002, ["B0001", "B0002"])
    ship(demo, 1003, ["B0003"])        # another shipped order
    demo.execute("UPDATE orders SET status = 'delivered' WHERE id = 1003")
    demo.execute("UPDATE bottles SET status = 'destroyed' "
                 "WHERE serial = 'B0002'")
    before = state(demo)
    messages = [
        (evt(1, 1002, "HELLO", kind=wire.RETURN), "foreign"),
        (evt(2, 999, "HELLO", kind=wire.RETURN), "foreign"),
        (evt(3, 1002, wire.order_code(1002), kind=wire.RETURN),
         "wrong_product"),
        (ret(4, "B9999", order=999), "unknown_order"),
        (ret(5, "B9999", order=1001), "not_returnable"),   # placed
        (ret(6, "B9999", order=1004), "not_returnable"),   # cancelled
        (ret(7, "B9999"), "unknown_bottle"),
        (ret(8, "B0001", lot="L2311B"), "lot_mismatch"),
        (ret(9, "B0003"), "not_on_order"),                 # 1003's
        (ret(10, "B0004"), "not_on_order"),                # in stock
        (ret(11, "B0002"), "duplicate"),                   # destroyed
        (raw(dict(wire.event(7, 12, wire.RETURN, 1002, 0))), "bad_event"),
    ]
    acks = ingest_batch(demo, [m for m, _ in messages])
    assert whys(acks) == [(i + 1, why) for i, (_, why) in
                          enumerate(messages)]
    assert state(demo) == before
    # Every judged return is recorded with its reason (not the bad event).
    assert [r[5] for r in returns(demo)] == [why for _, why in messages
                                             ][:-1]
    # A delivered order takes returns.
    assert whys(ingest_batch(demo, [ret(13, "B0003", order=1003)])) == []


def test_a_return_is_listed_in_the_ack_like_a_pick(demo):
    acks = ingest_batch(demo, [ret(1, "B0001", order=1001)])
    assert acks["G01"]["rej"] == [{"seq": 1, "why": "not_returnable",
                                   "o": 1001, "c": json.loads(
                                       ret(1, "B0001")[1])["c"]}]
