"""Every rejection reason the server gives is reachable, in the documented
order of checks (docs/protocol.md, Rejection reasons), for picks and for
notes acknowledgements."""
import pytest

from server.gunlink.ingest import ingest_batch
from shared import wire
from ingest_support import evt, pick, raw, ret, state, verdicts
from worker_support import code

GUN_ONLY = {"no_order", "notes_pending", "journal_full", "sign_in",
            "badge_unknown"}
# Order 1002 shipped with bottle B0001 in it.
SHIPPED_1002 = (
    "UPDATE orders SET status = 'shipped' WHERE id = 1002; "
    "UPDATE bottles SET status = 'shipped', order_id = 1002 "
    "WHERE serial = 'B0001'; INSERT INTO picks (order_id, serial, sku, "
    "lot_id, status) VALUES (1002, 'B0001', 'CBD-OIL-30', 'L2311A', "
    "'accepted')")


def ship(db, order_id):
    """What shipping does to an order and its picked bottles."""
    db.execute("UPDATE orders SET status = 'shipped' WHERE id = ?",
               [order_id])
    db.execute("UPDATE bottles SET status = 'shipped' WHERE order_id = ?",
               [order_id])


def _misread():
    good = code("B0001")
    return good[:-1] + ("A" if good[-1] != "A" else "B")


def _format():
    body = "PGB:B0001:CBD-OIL-30"
    return body + ":" + wire.check_char(body)


# reason -> (set-up on the demo rows, the refused event)
CASES = {
    "foreign": (None, evt(1, code_="https://example.com/x")),
    "check": (None, evt(1, code_=_misread())),
    "format": (None, evt(1, code_=_format())),
    "unknown_order": (None, pick(1, "B0001", order=999)),
    "not_pickable": (None, pick(1, "B0001", order=1004)),
    "unknown_bottle": (None, pick(1, "B9999")),
    "lot_mismatch": (None, pick(1, "B0001", lot="L2311B")),
    "duplicate": ("UPDATE bottles SET status = 'picked', order_id = 1001 "
                  "WHERE serial = 'B0001'; INSERT INTO picks (order_id, "
                  "serial, sku, lot_id, status) VALUES (1001, 'B0001', "
                  "'CBD-OIL-30', 'L2311A', 'accepted')",
                  pick(1, "B0001")),
    "bottle_taken": ("UPDATE bottles SET status = 'picked', order_id = 1002 "
                     "WHERE serial = 'B0001'; INSERT INTO picks (order_id, "
                     "serial, sku, lot_id, status) VALUES (1002, 'B0001', "
                     "'CBD-OIL-30', 'L2311A', 'accepted')",
                     pick(1, "B0001")),
    "not_in_stock": ("UPDATE bottles SET status = 'destroyed' "
                     "WHERE serial = 'B0001'", pick(1, "B0001")),
    "wrong_product": (None, pick(1, "C0001", sku="CAPS-10", lot="L2313C")),
    "over_pick": ("UPDATE order_lines SET qty = 0 WHERE order_id = 1001",
                  pick(1, "B0001")),
    "unknown_note": (None, evt(1, kind=wire.NOTES_ACK, notes=[999])),
    "lot_on_hold": ("UPDATE lots SET status = 'on_hold' "
                    "WHERE id = 'L2311A'", pick(1, "B0001")),
    "lot_recalled": ("UPDATE lots SET status = 'recalled' "
                     "WHERE id = 'L2311A'", pick(1, "B0001")),
    "expired": ("UPDATE lots SET expires_on = '2001-02-03' "
                "WHERE id = 'L2311A'", pick(1, "B0001")),
    "not_returnable": (None, ret(1, "B0001", order=1001)),
    "not_on_order": (SHIPPED_1002, ret(1, "B0002")),
    "bad_event": (None, raw(dict(wire.event(7, 1, wire.PICK, 1001, 0,
                                            "x" * 81)))),
}


def test_every_server_reason_is_covered():
    assert set(CASES) == set(wire.REASONS) - GUN_ONLY
    for reason, text in wire.REASONS.items():
        assert 0 < len(text) <= 21, reason


@pytest.mark.parametrize("reason", sorted(CASES))
def test_each_reason_is_reachable(demo, reason):
    setup, message = CASES[reason]
    if setup:
        demo.conn.executescript(setup)
    before = state(demo)
    acks = ingest_batch(demo, [message])
    assert [r["why"] for r in acks["G01"]["rej"]] == [reason]
    assert state(demo) == before
    assert verdicts(demo) == {1: ("rejected", reason)}


def test_shipped_bottle_scanned_for_another_order_is_not_in_stock(demo):
    acks = ingest_batch(demo, [pick(1, "B0001", order=1002)])
    assert acks["G01"]["rej"] == []
    ship(demo, 1002)
    acks = ingest_batch(demo, [pick(2, "B0001", order=1001)])
    assert [r["why"] for r in acks["G01"]["rej"]] == ["not_in_stock"]


@pytest.mark.parametrize("status", ["shipped", "returned", "destroyed"])
def test_bottle_out_of_stock_after_its_pick(demo, status):
    ingest_batch(demo, [pick(1, "B0001", order=1002)])
    demo.execute("UPDATE bottles SET status = ? WHERE serial = 'B0001'",
                 [status])
    acks = ingest_batch(demo, [pick(2, "B0001", order=1001)])
    assert [r["why"] for r in acks["G01"]["rej"]] == ["not_in_stock"]


def test_checks_come_in_the_documented_order(demo):
    """Each event breaks two rules; the earlier one in the table wins."""
    flower = dict(sku="FLOWER-5G", lot="L2312F")
    caps = dict(sku="CAPS-10", lot="L2313C")
    ingest_batch(demo, [pick(1, "B0001", order=1002),   # B0001 taken
                        pick(2, "F0001", **flower)])    # 1001's line full
    demo.execute("UPDATE bottles SET status = 'destroyed' "
                 "WHERE serial = 'C0002'")
    events = [
        # the code before the order: misread, for an unknown order
        (evt(3, order=999, code_=_misread()), "check"),
        # the order before its status and the bottle
        (pick(4, "B9999", order=999), "unknown_order"),
        (pick(5, "B9999", order=1004), "not_pickable"),
        # the bottle before its label
        (pick(6, "B9999", lot="L2311B"), "unknown_bottle"),
        # the label before the bottle's status
        (pick(7, "B0001", lot="L2311B"), "lot_mismatch"),
        # the bottle's status before the order's lines
        (pick(8, "F0001", **flower), "duplicate"),            # line full
        (pick(9, "F0001", order=1002, **flower), "bottle_taken"),
        (pick(10, "C0002", **caps), "not_in_stock"),          # no line
        # the line's product before its count
        (pick(11, "C0001", **caps), "wrong_product"),
        (pick(12, "F0002", **flower), "over_pick"),
    ]
    acks = ingest_batch(demo, [m for m, _ in events])
    assert [(r["seq"], r["why"]) for r in acks["G01"]["rej"]] == \
        list(zip(range(3, 13), [why for _, why in events], strict=True))


# ------------------------------------------------------------ notes_ack
def add_notes(db):
    """1001: must-acknowledge note 1 and information note 2; 1002: note 3;
    1004 (cancelled): note 4; 1003 (open): note 5."""
    db["notes"].insert_all([
        {"id": 1, "order_id": 1001, "text": "Fragile", "severity": "ack"},
        {"id": 2, "order_id": 1001, "text": "Morning", "severity": "info"},
        {"id": 3, "order_id": 1002, "text": "Gift", "severity": "ack"},
        {"id": 4, "order_id": 1004, "text": "Old", "severity": "ack"},
        {"id": 5, "order_id": 1003, "text": "Open", "severity": "ack"}])


def notes_ack(seq, order, ids):
    return evt(seq, order, kind=wire.NOTES_ACK, notes=ids)


@pytest.mark.parametrize("order,ids,why", [
    (1001, [1], None),
    (1001, [1, 2], None),         # an older gun acknowledges info notes too
    (1004, [4], "not_pickable"),  # cancelled
    (1003, [5], "not_pickable"),  # open, not placed yet
    (999, [1], "unknown_order"),
    (1001, [3], "unknown_note"),  # another order's note
    (1001, [1, 77], "unknown_note"),
])
def test_notes_ack_rules(demo, order, ids, why):
    add_notes(demo)
    before = state(demo)
    acks = ingest_batch(demo, [notes_ack(1, order, ids)])
    assert [r["why"] for r in acks["G01"]["rej"]] == ([why] if why else [])
    if why:
        assert state(demo) == before
        assert verdicts(demo) == {1: ("rejected", why)}
    else:
        h = demo.execute("SELECT order_id, action, detail FROM "
                         "order_history").fetchone()
        assert tuple(h) == (order, "notes_ack",
                            "notes " + ", ".join(map(str, ids)))


def test_refused_notes_ack_is_not_an_acknowledgement(demo):
    from server.orders.records import note_acks
    add_notes(demo)
    ingest_batch(demo, [notes_ack(1, 1001, [1, 3]),
                        notes_ack(2, 1002, [3])])
    assert note_acks(demo, 1001) == {}
    assert list(note_acks(demo, 1002)) == [3]
