"""Creating an order on its Overview: items, shipping, discount, coverage,
totals, and Take Payment by each method; refusals change nothing."""
import pytest

from order_helpers import history_count, order_row
from server.clients import allowance as client_allowance
from server.core import errors
from server.orders import actions as order_actions
from server.orders import create
from server.orders import queries
from server.orders import pricing
from server.orders import states
from server.core.db import transaction

# Demo clients: 1 Margaret (VAC 100%, no cap, 30 g), 2 Daniel (no coverage,
# 60 g), 3 Priya (Sun Life 80% up to $300, 15 g), 6 Robert (150 g).
DANIEL, PRIYA, ROBERT = 2, 3, 6


def new_order(db, client_id=DANIEL, lines=()):
    return create.create_order(db, client_id, list(lines), actor="csr",
                               allow_empty=True)


def act(db, order_id, action, **params):
    return order_actions.apply_action(db, order_id, action, "csr", params)


def ready(db, client_id=DANIEL, lines=(("CBD-OIL-30", 2),)):
    order_id = new_order(db, client_id, lines)
    act(db, order_id, "select_shipping", shipping_rate_id="1")
    return order_id


def snapshot(db, order_id):
    return (order_row(db, order_id),
            [tuple(r) for r in db.execute(
                "SELECT sku, qty FROM order_lines WHERE order_id = ? "
                "ORDER BY id", [order_id])],
            history_count(db, order_id))


# ------------------------------------------------------------- arithmetic
def test_totals_arithmetic():
    lines = [{"qty": 2, "price_cents": 6499}, {"qty": 1, "price_cents": 3299}]
    t = pricing.totals(lines, 1495, 1000, 50, None)
    assert t == {"subtotal_cents": 16297, "shipping_cents": 1495,
                 "discount_cents": 1000, "coverage_cents": 7649,
                 "total_cents": 16297 + 1495 - 1000 - 7649}


def test_coverage_is_capped_and_discount_never_exceeds_subtotal():
    lines = [{"qty": 10, "price_cents": 10000}]
    t = pricing.totals(lines, 2000, 0, 80, 30000)
    assert t["coverage_cents"] == 30000            # 80% would be $800
    assert t["total_cents"] == 100000 + 2000 - 30000
    t = pricing.totals([{"qty": 1, "price_cents": 500}], 1000, 9999, 100)
    assert t["discount_cents"] == 500 and t["coverage_cents"] == 0
    assert t["total_cents"] == 1000                 # shipping is not covered
    assert pricing.totals([], 0)["total_cents"] == 0


def test_coverage_rounds_half_cents_up():
    t = pricing.totals([{"qty": 1, "price_cents": 101}], 0, 0, 50, None)
    assert t["coverage_cents"] == 51 and t["total_cents"] == 50


def test_parse_money():
    assert pricing.parse_money("12.50") == 1250
    assert pricing.parse_money("$1,200") == 120000
    for bad in ("abc", "-1", "1.234", "nan"):
        with pytest.raises(ValueError):
            pricing.parse_money(bad)


# ------------------------------------------------------------ the service
def test_edit_lines_shipping_and_discount_store_totals(demo):
    order_id = new_order(demo, PRIYA)
    o = order_row(demo, order_id)
    assert o["status"] == "open" and o["total_cents"] == 0
    assert o["ship_address"] == "77 Harbord St, Toronto ON M5S 1G4"
    rev = o["rev"]
    act(demo, order_id, "edit_lines", sku="CBD-OIL-30", qty="2", op="add")
    act(demo, order_id, "edit_lines", sku="CBD-OIL-30", qty="1", op="add")
    act(demo, order_id, "edit_lines", sku="THC-CAP-10", qty="1", op="add")
    act(demo, order_id, "edit_lines", sku="THC-CAP-10", qty="0")  # remove
    act(demo, order_id, "edit_lines", sku="CBD-SFT-20", qty=2)
    assert [(line["sku"], line["qty"]) for line in queries.order_lines(
        demo, order_id)] == [("CBD-OIL-30", 3), ("CBD-SFT-20", 2)]
    assert order_row(demo, order_id)["rev"] > rev      # lines changed
    act(demo, order_id, "select_shipping", shipping_rate_id="2")
    act(demo, order_id, "edit_lines", discount="20.00",
        discount_reason="Loyalty")
    o = order_row(demo, order_id)
    subtotal = 3 * 6499 + 2 * 7999                   # 35495
    coverage = min((subtotal - 2000) * 80 // 100 + (
        1 if (subtotal - 2000) * 80 % 100 >= 50 else 0), 30000)
    assert (o["subtotal_cents"], o["shipping_cents"], o["discount_cents"],
            o["coverage_cents"]) == (subtotal, 2195, 2000, coverage)
    assert o["coverage_cents"] == 26796
    assert o["total_cents"] == subtotal + 2195 - 2000 - coverage
    assert (o["carrier"], o["shipping_rate_id"]) == ("Canada Post", 2)
    assert o["discount_reason"] == "Loyalty"
    history = [h["action"] for h in queries.order_history(demo, order_id)]
    assert history.count("edit_lines") == 6


def test_replace_all_lines_as_json(demo):
    order_id = new_order(demo, DANIEL, [("CBD-OIL-30", 1)])
    act(demo, order_id, "edit_lines",
        lines=[{"sku": "THC-CAP-10", "qty": 3}])
    assert [(line["sku"], line["qty"]) for line in queries.order_lines(
        demo, order_id)] == [("THC-CAP-10", 3)]
    assert order_row(demo, order_id)["total_cents"] == 3 * 5499


@pytest.mark.parametrize("params", [
    {"sku": "CBD-OIL-30", "qty": "-1"},
    {"sku": "CBD-OIL-30", "qty": "1.5"},
    {"sku": "CBD-OIL-30", "qty": "abc"},
    {"sku": "CBD-OIL-30", "qty": "101"},
    {"sku": "CBD-OIL-30", "qty": True},
    {"sku": "CBD-OIL-30", "qty": "0", "op": "add"},
    {"sku": "CBD-OIL-30"},
    {"sku": "NOPE", "qty": "1"},
    {"sku": "THC-CAP-10", "qty": "0"},               # not on the order
    {"lines": [{"sku": "CBD-OIL-30", "qty": 1}, {"sku": "CBD-OIL-30",
                                                 "qty": 2}]},
    {"lines": "CBD-OIL-30"},
    {"discount": "5000"},                             # above the subtotal
    {"discount": "5", "discount_reason": ""},          # no reason
    {"discount": "-5", "discount_reason": "x"},
    {},
])
def test_bad_edits_change_nothing(demo, params):
    order_id = new_order(demo, DANIEL, [("CBD-OIL-30", 1)])
    before = snapshot(demo, order_id)
    with pytest.raises(errors.BadInput):
        order_actions.apply_action(demo, order_id, "edit_lines", "csr", params)
    assert snapshot(demo, order_id) == before


@pytest.mark.parametrize("params", [{"shipping_rate_id": "99"},
                                    {"shipping_rate_id": "x"},
                                    {"carrier": ""}])
def test_unknown_shipping_rate_changes_nothing(demo, params):
    order_id = new_order(demo, DANIEL, [("CBD-OIL-30", 1)])
    before = snapshot(demo, order_id)
    with pytest.raises(errors.BadInput):
        order_actions.apply_action(demo, order_id, "select_shipping", "csr",
                                   params)
    assert snapshot(demo, order_id) == before


def test_typed_in_shipping_with_a_charge(demo):
    order_id = new_order(demo, DANIEL, [("CBD-OIL-30", 1)])
    act(demo, order_id, "select_shipping", carrier="Local courier",
        shipping="9.50", tracking="LC-1")
    o = order_row(demo, order_id)
    assert (o["carrier"], o["shipping_rate_id"], o["shipping_cents"],
            o["tracking"], o["total_cents"]) == (
        "Local courier", None, 950, "LC-1", 6499 + 950)


def test_editing_is_only_for_open_orders(demo):
    with pytest.raises(states.IllegalAction):
        act(demo, 1003, "edit_lines", sku="CBD-OIL-30", qty="1")


# --------------------------------------------------------------- payment
@pytest.mark.parametrize("method,status", [
    ("credit_card", "placed"), ("debit_card", "placed"),
    ("cash", "awaiting_payment"), ("money_order", "awaiting_payment"),
    ("cheque", "awaiting_payment")])
def test_each_payment_method_leads_to_its_status(demo, method, status):
    order_id = ready(demo)
    rev = order_row(demo, order_id)["rev"]
    result = act(demo, order_id, "take_payment", method=method,
                 reference="R-1")
    o = order_row(demo, order_id)
    assert (result["from"], result["to"], o["status"]) == (
        "open", status, status)
    assert o["payment_method"] == method and o["payment_reference"] == "R-1"
    assert o["rev"] > rev
    assert bool(o["paid_at"]) == (status == "placed")
    assert bool(o["placed_at"]) == (status == "placed")
    h = queries.order_history(demo, order_id)[0]
    assert (h["action"], h["from_status"], h["to_status"]) == (
        "take_payment", "open", status)


def test_confirm_payment_places_the_order(demo):
    order_id = ready(demo)
    act(demo, order_id, "take_payment", method="cheque")
    result = act(demo, order_id, "confirm_payment")
    o = order_row(demo, order_id)
    assert result["to"] == o["status"] == "placed"
    assert o["paid_at"] and o["placed_at"]
    assert states.awaiting_fulfilment(o["status"])


def test_payment_totals_include_coverage(demo):
    sarah = 5                                   # Blue Cross 50%, cap $200
    order_id = ready(demo, sarah, [("CBD-OIL-30", 1)])
    act(demo, order_id, "take_payment", method="credit_card")
    o = order_row(demo, order_id)
    assert o["coverage_cents"] == 3250          # 50% of $64.99, rounded
    assert o["total_cents"] == 6499 + 1495 - 3250


def refused(db, order_id, params, error=errors.ActionRefused):
    before = snapshot(db, order_id)
    with pytest.raises(error) as e:
        order_actions.apply_action(db, order_id, "take_payment", "csr", params)
    assert snapshot(db, order_id) == before
    return str(e.value)


def test_payment_refused_without_lines(demo):
    order_id = new_order(demo)
    act(demo, order_id, "select_shipping", shipping_rate_id="1")
    assert "no items" in refused(demo, order_id, {"method": "cash"})


def test_payment_refused_without_shipping(demo):
    order_id = new_order(demo, DANIEL, [("CBD-OIL-30", 1)])
    assert "shipping" in refused(demo, order_id, {"method": "cash"})


def test_payment_refused_when_unverified(demo):
    order_id = create.create_order(demo, DANIEL, [("CBD-OIL-30", 1)],
                                   source="portal", verified=False)
    act(demo, order_id, "select_shipping", shipping_rate_id="1")
    assert "unverified" in refused(demo, order_id, {"method": "cash"})
    act(demo, order_id, "verify")
    assert order_row(demo, order_id)["verified"] == 1
    with pytest.raises(errors.ActionRefused):
        act(demo, order_id, "verify")                # once is enough
    assert act(demo, order_id, "take_payment", method="cash")["to"] == \
        "awaiting_payment"


def test_payment_refused_over_the_allowance(demo):
    # Daniel: 60 g per 30 days; order 1002 (shipped 4 days ago) used 10 g.
    assert client_allowance.allowance(demo, DANIEL)["used"] == 10.0
    order_id = ready(demo, DANIEL, [("THC-FLWR-15G", 4)])     # 60 g
    message = refused(demo, order_id, {"method": "credit_card"})
    assert "exceeds the client's remaining allowance" in message
    assert "50 g" in message
    act(demo, order_id, "edit_lines", sku="THC-FLWR-15G", qty="3")
    assert act(demo, order_id, "take_payment",
               method="credit_card")["to"] == "placed"
    assert client_allowance.allowance(demo, DANIEL)["used"] == 55.0


def test_returned_grams_free_the_allowance(demo):
    with transaction(demo):
        demo["returned_grams"].insert({
            "order_id": 1002, "client_id": DANIEL, "grams": 10.0,
            "reason": "lost", "created_at": "2999-01-01 00:00:00"})
        demo.execute("UPDATE returned_grams SET created_at = "
                      "(SELECT placed_at FROM orders WHERE id = 1002)")
    a = client_allowance.allowance(demo, DANIEL)
    assert (a["used"], a["remaining"]) == (0.0, 60.0)
    order_id = ready(demo, DANIEL, [("THC-FLWR-15G", 4)])
    assert act(demo, order_id, "take_payment", method="debit_card")["to"] \
        == "placed"


def test_orders_awaiting_payment_hold_their_grams(demo):
    first = ready(demo, DANIEL, [("THC-FLWR-15G", 2)])          # 30 g
    act(demo, first, "take_payment", method="cheque")
    second = ready(demo, DANIEL, [("THC-FLWR-15G", 2)])         # 30 g more
    assert "awaiting payment" in refused(demo, second,
                                         {"method": "credit_card"})


@pytest.mark.parametrize("method", [None, "", "bitcoin"])
def test_payment_needs_a_known_method(demo, method):
    order_id = ready(demo)
    refused(demo, order_id, {"method": method}, errors.BadInput)


# ------------------------------------------------------------- the pages
def test_overview_creates_an_order_through_forms(client, demo):
    response = client.post("/clients/%d/orders" % DANIEL)
    assert response.status_code == 302
    order_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert order_row(demo, order_id)["status"] == "open"
    html = client.get("/orders/%d" % order_id).get_data(as_text=True)
    for text in ('id="add-item"', 'id="shipping-form"', 'id="payment-form"',
                 'id="discount-form"', "Total Due", "No items yet."):
        assert text in html
    url = "/orders/%d/actions/" % order_id
    client.post(url + "edit_lines", data={"sku": "CBD-OIL-30", "qty": "2",
                                          "op": "add"})
    client.post(url + "select_shipping", data={"shipping_rate_id": "5"})
    response = client.post(url + "take_payment", data={"method": "cash"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "awaiting payment" in html and 'id="confirm-payment"' in html
    assert "$142.93" in html                   # 2 x 64.99 + 12.95
    client.post(url + "confirm_payment")
    assert order_row(demo, order_id)["status"] == "placed"


def test_overview_shows_refusals_as_errors(client, demo):
    order_id = new_order(demo)
    response = client.post("/orders/%d/actions/take_payment" % order_id,
                           data={"method": "cash"}, follow_redirects=True)
    assert "no items" in response.get_data(as_text=True)
    assert order_row(demo, order_id)["status"] == "open"


def test_api_take_payment_refusal_is_409_and_bad_input_400(client, demo):
    order_id = new_order(demo)
    r = client.post("/api/orders/%d/actions/take_payment" % order_id,
                    json={"method": "cash"})
    assert r.status_code == 409 and r.get_json()["error"]
    r = client.post("/api/orders/%d/actions/edit_lines" % order_id,
                    json={"lines": [{"sku": "CBD-OIL-30", "qty": 0}]})
    assert r.status_code == 400 and r.get_json()["error"]
    r = client.post("/api/orders/%d/actions/edit_lines" % order_id,
                    json={"lines": [{"sku": "CBD-OIL-30", "qty": 1}]})
    assert r.status_code == 200


def test_associates_cannot_create_orders(app, login, demo):
    c = login(app.test_client(), "associate")
    before = demo["orders"].count
    assert c.post("/clients/2/orders").status_code == 403
    assert c.post("/orders/1007/actions/edit_lines",
                  data={"sku": "CBD-OIL-30", "qty": "1"}).status_code == 403
    assert demo["orders"].count == before
