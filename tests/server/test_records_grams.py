"""Returned Grams tab: credit grams back to the client's prescription,
at most what the order dispensed (its bottles that left the building)
less what is already credited; supervisors only."""
import pytest

from server.orders import returned_grams as record_returned_grams
from server.clients import allowance as client_allowance
from server.core import errors
from server.orders import actions
from server.orders import queries
from server.orders import states
from server.core.db import transaction
from test_records_support import (allowed, flashed, flashed_error,
                                  last_history, locked_button, page, refused,
                                  state)

from order_helpers import place_order, record_pick

# 1001 (delivered): CBD-OIL-30 x 2 = 12 g, both bottles shipped; 1002
# (shipped): THC-CAP-10 x 1 (3 g) + BAL-FLWR-3G5 x 2 (7 g) = 10 g, all
# shipped; 1008 (cancelled, never picked): THC-FLWR-15G x 2 = 30 g;
# 1003 (placed): one bottle picked, nothing shipped.  Daniel Okafor
# (client 2) holds 1002 and 1008.
DANIEL = 2


def credited_rows(db, order_id):
    return [dict(r) for r in db.execute(
        "SELECT order_id, client_id, grams, reason, comment, created_by "
        "FROM returned_grams WHERE order_id = ? ORDER BY id", [order_id])]


def dispensing_order(db, status):
    """A demo order in `status` whose bottles left the building: 1001
    delivered, 1002 shipped, or 1002 refused or refunded after shipping."""
    if status == states.DELIVERED:
        return 1001
    if status in (states.REFUSED, states.REFUNDED):
        actions.apply_action(db, 1002, {states.REFUSED: "refuse",
                                       states.REFUNDED: "refund"}[status],
                            "test")
    return 1002


def remaining(db, client_id):
    return client_allowance.allowance(db, client_id)["remaining"]


# ---------------------------------------------------------------- service
def test_credit_and_cap(demo):
    actions.apply_action(demo, 1002, "refuse", "test")
    assert record_returned_grams.grams_summary(demo, 1002) == {
        "order_grams": 10.0, "dispensed_grams": 10.0, "credited": 0,
        "available": 10.0}
    credit = record_returned_grams.return_grams(demo, 1002, {
        "grams": "4", "reason": "refused", "comment": " by phone "}, "sam")
    assert (credit["order_id"], credit["client_id"], credit["grams"],
            credit["reason"], credit["comment"], credit["created_by"]) == (
        1002, DANIEL, 4.0, "refused", "by phone", "sam")
    h = last_history(demo, 1002)
    assert (h["action"], h["actor"], h["from_status"], h["to_status"]) == (
        "return_grams", "sam", "refused", "refused")
    assert "4 g" in h["detail"]
    before = state(demo)
    with pytest.raises(errors.BadInput, match="At most 6 g"):
        record_returned_grams.return_grams(demo, 1002, {"grams": 6.5,
                                          "reason": "refused"}, "sam")
    assert state(demo) == before
    record_returned_grams.return_grams(
        demo, 1002, {"grams": 6, "reason": "refused"}, "sam")
    assert record_returned_grams.grams_summary(demo, 1002)["available"] == 0
    before = state(demo)
    with pytest.raises(errors.ActionRefused, match="already credited"):
        record_returned_grams.return_grams(demo, 1002, {"grams": 0.5,
                                          "reason": "refused"}, "sam")
    assert state(demo) == before


def test_undispensed_order_cannot_raise_the_allowance(demo):
    """A cancelled order that never left the building: crediting its 30 g
    would give the client 30 g the prescription never allowed."""
    allowance = client_allowance.allowance(demo, DANIEL)
    assert record_returned_grams.grams_summary(
        demo, 1008)["dispensed_grams"] == 0
    before = state(demo)
    with pytest.raises(states.IllegalAction, match="Cancelled"):
        record_returned_grams.return_grams(demo, 1008, {"grams": 30,
                                          "reason": "cancelled"}, "sam")
    assert state(demo) == before
    assert client_allowance.allowance(demo, DANIEL) == allowance


@pytest.mark.parametrize("order_id,action", [
    (1004, "refund"),       # placed, refunded before picking
    (1003, "cancel"),       # placed with a bottle picked, then cancelled
    (1003, "refuse"),       # refused before it shipped
])
def test_orders_stopped_before_shipping_credit_nothing(demo, order_id,
                                                       action):
    actions.apply_action(demo, order_id, action, "test")
    client_id = queries.get_order(demo, order_id)["client_id"]
    left = remaining(demo, client_id)
    before = state(demo)
    # Refused or refunded: it dispensed nothing (order_states says so);
    # cancelled: the status has no after-shipping records at all.
    with pytest.raises(states.IllegalAction):
        record_returned_grams.return_grams(demo, order_id, {"grams": 1,
                                              "reason": "returned"}, "sam")
    assert state(demo) == before
    assert remaining(demo, client_id) == left


def test_refused_order_keeps_counting_what_it_dispensed(demo):
    """Refusing a shipped order does not give its grams back by itself:
    they come back only as a credit, and only once."""
    left = remaining(demo, DANIEL)
    actions.apply_action(demo, 1002, "refuse", "test")
    assert remaining(demo, DANIEL) == left
    record_returned_grams.return_grams(
        demo, 1002, {"grams": 10, "reason": "refused"}, "sam")
    assert remaining(demo, DANIEL) == left + 10
    with pytest.raises(errors.ActionRefused):
        record_returned_grams.return_grams(
            demo, 1002, {"grams": 1, "reason": "refused"}, "sam")
    assert remaining(demo, DANIEL) == left + 10


def test_credit_for_an_order_outside_the_window_frees_nothing(demo):
    """Order 1001 (12 g, Margaret) placed 40 days ago: its grams no longer
    count, so crediting them must not free grams of this window, which
    holds her order 1007 (4 g) placed today."""
    margaret = queries.get_order(demo, 1001)["client_id"]
    with transaction(demo):
        demo.execute("UPDATE orders SET placed_at = datetime('now', "
                     "'-40 days'), created_at = datetime('now', '-41 days') "
                     "WHERE id = 1001")
    place_order(demo, 1007)
    left = remaining(demo, margaret)
    assert client_allowance.allowance(demo, margaret)["used"] == 4.0
    record_returned_grams.return_grams(
        demo, 1001, {"grams": 12, "reason": "returned"}, "sam")
    assert remaining(demo, margaret) == left


def test_only_bottles_that_left_count(demo):
    """Order 1003 ships with one of its bottles reset first: only the
    bottles that shipped can be credited."""
    serials = [r["serial"] for r in demo.execute(
        "SELECT serial FROM bottles WHERE sku = 'CBD-SFT-20' "
        "AND status = 'in_stock' ORDER BY serial LIMIT 2")]
    for serial in serials:
        record_pick(demo, 1003, serial)
    actions.apply_action(demo, 1003, "ship", "test")
    # CBD-OIL-30 (6 g) + 2 x CBD-SFT-20 (4 g) shipped.
    assert record_returned_grams.grams_summary(
        demo, 1003)["dispensed_grams"] == 14.0
    actions.apply_action(demo, 1003, "refund", "test")
    with transaction(demo):
        demo.execute("UPDATE bottles SET status = 'in_stock' "
                     "WHERE serial = ?", [serials[0]])
    assert record_returned_grams.grams_summary(
        demo, 1003)["dispensed_grams"] == 10.0
    with pytest.raises(errors.BadInput, match="At most 10 g"):
        record_returned_grams.return_grams(
            demo, 1003, {"grams": 14, "reason": "returned"}, "sam")


def test_only_cannabis_lines_count(demo):
    with transaction(demo):
        demo.execute("UPDATE products SET cannabis = 0 "
                     "WHERE sku = 'THC-CAP-10'")
    assert record_returned_grams.grams_summary(
        demo, 1002)["order_grams"] == 7.0
    assert record_returned_grams.grams_summary(
        demo, 1002)["dispensed_grams"] == 7.0
    with pytest.raises(errors.BadInput, match="At most 7 g"):
        record_returned_grams.return_grams(
            demo, 1002, {"grams": 8, "reason": "lost"}, "s")


def test_order_without_cannabis_is_refused(demo):
    with transaction(demo):
        demo.execute("UPDATE products SET cannabis = 0")
    before = state(demo)
    with pytest.raises(errors.ActionRefused, match="no cannabis"):
        record_returned_grams.return_grams(
            demo, 1002, {"grams": 1, "reason": "lost"}, "sam")
    assert state(demo) == before


DISPENSING = sorted(set(allowed("return_grams")) - {states.CANCELLED})


@pytest.mark.parametrize("status", DISPENSING)
def test_allowed_statuses(demo, status):
    order_id = dispensing_order(demo, status)
    record_returned_grams.return_grams(
        demo, order_id, {"grams": 1.5, "reason": "returned"}, "sam")
    assert [r["grams"] for r in credited_rows(demo, order_id)] == [1.5]


@pytest.mark.parametrize("status", refused("return_grams"))
def test_refused_status_changes_nothing(demo, status):
    order_id = {states.OPEN: 1007, states.AWAITING_PAYMENT: 1006,
                states.PLACED: 1003, states.CANCELLED: 1008}[status]
    before = state(demo)
    with pytest.raises(states.IllegalAction):
        record_returned_grams.return_grams(demo, order_id,
                             {"grams": 1, "reason": "returned"}, "sam")
    assert state(demo) == before


# On order 1001 (12 g dispensed).
BAD = [
    ({"grams": 1}, "Reason"),
    ({"grams": 1, "reason": "stolen"}, "Reason"),
    ({"grams": 1, "reason": ["lost"]}, "Reason"),
    ({"reason": "lost"}, "Grams"),
    ({"grams": 0, "reason": "lost"}, "more than 0"),
    ({"grams": -3, "reason": "lost"}, "more than 0"),
    ({"grams": "lots", "reason": "lost"}, "number of grams"),
    ({"grams": True, "reason": "lost"}, "number of grams"),
    ({"grams": [1], "reason": "lost"}, "number of grams"),
    ({"grams": {"g": 1}, "reason": "lost"}, "number of grams"),
    ({"grams": "nan", "reason": "lost"}, "more than 0"),
    ({"grams": "inf", "reason": "lost"}, "more than 0"),
    ({"grams": "1e30", "reason": "lost"}, "at most"),
    ({"grams": 10 ** 30, "reason": "lost"}, "at most"),
    ({"grams": "0.0004", "reason": "lost"}, "round to 0"),
    ({"grams": "1.0005", "reason": "lost"}, "3 decimals"),
    ({"grams": 13, "reason": "lost"}, "At most 12 g"),
    ({"grams": 1, "reason": "lost", "comment": "x" * 2001}, "too long"),
    ({"grams": 1, "reason": "lost", "comment": "a\x00b"},
     "control characters"),
]


@pytest.mark.parametrize("fields,message", BAD)
def test_bad_input_changes_nothing(demo, fields, message):
    before = state(demo)
    with pytest.raises(errors.BadInput, match=message):
        record_returned_grams.return_grams(demo, 1001, fields, "sam")
    assert state(demo) == before


# -------------------------------------------------------------------- page
def test_tab_shows_totals_and_credits(client, demo):
    html = page(client, "/orders/1001?tab=returned_grams")
    assert 'id="grams-ordered">12 g' in html
    assert 'id="grams-dispensed">12 g' in html
    assert 'id="grams-available">12 g' in html
    assert 'action="/orders/1001/returned-grams"' in html
    assert 'name="csrf_token"' in html
    response = client.post("/orders/1001/returned-grams", data={
        "grams": "2.5", "reason": "returned", "comment": "Client called"},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "2.5 g credited back" in html
    assert 'id="grams-credited">2.5 g' in html
    assert 'id="grams-available">9.5 g' in html
    assert "Returned by the client" in html and "Client called" in html
    assert "Total credited" in html


def test_undispensed_order_has_no_tab(client, demo):
    """Cancelled order 1008 never shipped: no Returned Grams tab (its URL
    shows the overview), and a credit posted anyway is refused."""
    html = page(client, "/orders/1008?tab=returned_grams")
    assert 'data-tab="returned_grams"' not in html
    assert 'id="tab-returned_grams"' not in html
    assert 'action="/orders/1008/returned-grams"' not in html
    before = state(demo)
    response = client.post("/orders/1008/returned-grams", data={
        "grams": "30", "reason": "cancelled"})
    assert "not allowed" in flashed(client, response)
    assert state(demo) == before


@pytest.mark.parametrize("fields,message", [
    (f, m) for f, m in BAD if isinstance(f.get("grams", ""), (str, int))
    and not isinstance(f.get("grams"), bool)
    and not isinstance(f.get("reason"), list)])
def test_bad_input_via_page_flashes(client, demo, fields, message):
    before = state(demo)
    response = client.post("/orders/1001/returned-grams", data=fields,
                           follow_redirects=True)
    assert message in flashed_error(response)
    assert state(demo) == before


def test_refused_status_via_page_flashes(client, demo):
    before = state(demo)
    response = client.post("/orders/1003/returned-grams",
                           data={"grams": "1", "reason": "returned"})
    assert "not allowed" in flashed(client, response)
    assert state(demo) == before


def test_fully_credited_tab_offers_no_form(client, demo):
    record_returned_grams.return_grams(
        demo, 1001, {"grams": 12, "reason": "returned"}, "sam")
    html = page(client, "/orders/1001?tab=returned_grams")
    assert "Nothing left to credit" in html
    assert 'action="/orders/1001/returned-grams"' not in html


def test_csr_cannot_return_grams(app, login, demo):
    csr = login(app.test_client(), "csr")
    before = state(demo)
    assert csr.post("/orders/1001/returned-grams", data={
        "grams": "1", "reason": "returned"}).status_code == 403
    r = csr.post("/api/orders/1001/returned-grams",
                 json={"grams": 1, "reason": "returned"})
    assert r.status_code == 403 and r.get_json()["error"]
    assert state(demo) == before
    html = page(csr, "/orders/1001?tab=returned_grams")
    assert locked_button(html, "return-grams") == "Needs a supervisor"
    assert csr.get("/api/orders/1001/returned-grams").status_code == 200


def test_supervisor_returns_grams(app, login, demo):
    supervisor = login(app.test_client(), "supervisor")
    supervisor.post("/orders/1001/returned-grams",
                    data={"grams": "2", "reason": "returned"})
    assert credited_rows(demo, 1001)[0]["created_by"] == "t-supervisor"


def test_unknown_order_via_page_is_404(client, demo):
    assert client.post("/orders/999999/returned-grams", data={
        "grams": "1", "reason": "lost"}).status_code == 404


# --------------------------------------------------------------------- API
def test_api_create_and_list(client, demo):
    response = client.post("/api/orders/1001/returned-grams",
                           json={"grams": 6, "reason": "returned"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["credit"]["grams"], body["credited"], body["available"],
            body["order_grams"]) == (6.0, 6.0, 6.0, 12.0)
    listed = client.get("/api/orders/1001/returned-grams").get_json()
    assert [c["grams"] for c in listed["credits"]] == [6.0]
    assert listed["credits"][0]["reason_label"] == "Returned by the client"
    assert listed["available"] == 6.0 and "lost" in listed["reasons"]
    response = client.post("/api/orders/1001/returned-grams",
                           json={"grams": 6.5, "reason": "returned"})
    assert response.status_code == 400
    assert "At most 6 g" in response.get_json()["error"]
    client.post("/api/orders/1001/returned-grams",
                json={"grams": 6, "reason": "returned"})
    response = client.post("/api/orders/1001/returned-grams",
                           json={"grams": 1, "reason": "returned"})
    assert response.status_code == 409


@pytest.mark.parametrize("fields,message", BAD)
def test_api_bad_input_is_400(client, demo, fields, message):
    before = state(demo)
    response = client.post("/api/orders/1001/returned-grams", json=fields)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert state(demo) == before


def test_api_errors(client, demo):
    before = state(demo)
    assert client.get("/api/orders/999999/returned-grams").status_code == 404
    r = client.post("/api/orders/999999/returned-grams",
                    json={"grams": 1, "reason": "lost"})
    assert r.status_code == 404 and r.get_json()["error"]
    r = client.post("/api/orders/1003/returned-grams",
                    json={"grams": 1, "reason": "lost"})
    assert r.status_code == 409 and "not allowed" in r.get_json()["error"]
    r = client.post("/api/orders/1008/returned-grams", json="1 g")
    assert r.status_code == 400
    assert state(demo) == before
