"""The Overview tab's rules, through the services, the pages and the JSON
API: an order without items is neither picked nor payable; a refunded
order shows its refund; the after-shipping records (complaints,
destruction, returned grams) only for an order that dispensed something;
buttons named as the Order Menu names them, disabled with what they need
rather than hidden."""
import datetime
import re

import pytest

from order_helpers import everything, order_row
from server.orders import complaints as record_complaints
from server.orders import destruction as record_destruction
from server.orders import returned_grams as record_returned_grams
from server.core import errors
from server.core import history
from server.orders import actions as order_actions
from server.orders import create
from server.orders import queries
from server.orders import states
from server.core.db import transaction
from test_records_support import flashed, locked_button, page

DANIEL = 2
RECORD_TABS = ["complaints", "destruction", "returned_grams"]
RECORDS = ["add_complaint", "record_destruction", "return_grams"]
TODAY_COMPLAINT = {"category": "product_quality", "description": "Cloudy",
                   "reported_by": "Client, by phone",
                   "received_on": datetime.date.today().isoformat()}


def empty_order(db, **changes):
    """A new Open order without items (as Create new order makes it),
    with shipping selected; `changes` written straight to its row."""
    order_id = create.create_order(db, DANIEL, [], actor="csr",
                                   allow_empty=True)
    order_actions.apply_action(db, order_id, "select_shipping", "csr",
                        {"shipping_rate_id": "1"})
    if changes:
        with transaction(db):
            db["orders"].update(order_id, changes)
    return order_id


def tabs_of(html):
    return re.findall(r'class="tab" data-tab="([a-z_]+)"', html)


# ------------------------------------------------------ an empty order
def test_an_empty_order_is_not_fully_picked(demo):
    order_id = empty_order(demo)
    d = queries.order_detail(demo, order_id)
    assert d["lines"] == [] and d["fully_picked"] is False
    assert queries.fully_picked([]) is False
    assert d["not_ready"] == {"verify": "Add an item first",
                              "take_payment": "Add an item first"}


@pytest.mark.parametrize("status,action,params", [
    ("open", "take_payment", {"method": "credit_card"}),
    ("open", "take_payment", {}),
    ("open", "verify", {}),
    ("awaiting_payment", "confirm_payment", {}),
    ("awaiting_payment", "verify", {}),
    ("placed", "ship", {"tracking": "7023"}),
    ("placed", "pick", {}),
])
def test_an_empty_order_refuses_what_needs_items(demo, status, action,
                                                 params):
    order_id = empty_order(demo, status=status, verified=0)
    before = everything(demo)
    with pytest.raises(errors.ActionRefused) as err:
        order_actions.apply_action(demo, order_id, action, "csr", params)
    label = states.ACTIONS[action].label
    assert str(err.value) == \
        "%s: the order has no items. Add an item first." % label
    assert everything(demo) == before


@pytest.mark.parametrize("action,params", [
    ("take_payment", {"method": "cash"}), ("verify", {})])
def test_an_empty_order_refuses_payment_through_page_and_api(
        client, demo, action, params):
    order_id = empty_order(demo, verified=0)
    before = everything(demo)
    response = client.post("/orders/%d/actions/%s" % (order_id, action),
                           data=params)
    assert "Add an item first" in flashed(client, response)
    r = client.post("/api/orders/%d/actions/%s" % (order_id, action),
                    json=params)
    assert r.status_code == 409
    assert r.get_json()["error"].endswith(
        "the order has no items. Add an item first.")
    assert everything(demo) == before


def test_the_api_says_what_an_empty_order_waits_for(client, demo):
    order_id = empty_order(demo)
    actions = {a["name"]: a for a in client.get(
        "/api/orders/%d" % order_id).get_json()["actions"]}
    assert actions["take_payment"]["not_ready"] == "Add an item first"
    assert actions["edit_lines"]["not_ready"] is None
    assert client.get("/api/orders/%d" % order_id).get_json()[
        "fully_picked"] is False
    order_actions.apply_action(demo, order_id, "edit_lines", "csr",
                        {"sku": "CBD-OIL-30", "qty": "1"})
    actions = {a["name"]: a for a in client.get(
        "/api/orders/%d" % order_id).get_json()["actions"]}
    assert actions["take_payment"]["not_ready"] is None


def test_only_an_open_order_is_created_without_items(demo):
    before = everything(demo)
    for status in ("awaiting_payment", "placed", "shipped"):
        with pytest.raises(errors.BadInput, match="at least one line"):
            create.create_order(demo, DANIEL, [], status=status,
                                allow_empty=True)
    assert everything(demo) == before


def test_the_overview_of_an_empty_order(client, demo):
    order_id = empty_order(demo)
    html = page(client, "/orders/%d" % order_id)
    assert "Fully picked" not in html
    assert locked_button(html, "take-payment") == "Add an item first"
    assert re.search(r'<button [^>]*id="take-payment"[^>]*>Take Payment'
                     r'</button>', html)
    assert 'id="payment-amount">$14.95<' in html
    live = page(client, "/orders/%d/live" % order_id)
    assert "Fully picked" not in live and "No items yet" in live
    # With an item it can be paid.
    order_actions.apply_action(demo, order_id, "edit_lines", "csr",
                        {"sku": "CBD-OIL-30", "qty": "1"})
    assert locked_button(page(client, "/orders/%d" % order_id),
                         "take-payment") is None


# ------------------------------------------------------------- refunds
def test_a_refund_reads_back_from_the_history(demo):
    # 1003: placed with a bottle picked; refunding returns it to stock.
    total = order_row(demo, 1003)["total_cents"]
    reason = "Client moved; asked by phone: no longer needed"
    order_actions.apply_action(demo, 1003, "refund", "sam", {"reason": reason})
    refund = queries.refund_of(demo, 1003)
    assert (refund["by"], refund["reason"], refund["amount_cents"]) == (
        "sam", reason, total)
    assert refund["at"] == queries.order_history(demo, 1003)[0]["at"]
    detail = queries.order_history(demo, 1003)[0]["detail"]
    assert detail.startswith("Refunded $%.2f" % (total / 100))
    assert "returned to inventory" in detail
    assert queries.refund_of(demo, 1004) is None


def test_a_refund_recorded_before_amounts_were_kept(demo):
    with transaction(demo):
        demo["orders"].update(1004, {"status": "refunded"})
        history.record_history(
            demo, 1004, "refund", "placed", "refunded", "old.csr",
            "Reason: damaged in transit; 2 picked bottle(s) returned to "
            "inventory", at="2024-02-01 10:00:00")
    refund = queries.refund_of(demo, 1004)
    assert refund == {"by": "old.csr", "at": "2024-02-01 10:00:00",
                      "reason": "damaged in transit",
                      "amount_cents": order_row(demo, 1004)["total_cents"]}


def test_a_refunded_order_shows_its_refund(app, login, demo):
    supervisor = login(app.test_client(), "supervisor")
    total = order_row(demo, 1004)["total_cents"]
    receipts_before = page(supervisor, "/orders/1004?tab=receipts")
    supervisor.post("/orders/1004/actions/refund",
                    data={"reason": "Duplicate order"})
    html = page(supervisor, "/orders/1004")
    money = "$%.2f" % (total / 100)
    assert 'id="refund-amount">%s<' % money in html
    assert 'id="refund-by">t-supervisor<' in html
    assert 'id="refund-reason">Duplicate order<' in html
    assert 'id="total-refunded">−%s<' % money in html
    assert 'id="total-due">%s<' % money in html
    api = supervisor.get("/api/orders/1004").get_json()["refund"]
    assert (api["by"], api["reason"], api["amount_cents"]) == (
        "t-supervisor", "Duplicate order", total)
    # The receipts say what they said.
    receipts = page(supervisor, "/orders/1004?tab=receipts")
    assert _receipt_money(receipts) == _receipt_money(receipts_before)


def _receipt_money(html):
    start = html.index('class="receipt-money"')
    return html[start:html.index("</tfoot>", start)]


# ---------------------------------------------- after-shipping records
def stopped_before_shipping(db, how):
    """A demo order that never dispensed: refused or refunded while placed
    (1003 had a bottle picked, now back in stock), or cancelled 1008."""
    if how == "cancelled":
        return 1008
    order_actions.apply_action(db, 1003, how, "test")
    return 1003


def record(db, action, order_id):
    if action == "add_complaint":
        return record_complaints.add_complaint(db, order_id,
                                               TODAY_COMPLAINT, "sam")
    if action == "record_destruction":
        return record_destruction.record_destruction(db, order_id, {
            "serials": ["B000101"], "net_weight_grams": 1,
            "method": "incineration", "location": "Vault",
            "witness_1": "A", "witness_2": "B"}, "sam")
    return record_returned_grams.return_grams(db, order_id, {"grams": 1,
                                               "reason": "returned"}, "sam")


RECORD_URLS = {"add_complaint": "complaints",
               "record_destruction": "destructions",
               "return_grams": "returned-grams"}


@pytest.mark.parametrize("how", ["refuse", "refund"])
@pytest.mark.parametrize("action", RECORDS)
def test_no_record_for_an_order_that_dispensed_nothing(client, demo, how,
                                                        action):
    order_id = stopped_before_shipping(demo, how)
    assert queries.get_order(demo, order_id)["dispensed"] is False
    before = everything(demo)
    with pytest.raises(states.NothingDispensed, match="left the building"):
        record(demo, action, order_id)
    url = "/orders/%d/%s" % (order_id, RECORD_URLS[action])
    response = client.post(url, data={"grams": "1", "reason": "returned"})
    assert response.status_code == 409
    assert "left the building" in flashed(client, response)
    r = client.post("/api/" + url.lstrip("/"), json={"grams": 1})
    assert r.status_code == 409 and "left the building" in \
        r.get_json()["error"]
    assert everything(demo) == before


@pytest.mark.parametrize("how", ["refuse", "refund", "cancelled"])
def test_no_record_tab_or_action_for_an_order_that_dispensed_nothing(
        client, demo, how):
    order_id = stopped_before_shipping(demo, how)
    for tab in [None] + RECORD_TABS:
        html = page(client, "/orders/%d" % order_id + (
            "?tab=" + tab if tab else ""))
        assert not set(tabs_of(html)) & set(RECORD_TABS)
        for tab_name in RECORD_TABS:
            assert 'id="tab-%s"' % tab_name not in html
    names = [a["name"] for a in client.get(
        "/api/orders/%d" % order_id).get_json()["actions"]]
    assert not set(names) & set(RECORDS)
    assert not set(queries.order_detail(demo, order_id)["actions"]) & \
        set(RECORDS)


@pytest.mark.parametrize("how", ["refuse", "refund"])
def test_an_order_that_shipped_keeps_its_records(client, demo, how):
    order_actions.apply_action(demo, 1002, how, "test")
    assert queries.get_order(demo, 1002)["dispensed"] is True
    html = page(client, "/orders/1002")
    assert tabs_of(html)[-3:] == RECORD_TABS
    c = record_complaints.add_complaint(demo, 1002, TODAY_COMPLAINT, "sam")
    assert c["status"] == "open"


def test_records_from_before_stay_visible_read_only(client, demo):
    """A complaint and a credit made on orders that dispensed nothing,
    before the rule: their tabs stay, showing them, with no form."""
    order_actions.apply_action(demo, 1004, "refund", "test")
    with transaction(demo):
        demo["complaints"].insert({
            "order_id": 1004, "category": "billing",
            "description": "Charged twice", "reported_by": "Client",
            "received_on": "2024-02-01", "status": "open",
            "created_by": "old.csr", "created_at": "2024-02-01 10:00:00"})
        demo["returned_grams"].insert({
            "order_id": 1008, "client_id": DANIEL, "grams": 5.0,
            "reason": "cancelled", "created_by": "old.sup",
            "created_at": "2024-02-01 10:00:00"})
    html = page(client, "/orders/1004?tab=complaints")
    assert tabs_of(html) == ["overview", "receipts", "dispensing",
                             "complaints"]
    assert "Charged twice" in html and 'id="read-only"' in html
    assert "no bottle of this order left the building" in html
    assert 'action="/orders/1004/complaints"' not in html
    assert "/resolve" not in html
    html = page(client, "/orders/1008?tab=returned_grams")
    assert tabs_of(html) == ["overview", "returned_grams"]
    assert 'id="credit-' in html and 'id="read-only"' in html
    assert 'action="/orders/1008/returned-grams"' not in html
    # Nothing new is written there.
    complaint = record_complaints.list_complaints(demo, 1004)[0]
    before = everything(demo)
    with pytest.raises(states.NothingDispensed):
        record_complaints.resolve_complaint(demo, 1004, complaint["id"],
                                            "Refunded", "sam")
    with pytest.raises(states.IllegalAction):
        record_returned_grams.return_grams(demo, 1008, {"grams": 1,
                                          "reason": "returned"}, "sam")
    assert everything(demo) == before


# --------------------------------------------- buttons and their roles
def test_buttons_carry_the_order_menu_names(client, demo):
    order_id = empty_order(demo)
    order_actions.apply_action(demo, order_id, "edit_lines", "csr",
                        {"sku": "CBD-OIL-30", "qty": "1"})
    html = page(client, "/orders/%d" % order_id)
    for button_id, name in [("select-shipping", "Select Shipping"),
                            ("take-payment", "Take Payment")]:
        assert re.search(r'<button [^>]*id="%s"[^>]*>%s</button>'
                         % (button_id, name), html)
    order_actions.apply_action(demo, order_id, "take_payment", "csr",
                        {"method": "cheque"})
    html = page(client, "/orders/%d" % order_id)
    assert re.search(r'<button [^>]*id="confirm-payment"[^>]*>'
                     r'Confirm Payment</button>', html)
    # What the status no longer allows is not shown.
    for button_id in ("take-payment", "select-shipping", "add-item-button"):
        assert 'id="%s"' % button_id not in html


def test_an_action_the_role_may_not_use_is_shown_disabled(app, login, demo):
    associate = login(app.test_client(), "associate")
    html = page(associate, "/orders/1007")
    for button_id in ("take-payment", "select-shipping", "add-item-button",
                      "apply-discount"):
        assert locked_button(html, button_id) == "Needs a CSR"
    csr = login(app.test_client(), "csr")
    html = page(csr, "/orders/1007")
    for button_id in ("take-payment", "select-shipping", "add-item-button"):
        assert locked_button(html, button_id) is None
    html = page(csr, "/orders/1001?tab=returned_grams")
    assert locked_button(html, "return-grams") == "Needs a supervisor"
    order_actions.apply_action(demo, 1001, "return_bottles", "test")
    html = page(csr, "/orders/1001?tab=destruction")
    assert locked_button(html, "record-destruction") == "Needs a supervisor"
    supervisor = login(app.test_client(), "supervisor")
    html = page(supervisor, "/orders/1001?tab=destruction")
    assert locked_button(html, "record-destruction") is None


def test_an_unverified_empty_order_cannot_be_verified(client, demo):
    order_id = empty_order(demo, verified=0)
    html = page(client, "/orders/%d" % order_id)
    assert locked_button(html, "verify-order") == "Add an item first"
