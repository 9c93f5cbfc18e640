"""Every Order Menu action in every status, through the JSON API: the
allowed ones work and are in the history; the refused ones answer 409 and
change nothing (order row, lines, history, bottles)."""
import pytest

from order_helpers import history_count, in_stock, order_row, record_pick
from server.orders import actions as order_actions
from server.orders import create
from server.orders import queries
from server.orders import states

JEAN_LUC = 4     # demo client with room in his prescription for the tests

# Fields that make an allowed action succeed on a fresh order.
PARAMS = {
    "select_shipping": {"carrier": "Canpar"},
    "take_payment": {"method": "credit_card"},
    "edit_lines": {"sku": "CBD-OIL-30", "qty": 2, "op": "set"},
    "ship": {"tracking": "7023 0000 1111 2222"},
    "cancel": {"reason": "Client asked by phone"},
}
MENU = [a for a in states.ACTIONS
        if a not in order_actions.DONE_ELSEWHERE and a != "add_note"]


def fresh_order(db, status, action):
    order_id = create.create_order(
        db, JEAN_LUC, [("CBD-OIL-30", 1)], actor="tester", status=status,
        carrier="Canada Post", verified=action != "verify")
    if action == "ship":
        record_pick(db, order_id, in_stock(db, "CBD-OIL-30")[0])
    return order_id


def snapshot(db, order_id):
    return (order_row(db, order_id), history_count(db, order_id),
            [tuple(r) for r in db.execute(
                "SELECT sku, qty FROM order_lines WHERE order_id = ?",
                [order_id])],
            [tuple(r) for r in db.execute(
                "SELECT serial, status FROM bottles WHERE order_id = ?",
                [order_id])])


CASES = [(s, a) for s in states.STATUSES for a in sorted(states.ACTIONS)]


@pytest.mark.parametrize("status,action", [
    c for c in CASES if not states.can(*c)])
def test_refused_action_is_409_and_changes_nothing(client, demo, status,
                                                   action):
    order_id = fresh_order(demo, status, action)
    before = snapshot(demo, order_id)
    response = client.post("/api/orders/%d/actions/%s" % (order_id, action),
                           json=PARAMS.get(action, {}))
    assert response.status_code == 409
    assert "not allowed for an order in status" in \
        response.get_json()["error"]
    assert snapshot(demo, order_id) == before


@pytest.mark.parametrize("status,action", [
    c for c in CASES if states.can(*c) and c[1] in MENU])
def test_allowed_action_works_and_is_recorded(client, demo, status, action):
    order_id = fresh_order(demo, status, action)
    entries = history_count(demo, order_id)
    response = client.post("/api/orders/%d/actions/%s" % (order_id, action),
                           json=PARAMS.get(action, {}))
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["result"]
    if action == "delete":
        assert order_row(demo, order_id) is None
        return
    expected = states.payment_target(status, "credit_card") \
        if action == "take_payment" else states.target(status, action)
    assert result["to"] == expected == order_row(demo, order_id)["status"]
    if action != "pick":        # picking happens on the guns
        assert history_count(demo, order_id) == entries + 1
        latest = queries.order_history(demo, order_id)[0]
        assert (latest["action"], latest["actor"]) == (action, "t-admin")


@pytest.mark.parametrize("action", ["refund", "delete", "record_destruction",
                                    "return_grams"])
def test_csr_role_is_refused_supervisor_actions(app, login, demo, action):
    csr = login(app.test_client(), "csr")
    status = next(s for s in states.STATUSES if states.can(s, action))
    order_id = fresh_order(demo, status, action)
    before = snapshot(demo, order_id)
    response = csr.post("/api/orders/%d/actions/%s" % (order_id, action),
                        json={})
    assert response.status_code == 403
    assert snapshot(demo, order_id) == before
