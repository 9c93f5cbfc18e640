"""Returned Grams tab: credit grams back to the client's prescription,
at most the order's cannabis grams less what is already credited;
supervisors only."""
import pytest

from server import order_states as states
from server import orders, records
from server.db import write
from test_records_support import (allowed, flashed, flashed_error,
                                  last_history, order_in, page, refused,
                                  state)

# 1008 (cancelled): THC-FLWR-15G x 2 = 30 g; 1002 (shipped): THC-CAP-10 x 1
# (3 g) + BAL-FLWR-3G5 x 2 (7 g) = 10 g.


def credited_rows(db, order_id):
    return [dict(r) for r in db.execute(
        "SELECT order_id, client_id, grams, reason, comment, created_by "
        "FROM returned_grams WHERE order_id = ? ORDER BY id", [order_id])]


# ---------------------------------------------------------------- service
def test_credit_and_cap(demo):
    assert records.grams_summary(demo, 1008) == {
        "order_grams": 30.0, "credited": 0, "available": 30.0}
    credit = records.return_grams(demo, 1008, {
        "grams": "10", "reason": "cancelled", "comment": " by phone "}, "sam")
    client_id = orders.get_order(demo, 1008)["client_id"]
    assert (credit["order_id"], credit["client_id"], credit["grams"],
            credit["reason"], credit["comment"], credit["created_by"]) == (
        1008, client_id, 10.0, "cancelled", "by phone", "sam")
    h = last_history(demo, 1008)
    assert (h["action"], h["actor"], h["from_status"], h["to_status"]) == (
        "return_grams", "sam", "cancelled", "cancelled")
    assert "10 g" in h["detail"]
    before = state(demo)
    with pytest.raises(orders.BadInput, match="At most 20 g"):
        records.return_grams(demo, 1008, {"grams": 20.5,
                                          "reason": "cancelled"}, "sam")
    assert state(demo) == before
    records.return_grams(demo, 1008, {"grams": 20, "reason": "cancelled"},
                         "sam")
    assert records.grams_summary(demo, 1008) == {
        "order_grams": 30.0, "credited": 30.0, "available": 0}
    before = state(demo)
    with pytest.raises(orders.ActionRefused, match="already credited"):
        records.return_grams(demo, 1008, {"grams": 0.5,
                                          "reason": "cancelled"}, "sam")
    assert state(demo) == before


def test_only_cannabis_lines_count(demo):
    with write(demo):
        demo.execute("UPDATE products SET cannabis = 0 "
                     "WHERE sku = 'THC-CAP-10'")
    assert records.grams_summary(demo, 1002)["order_grams"] == 7.0
    with pytest.raises(orders.BadInput, match="At most 7 g"):
        records.return_grams(demo, 1002, {"grams": 8, "reason": "lost"}, "s")


def test_order_without_cannabis_is_refused(demo):
    with write(demo):
        demo.execute("UPDATE products SET cannabis = 0")
    before = state(demo)
    with pytest.raises(orders.ActionRefused, match="no cannabis"):
        records.return_grams(demo, 1008, {"grams": 1, "reason": "cancelled"},
                             "sam")
    assert state(demo) == before


@pytest.mark.parametrize("status", allowed("return_grams"))
def test_allowed_statuses(demo, status):
    order_id = order_in(demo, status)
    records.return_grams(demo, order_id, {"grams": 1.5, "reason": "returned"},
                         "sam")
    assert [r["grams"] for r in credited_rows(demo, order_id)] == [1.5]


@pytest.mark.parametrize("status", refused("return_grams"))
def test_refused_status_changes_nothing(demo, status):
    order_id = order_in(demo, status)
    before = state(demo)
    with pytest.raises(states.IllegalAction):
        records.return_grams(demo, order_id,
                             {"grams": 1, "reason": "returned"}, "sam")
    assert state(demo) == before


BAD = [
    ({"grams": 1}, "Reason"),
    ({"grams": 1, "reason": "stolen"}, "Reason"),
    ({"grams": 1, "reason": ["lost"]}, "Reason"),
    ({"reason": "lost"}, "Grams"),
    ({"grams": 0, "reason": "lost"}, "more than 0"),
    ({"grams": -3, "reason": "lost"}, "more than 0"),
    ({"grams": "lots", "reason": "lost"}, "number of grams"),
    ({"grams": True, "reason": "lost"}, "number of grams"),
    ({"grams": "nan", "reason": "lost"}, "more than 0"),
    ({"grams": 31, "reason": "lost"}, "At most 30 g"),
    ({"grams": 1, "reason": "lost", "comment": "x" * 2001}, "too long"),
]


@pytest.mark.parametrize("fields,message", BAD)
def test_bad_input_changes_nothing(demo, fields, message):
    before = state(demo)
    with pytest.raises(orders.BadInput, match=message):
        records.return_grams(demo, 1008, fields, "sam")
    assert state(demo) == before


# -------------------------------------------------------------------- page
def test_tab_shows_totals_and_credits(client, demo):
    html = page(client, "/orders/1008?tab=returned_grams")
    assert 'id="grams-ordered">30 g' in html
    assert 'id="grams-available">30 g' in html
    assert 'action="/orders/1008/returned-grams"' in html
    assert 'name="csrf_token"' in html
    response = client.post("/orders/1008/returned-grams", data={
        "grams": "12.5", "reason": "cancelled", "comment": "Client called"},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "12.5 g credited back" in html
    assert 'id="grams-credited">12.5 g' in html
    assert 'id="grams-available">17.5 g' in html
    assert "Order cancelled" in html and "Client called" in html
    assert "Total credited" in html


@pytest.mark.parametrize("fields,message", [
    (f, m) for f, m in BAD if not isinstance(f.get("grams"), bool)
    and not isinstance(f.get("reason"), list)])
def test_bad_input_via_page_flashes(client, demo, fields, message):
    before = state(demo)
    response = client.post("/orders/1008/returned-grams", data=fields,
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
    records.return_grams(demo, 1008, {"grams": 30, "reason": "cancelled"},
                         "sam")
    html = page(client, "/orders/1008?tab=returned_grams")
    assert "Nothing left to credit" in html
    assert 'action="/orders/1008/returned-grams"' not in html


def test_csr_cannot_return_grams(app, login, demo):
    csr = login(app.test_client(), "csr")
    before = state(demo)
    assert csr.post("/orders/1008/returned-grams", data={
        "grams": "1", "reason": "cancelled"}).status_code == 403
    r = csr.post("/api/orders/1008/returned-grams",
                 json={"grams": 1, "reason": "cancelled"})
    assert r.status_code == 403 and r.get_json()["error"]
    assert state(demo) == before
    html = page(csr, "/orders/1008?tab=returned_grams")
    assert "needs a Supervisor" in html
    assert csr.get("/api/orders/1008/returned-grams").status_code == 200


def test_supervisor_returns_grams(app, login, demo):
    supervisor = login(app.test_client(), "supervisor")
    supervisor.post("/orders/1008/returned-grams",
                    data={"grams": "2", "reason": "cancelled"})
    assert credited_rows(demo, 1008)[0]["created_by"] == "t-supervisor"


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
    response = client.post("/api/orders/1008/returned-grams", json=fields)
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
