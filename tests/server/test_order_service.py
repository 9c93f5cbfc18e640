"""server.orders: each action's effect, its history row and snapshot
revision, and that a refused action changes nothing."""
import pytest

from order_helpers import (history_count, in_stock, order_row, place_order,
                           record_pick)
from server.core import errors
from server.orders import actions
from server.orders import create as order_create
from server.orders import queries
from server.orders import states
from server.core.db import transaction
from server.gunlink.snapshots import order_snapshot
from shared import wire


@pytest.fixture
def placed(demo):
    """A fresh placed order: 2 x CBD-OIL-30 and 1 x THC-CAP-10."""
    order_id = order_create.create_order(
        demo, 1, [("CBD-OIL-30", 2), ("THC-CAP-10", 1)], actor="tester",
        notes=["Fragile: include ice pack"])
    place_order(demo, order_id)
    return order_id


def pick_all(db, order_id):
    for line in queries.order_lines(db, order_id):
        for serial in in_stock(db, line["sku"], line["qty"]):
            record_pick(db, order_id, serial)


def test_create_order_prices_lines_and_records_history(demo):
    order_id = order_create.create_order(
        demo, 2, [{"sku": "CBD-OIL-30", "qty": 2},
                  {"sku": "BAL-FLWR-3G5", "qty": 1}])
    o = order_row(demo, order_id)
    assert o["status"] == "open" and o["rev"] == 1
    assert o["total_cents"] == 2 * 6499 + 3299
    assert [(line["sku"], line["qty"], line["picked"])
            for line in queries.order_lines(demo, order_id)] == [
        ("CBD-OIL-30", 2, 0), ("BAL-FLWR-3G5", 1, 0)]
    assert queries.order_history(demo, order_id)[0]["action"] == "create"


@pytest.mark.parametrize("lines", [[], [("NOPE", 1)], [("CBD-OIL-30", 0)],
                                   [("CBD-OIL-30", 1), ("CBD-OIL-30", 2)]])
def test_create_order_refuses_bad_lines(demo, lines):
    before = demo["orders"].count
    with pytest.raises(errors.BadInput):
        order_create.create_order(demo, 1, lines)
    assert demo["orders"].count == before


def test_payment_moves_status_bumps_rev_and_records_who(demo):
    order_id = order_create.create_order(demo, 1, [("CBD-OIL-30", 1)])
    rev = order_row(demo, order_id)["rev"]
    result = place_order(demo, order_id, "alice")
    assert (result["from"], result["to"]) == ("open", "placed")
    o = order_row(demo, order_id)
    assert o["status"] == "placed" and o["rev"] > rev
    assert o["placed_by"] == "alice" and o["placed_at"]
    h = queries.order_history(demo, order_id)[0]
    assert (h["action"], h["from_status"], h["to_status"], h["actor"]) == (
        "take_payment", "open", "placed", "alice")


def test_reason_is_recorded_in_the_history(demo, placed):
    actions.apply_action(demo, placed, "cancel", "alice",
                        {"reason": "Client moved abroad"})
    h = queries.order_history(demo, placed)[0]
    assert h["action"] == "cancel" and "Client moved abroad" in h["detail"]


@pytest.mark.parametrize("action", sorted(actions.DONE_ELSEWHERE))
def test_actions_with_their_own_form_are_refused_here(demo, action):
    order_id = next(i for i in range(1001, 1009) if states.can(
        order_row(demo, i)["status"], action))
    entries = history_count(demo, order_id)
    with pytest.raises(errors.BadInput, match="not as an Order Menu"):
        actions.apply_action(demo, order_id, action, "tester")
    assert history_count(demo, order_id) == entries


def test_illegal_action_changes_nothing(demo, placed):
    before = order_row(demo, placed)
    entries = history_count(demo, placed)
    with pytest.raises(states.IllegalAction, match="Delete Order is not "
                       "allowed for an order in status Order Placed"):
        actions.apply_action(demo, placed, "delete", "tester")
    assert order_row(demo, placed) == before
    assert history_count(demo, placed) == entries
    assert not demo.conn.in_transaction


def test_unknown_order(demo):
    with pytest.raises(errors.OrderNotFound):
        actions.apply_action(demo, 999999, "take_payment", "tester")
    with pytest.raises(errors.OrderNotFound):
        actions.add_note(demo, 999999, "hello", "tester")


def test_add_note_bumps_rev_and_reaches_the_snapshot(demo, placed):
    rev = order_row(demo, placed)["rev"]
    note_id = actions.add_note(demo, placed, "  Signature required  ", "bob")
    assert order_row(demo, placed)["rev"] == rev + 1
    snap = wire.check_snapshot(order_snapshot(demo, placed))
    assert {"id": note_id, "text": "Signature required"} in snap["notes"]
    assert queries.order_history(demo, placed)[0]["action"] == "add_note"


def test_add_note_through_apply_action(demo, placed):
    result = actions.apply_action(demo, placed, "add_note", "bob",
                                 {"text": "Call before delivery"})
    assert result["note_id"]
    assert queries.order_notes(demo, placed)[-1]["text"] == \
        "Call before delivery"


@pytest.mark.parametrize("text", ["", "   ", None, "x" * 501, 42])
def test_bad_note_is_refused_without_change(demo, placed, text):
    rev = order_row(demo, placed)["rev"]
    with pytest.raises(errors.BadInput):
        actions.add_note(demo, placed, text, "bob")
    assert order_row(demo, placed)["rev"] == rev


def test_reset_picking_returns_bottles_to_stock(demo, placed):
    pick_all(demo, placed)
    serials = [p["serial"] for p in queries.order_picks(demo, placed)]
    assert len(serials) == 3
    rev = order_row(demo, placed)["rev"]
    result = actions.apply_action(demo, placed, "reset_picking", "tester")
    assert "3 bottles" in result["message"]
    for serial in serials:
        b = demo["bottles"].get(serial)
        assert (b["status"], b["order_id"]) == ("in_stock", None)
    assert {p["status"]
            for p in queries.order_picks(demo, placed)} == {"reset"}
    assert order_row(demo, placed)["rev"] == rev + 1
    assert order_snapshot(demo, placed)["bot"] == []
    assert all(line["picked"] == 0
               for line in queries.order_lines(demo, placed))
    # The same bottles can be picked again: no accepted pick holds them.
    record_pick(demo, placed, serials[0])


def test_ship_refused_until_every_line_is_picked(demo, placed):
    record_pick(demo, placed, in_stock(demo, "CBD-OIL-30")[0])
    before = order_row(demo, placed)
    with pytest.raises(errors.ActionRefused, match="CBD-OIL-30 \\(1 of 2\\)"):
        actions.apply_action(demo, placed, "ship", "tester")
    assert order_row(demo, placed) == before


def test_ship_marks_bottles_shipped(demo, placed):
    pick_all(demo, placed)
    rev = order_row(demo, placed)["rev"]
    actions.apply_action(demo, placed, "ship", "tester",
                        {"tracking": "7023 4411"})
    o = order_row(demo, placed)
    assert (o["status"], o["tracking"], o["rev"]) == (
        "shipped", "7023 4411", rev + 1)
    assert o["shipped_at"]
    statuses = {demo["bottles"].get(p["serial"])["status"]
                for p in queries.order_picks(demo, placed)}
    assert statuses == {"shipped"}


def test_return_bottles_after_delivery(demo, placed):
    pick_all(demo, placed)
    for action in ("ship", "mark_delivered", "return_bottles"):
        actions.apply_action(demo, placed, action, "tester")
    assert {demo["bottles"].get(p["serial"])["status"]
            for p in queries.order_picks(demo, placed)} == {"returned"}


def test_cancel_placed_order_releases_picked_bottles(demo, placed):
    pick_all(demo, placed)
    actions.apply_action(demo, placed, "cancel", "tester")
    assert order_row(demo, placed)["status"] == "cancelled"
    assert demo.execute("SELECT count(*) FROM bottles WHERE order_id = ?",
                        [placed]).fetchone()[0] == 0
    assert "returned to inventory" in \
        queries.order_history(demo, placed)[0]["detail"]


def test_delete_removes_open_order(demo):
    order_id = order_create.create_order(demo, 1, [("CBD-OIL-30", 1)],
                                   notes=["x"])
    result = actions.apply_action(demo, order_id, "delete", "tester")
    assert result["deleted"]
    assert order_row(demo, order_id) is None
    assert demo.execute("SELECT count(*) FROM order_lines WHERE order_id = ?",
                        [order_id]).fetchone()[0] == 0


def test_archive_toggles_without_bumping_rev(demo, placed):
    rev = order_row(demo, placed)["rev"]
    actions.apply_action(demo, placed, "archive", "tester")
    assert order_row(demo, placed)["archived"] == 1
    actions.apply_action(demo, placed, "archive", "tester")
    assert order_row(demo, placed)["archived"] == 0
    assert order_row(demo, placed)["rev"] == rev
    assert [h["detail"] for h in queries.order_history(demo, placed)[:2]] == [
        "unarchived", "archived"]


def test_select_shipping_needs_a_carrier(demo):
    order_id = order_create.create_order(demo, 1, [("CBD-OIL-30", 1)])
    with pytest.raises(errors.BadInput):
        actions.apply_action(demo, order_id, "select_shipping", "t", {})
    actions.apply_action(demo, order_id, "select_shipping", "t",
                        {"carrier": "Purolator", "tracking": ""})
    o = order_row(demo, order_id)
    assert (o["carrier"], o["tracking"]) == ("Purolator", None)


def test_ship_records_carrier_tracking_and_date(demo, placed):
    pick_all(demo, placed)
    actions.apply_action(demo, placed, "ship", "tom",
                        {"carrier": "Purolator", "tracking": "335098812299"})
    o = order_row(demo, placed)
    assert (o["carrier"], o["tracking"]) == ("Purolator", "335098812299")
    assert o["shipped_at"]
    h = queries.order_history(demo, placed)[0]
    assert h["actor"] == "tom" and "335098812299" in h["detail"]
    actions.apply_action(demo, placed, "mark_delivered", "tom")
    assert order_row(demo, placed)["delivered_at"]


def test_actions_join_the_callers_transaction(demo, placed):
    with pytest.raises(RuntimeError):
        with transaction(demo):
            actions.apply_action(demo, placed, "refund", "tester")
            raise RuntimeError("caller fails after the action")
    assert order_row(demo, placed)["status"] == "placed"


def test_list_orders_filters_searches_and_sorts(demo):
    ids = [o["id"] for o in queries.list_orders(demo, sort="id")]
    assert ids == sorted(ids, reverse=True) and len(ids) == 8
    placed = queries.list_orders(demo, status="placed")
    assert len(placed) >= 3 and {o["status"] for o in placed} == {"placed"}
    assert [o["client_name"] for o in queries.list_orders(
        demo, search="Raman")] == ["Priya Raman"]
    assert [o["id"]
            for o in queries.list_orders(demo, search="1003")] == [1003]
    by_status = [o["status"] for o in queries.list_orders(demo, sort="status")]
    assert by_status == sorted(by_status, key=states.STATUSES.index)


def test_pick_action_only_points_to_the_guns(demo, placed):
    before = order_row(demo, placed)
    entries = history_count(demo, placed)
    result = actions.apply_action(demo, placed, "pick", "tester")
    assert "scanner gun" in result["message"]
    assert order_row(demo, placed) == before
    assert history_count(demo, placed) == entries


def test_order_history_is_append_only(demo):
    import sqlite3
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        demo.execute("UPDATE order_history SET actor = 'someone else' "
                      "WHERE order_id = 1001")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        demo.execute("DELETE FROM order_history WHERE order_id = 1001")
    # Deleting an Open order takes its history with it.
    actions.apply_action(demo, 1007, "delete", "tester")
    assert history_count(demo, 1007) == 0


def test_order_with_documents_cannot_be_deleted(demo):
    from server.core.db import transaction
    with transaction(demo):
        demo["documents"].insert({"order_id": 1007, "kind": "upload",
                                  "stored_name": "x", "created_at": "now"})
    with pytest.raises(errors.ActionRefused, match="cancel it instead"):
        actions.apply_action(demo, 1007, "delete", "tester")
    assert order_row(demo, 1007)["status"] == "open"
