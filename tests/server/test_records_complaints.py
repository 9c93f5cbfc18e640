"""Complaints tab: log a complaint against an order, list it, resolve it;
through the service, the page and the JSON API."""
import datetime

import pytest

from server.orders import complaints as record_complaints
from server.orders import records
from server.core import errors
from server.orders import states
from test_records_support import (allowed, flashed, flashed_error,
                                  last_history, locked_button, order_in,
                                  page, refused, state)

TODAY = datetime.date.today().isoformat()
GOOD = {"category": "product_quality", "description": "Oil looks cloudy",
        "reported_by": "Client, by phone", "received_on": TODAY}


def form(**changes):
    out = dict(GOOD)
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


# ---------------------------------------------------------------- service
@pytest.mark.parametrize("status", allowed("add_complaint"))
def test_add_complaint_in_allowed_status(demo, status):
    order_id = order_in(demo, status)
    c = record_complaints.add_complaint(demo, order_id, form(), "sam")
    assert (c["category"], c["description"], c["reported_by"],
            c["received_on"], c["status"], c["created_by"]) == (
        "product_quality", "Oil looks cloudy", "Client, by phone", TODAY,
        "open", "sam")
    h = last_history(demo, order_id)
    assert (h["action"], h["actor"], h["from_status"], h["to_status"]) == (
        "add_complaint", "sam", status, status)
    assert "Product quality" in h["detail"]
    listed = record_complaints.list_complaints(demo, order_id)
    assert listed[0]["id"] == c["id"]


@pytest.mark.parametrize("status", refused("add_complaint"))
def test_add_complaint_refused_status_changes_nothing(demo, status):
    order_id = order_in(demo, status)
    before = state(demo)
    with pytest.raises(states.IllegalAction):
        record_complaints.add_complaint(demo, order_id, form(), "sam")
    assert state(demo) == before


def test_unknown_order(demo):
    with pytest.raises(errors.OrderNotFound):
        record_complaints.add_complaint(demo, 999999, form(), "sam")


BAD = [
    (form(category=None), "Category"),
    (form(category="rude_driver"), "Category"),
    (form(category=3), "Category"),
    (form(description=None), "Description"),
    (form(description="   "), "Description"),
    (form(description="x" * 2001), "too long"),
    (form(description=["a"]), "Description must be text"),
    (form(reported_by=""), "Reported by"),
    (form(reported_by="x" * 81), "too long"),
    (form(received_on=None), "Received on"),
    (form(received_on="12/03/2024"), "YYYY-MM-DD"),
    (form(received_on="2024-02-30"), "not a valid date"),
    (form(received_on="2999-01-01"), "future"),
    (form(received_on="2001-01-01"), "before the order"),
]


@pytest.mark.parametrize("fields,message", BAD)
def test_bad_complaint_changes_nothing(demo, fields, message):
    before = state(demo)
    with pytest.raises(errors.BadInput, match=message):
        record_complaints.add_complaint(demo, 1001, fields, "sam")
    assert state(demo) == before


def test_resolve(demo):
    c = record_complaints.add_complaint(demo, 1001, form(), "csr")
    r = record_complaints.resolve_complaint(demo, 1001, c["id"],
                                  " Replacement shipped ", "sam")
    assert (r["status"], r["resolution"], r["resolved_by"]) == (
        "resolved", "Replacement shipped", "sam")
    assert r["resolved_at"]
    h = last_history(demo, 1001)
    assert (h["action"], h["actor"]) == ("resolve_complaint", "sam")
    assert "Replacement shipped" in h["detail"]


def test_resolve_refusals_change_nothing(demo):
    c = record_complaints.add_complaint(demo, 1001, form(), "csr")
    other = record_complaints.add_complaint(demo, 1002, form(), "csr")
    before = state(demo)
    with pytest.raises(errors.BadInput, match="Resolution"):
        record_complaints.resolve_complaint(demo, 1001, c["id"], "  ", "sam")
    with pytest.raises(records.RecordNotFound):
        record_complaints.resolve_complaint(demo, 1001, other["id"], "Done",
                                            "sam")
    with pytest.raises(records.RecordNotFound):
        record_complaints.resolve_complaint(demo, 1001, 424242, "Done", "sam")
    assert state(demo) == before
    record_complaints.resolve_complaint(demo, 1001, c["id"], "Done", "sam")
    before = state(demo)
    with pytest.raises(errors.ActionRefused, match="already resolved"):
        record_complaints.resolve_complaint(demo, 1001, c["id"], "Again",
                                            "sam")
    assert state(demo) == before


# -------------------------------------------------------------------- page
def test_tab_lists_and_logs_complaints(client, demo):
    html = page(client, "/orders/1001?tab=complaints")
    assert "No complaints for this order." in html
    assert 'action="/orders/1001/complaints"' in html
    assert 'name="csrf_token"' in html
    response = client.post("/orders/1001/complaints", data=form(
        category="adverse_reaction", description="Rash after first dose"),
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Complaint #" in html and "flash-success" in html
    assert "adverse reaction" in html
    assert "complaint-regulated" in html and "Regulated: must be reported" \
        in html
    assert "Rash after first dose" in html and "Client, by phone" in html
    assert "t-admin" in html


def test_other_categories_are_not_flagged(client, demo):
    client.post("/orders/1001/complaints", data=form())
    html = page(client, "/orders/1001?tab=complaints")
    assert "Oil looks cloudy" in html
    assert "complaint-regulated" not in html


@pytest.mark.parametrize("fields,message", BAD[:2] + BAD[3:5] + BAD[10:])
def test_bad_complaint_via_page_flashes(client, demo, fields, message):
    before = state(demo)
    response = client.post("/orders/1001/complaints", data=fields,
                           follow_redirects=True)
    assert message in flashed_error(response)
    assert state(demo) == before


def test_refused_status_via_page_flashes(client, demo):
    before = state(demo)
    response = client.post("/orders/1003/complaints", data=form())
    assert "not allowed" in flashed(client, response)
    assert state(demo) == before


def test_unknown_order_via_page_is_404(client, demo):
    assert client.post("/orders/999999/complaints",
                       data=form()).status_code == 404


def test_resolve_via_page(client, demo):
    c = record_complaints.add_complaint(demo, 1002, form(), "csr")
    html = page(client, "/orders/1002?tab=complaints")
    assert "/orders/1002/complaints/%d/resolve" % c["id"] in html
    response = client.post("/orders/1002/complaints/%d/resolve" % c["id"],
                           data={"resolution": "Refund issued"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "resolved" in html and "Refund issued" in html
    assert "/orders/1002/complaints/%d/resolve" % c["id"] not in html
    before = state(demo)
    response = client.post("/orders/1002/complaints/%d/resolve" % c["id"],
                           data={"resolution": "Again"},
                           follow_redirects=True)
    assert "already resolved" in flashed_error(response)
    assert client.post("/orders/1002/complaints/9999/resolve",
                       data={"resolution": "x"}).status_code == 404
    assert state(demo) == before


def test_associate_cannot_log_complaints(app, login, demo):
    associate = login(app.test_client(), "associate")
    before = state(demo)
    assert associate.post("/orders/1001/complaints",
                          data=form()).status_code == 403
    assert state(demo) == before
    html = page(associate, "/orders/1001?tab=complaints")
    # Shown, disabled, saying who may.
    assert locked_button(html, "log-complaint") == "Needs a CSR"


def test_csr_can_log_complaints(app, login, demo):
    csr = login(app.test_client(), "csr")
    csr.post("/orders/1001/complaints", data=form())
    listed = record_complaints.list_complaints(demo, 1001)
    assert listed[0]["created_by"] == "t-csr"


# --------------------------------------------------------------------- API
def test_api_create_list_resolve(client, demo):
    response = client.post("/api/orders/1001/complaints", json=form(
        category="adverse_reaction"))
    assert response.status_code == 201
    c = response.get_json()["complaint"]
    assert (c["category"], c["regulated"], c["created_by"]) == (
        "adverse_reaction", True, "t-admin")
    listed = client.get("/api/orders/1001/complaints").get_json()
    assert [x["id"] for x in listed["complaints"]] == [c["id"]]
    assert "adverse_reaction" in listed["categories"]
    response = client.post(
        "/api/orders/1001/complaints/%d/resolve" % c["id"],
        json={"resolution": "Reported to Health Canada"})
    assert response.status_code == 200
    assert response.get_json()["complaint"]["status"] == "resolved"
    response = client.post(
        "/api/orders/1001/complaints/%d/resolve" % c["id"],
        json={"resolution": "Again"})
    assert response.status_code == 409 and response.get_json()["error"]


@pytest.mark.parametrize("fields,message", BAD)
def test_api_bad_input_is_400(client, demo, fields, message):
    before = state(demo)
    response = client.post("/api/orders/1001/complaints", json=fields)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert state(demo) == before


@pytest.mark.parametrize("body", [["x"], "text", None])
def test_api_body_must_be_an_object(client, demo, body):
    response = client.post("/api/orders/1001/complaints", json=body) \
        if body is not None else client.post(
            "/api/orders/1001/complaints", data="nope",
            content_type="application/json")
    assert response.status_code == 400


def test_api_errors(app, login, client, demo):
    before = state(demo)
    assert client.get("/api/orders/999999/complaints").status_code == 404
    r = client.post("/api/orders/999999/complaints", json=form())
    assert r.status_code == 404 and r.get_json()["error"]
    r = client.post("/api/orders/1003/complaints", json=form())
    assert r.status_code == 409 and "not allowed" in r.get_json()["error"]
    r = client.post("/api/orders/1001/complaints/77/resolve",
                    json={"resolution": "x"})
    assert r.status_code == 404 and r.get_json()["error"]
    associate = login(app.test_client(), "associate")
    r = associate.post("/api/orders/1001/complaints", json=form())
    assert r.status_code == 403 and r.get_json()["error"]
    assert associate.get("/api/orders/1001/complaints").status_code == 200
    assert state(demo) == before
