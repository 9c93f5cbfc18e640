"""Destruction tab: destroy an order's returned bottles with net weight,
method, location, date and two different witnesses; a bottle is never
destroyed twice; supervisors only."""
import datetime
import sqlite3

import pytest

from server.orders import destruction as record_destruction
from server.orders import records
from server.core import errors
from server.orders import actions
from server.orders import states
from server.core.db import transaction
from test_records_support import (allowed, flashed, flashed_error,
                                  last_history, locked_button, order_in,
                                  page, refused, state)

TODAY = datetime.date.today().isoformat()


def bottles_of(db, order_id):
    return [r["serial"] for r in db.execute(
        "SELECT serial FROM picks WHERE order_id = ? AND status = 'accepted' "
        "ORDER BY serial", [order_id])]


def bottle_status(db, serial):
    return db["bottles"].get(serial)["status"]


def form(serials, **changes):
    out = {"serials": serials, "net_weight_grams": "5.8",
           "method": "incineration", "location": "Vault room B",
           "destroyed_on": TODAY, "witness_1": "Sam Supervisor",
           "witness_2": "Alex Admin"}
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


def changed(serials, changes):
    """form(serials) with `changes` (None: leave the field out)."""
    out = form(serials)
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


@pytest.fixture
def returned(demo):
    """Order 1001 (delivered) with its two bottles returned."""
    actions.apply_action(demo, 1001, "return_bottles", "sam")
    serials = bottles_of(demo, 1001)
    assert len(serials) == 2
    assert {bottle_status(demo, s) for s in serials} == {"returned"}
    return serials


# ---------------------------------------------------------------- service
def test_destroy_returned_bottles(demo, returned):
    d = record_destruction.record_destruction(demo, 1001, form(returned),
                                              "sam")
    assert [b["serial"] for b in d["bottles"]] == returned
    assert (d["net_weight_grams"], d["method"], d["location"],
            d["destroyed_on"], d["witness_1"], d["witness_2"],
            d["created_by"]) == (5.8, "incineration", "Vault room B", TODAY,
                                 "Sam Supervisor", "Alex Admin", "sam")
    assert {bottle_status(demo, s) for s in returned} == {"destroyed"}
    h = last_history(demo, 1001)
    assert (h["action"], h["actor"], h["from_status"], h["to_status"]) == (
        "record_destruction", "sam", "delivered", "delivered")
    assert returned[0] in h["detail"] and "Sam Supervisor" in h["detail"]
    assert record_destruction.list_destructions(demo, 1001)[0]["id"] == d["id"]


def test_net_weight_is_bounded_by_the_bottles_destroyed(demo, returned):
    """Two CBD-OIL-30 bottles declare 6 g each: 12 g, 13.2 g with the
    10% the scale may add."""
    before = state(demo)
    with pytest.raises(errors.BadInput,
                       match=r"at most 13\.2 g .*12 g declared"):
        record_destruction.record_destruction(
            demo, 1001, form(returned, net_weight_grams="13.201"), "sam")
    with pytest.raises(errors.BadInput, match=r"at most 6\.6 g"):
        record_destruction.record_destruction(
            demo, 1001, form(returned[:1], net_weight_grams="61.5"), "sam")
    assert state(demo) == before
    d = record_destruction.record_destruction(
        demo, 1001, form(returned, net_weight_grams="13.2"), "sam")
    assert d["net_weight_grams"] == 13.2


@pytest.mark.parametrize("weight", ["0.0004", 0.0001, "1e-9"])
def test_weight_that_rounds_to_nothing_is_refused(demo, returned, weight):
    before = state(demo)
    with pytest.raises(errors.BadInput, match="round to 0"):
        record_destruction.record_destruction(
            demo, 1001, form(returned, net_weight_grams=weight), "sam")
    assert state(demo) == before


def test_tab_shows_each_bottles_declared_grams(client, demo, returned):
    html = page(client, "/orders/1001?tab=destruction")
    assert "(returned, 6 g declared)" in html
    assert "declared grams + 10%" in html


def test_destroy_some_then_the_rest(demo, returned):
    record_destruction.record_destruction(demo, 1001, form(returned[:1]),
                                          "sam")
    assert bottle_status(demo, returned[1]) == "returned"
    record_destruction.record_destruction(
        demo, 1001, form([returned[1].lower()]), "sam")
    assert len(record_destruction.list_destructions(demo, 1001)) == 2
    assert bottle_status(demo, returned[1]) == "destroyed"


def test_same_bottle_twice_in_one_request_counts_once(demo, returned):
    d = record_destruction.record_destruction(
        demo, 1001, form([returned[0], returned[0]]), "sam")
    assert [b["serial"] for b in d["bottles"]] == [returned[0]]


def test_bottle_cannot_be_destroyed_twice(demo, returned):
    record_destruction.record_destruction(demo, 1001, form(returned), "sam")
    before = state(demo)
    with pytest.raises(errors.ActionRefused, match="Already destroyed"):
        record_destruction.record_destruction(demo, 1001, form(returned[:1]),
                                              "sam")
    assert state(demo) == before


def test_database_refuses_a_second_record_of_a_bottle(demo, returned):
    d = record_destruction.record_destruction(demo, 1001,
                                              form(returned[:1]), "sam")
    with pytest.raises(sqlite3.IntegrityError):
        with transaction(demo):
            other = demo["destructions"].insert({"order_id": 1001}).last_pk
            demo["destruction_bottles"].insert({
                "destruction_id": other, "serial": returned[0]})
    assert len(record_destruction.list_destructions(demo, 1001)) == 1
    assert d["bottles"][0]["serial"] == returned[0]


def test_bottles_not_returned_yet_are_refused(demo):
    serials = bottles_of(demo, 1001)           # delivered: still shipped
    before = state(demo)
    with pytest.raises(errors.ActionRefused, match="Return Bottles first"):
        record_destruction.record_destruction(demo, 1001, form(serials), "sam")
    assert state(demo) == before


def test_refused_order_bottles_destroyed_directly(demo):
    order_id = order_in(demo, states.REFUSED)
    serials = bottles_of(demo, order_id)
    assert {bottle_status(demo, s) for s in serials} == {"shipped"}
    record_destruction.record_destruction(demo, order_id, form(serials), "sam")
    assert {bottle_status(demo, s) for s in serials} == {"destroyed"}


def test_bottles_of_other_orders_are_refused(demo, returned):
    before = state(demo)
    for serial in (bottles_of(demo, 1002)[0], "B999999", "NOPE"):
        with pytest.raises(errors.BadInput, match="Not a bottle of this"):
            record_destruction.record_destruction(demo, 1001,
                                                  form([serial]), "sam")
    assert state(demo) == before


@pytest.mark.parametrize("status", allowed("record_destruction"))
def test_allowed_statuses_pass_the_status_check(demo, status):
    order_id = order_in(demo, status)
    # Every allowed status gets as far as the bottles.
    with pytest.raises(errors.BadInput, match="Not a bottle"):
        record_destruction.record_destruction(demo, order_id,
                                              form(["B999999"]), "sam")


@pytest.mark.parametrize("status", refused("record_destruction"))
def test_refused_status_changes_nothing(demo, status):
    order_id = order_in(demo, status)
    serials = bottles_of(demo, order_id) or ["B000101"]
    before = state(demo)
    with pytest.raises(states.IllegalAction):
        record_destruction.record_destruction(demo, order_id,
                                              form(serials), "sam")
    assert state(demo) == before


BAD = [
    ({"serials": []}, "at least one bottle"),
    ({"serials": None}, "serials"),
    ({"serials": "  "}, "at least one bottle"),
    ({"serials": [1, 2]}, "list of bottle serials"),
    ({"net_weight_grams": None}, "Net weight"),
    ({"net_weight_grams": "0"}, "more than 0"),
    ({"net_weight_grams": "-4"}, "more than 0"),
    ({"net_weight_grams": "heavy"}, "number of grams"),
    ({"net_weight_grams": "nan"}, "more than 0"),
    ({"net_weight_grams": "inf"}, "more than 0"),
    ({"net_weight_grams": "1000000"}, "at most"),
    ({"method": None}, "Method"),
    ({"method": "flushing"}, "Method"),
    ({"location": ""}, "Location"),
    ({"location": "x" * 121}, "too long"),
    ({"destroyed_on": None}, "Destroyed on"),
    ({"destroyed_on": "yesterday"}, "YYYY-MM-DD"),
    ({"destroyed_on": "2999-12-31"}, "future"),
    ({"witness_1": None}, "Witness 1"),
    ({"witness_2": "  "}, "Witness 2"),
    ({"witness_2": "sam  SUPERVISOR"}, "two different people"),
    ({"witness_1": "Alex Admin"}, "two different people"),
]


@pytest.mark.parametrize("changes,message", BAD)
def test_bad_input_changes_nothing(demo, returned, changes, message):
    fields = changed(returned, changes)
    before = state(demo)
    with pytest.raises(errors.BadInput, match=message):
        record_destruction.record_destruction(demo, 1001, fields, "sam")
    assert state(demo) == before


def test_weight_accepts_numbers_and_a_decimal_comma(demo, returned):
    d = record_destruction.record_destruction(
        demo, 1001, form(returned[:1], net_weight_grams=6), "sam")
    assert d["net_weight_grams"] == 6
    d = record_destruction.record_destruction(
        demo, 1001, form(returned[1:], net_weight_grams="5,25"), "sam")
    assert d["net_weight_grams"] == 5.25


# -------------------------------------------------------------------- page
def test_tab_lists_bottles_and_records_a_destruction(client, demo, returned):
    html = page(client, "/orders/1001?tab=destruction")
    for serial in returned:
        assert 'name="serials" value="%s"' % serial in html
    assert 'action="/orders/1001/destructions"' in html
    assert 'name="csrf_token"' in html
    response = client.post("/orders/1001/destructions", data=form(returned),
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "flash-success" in html and "2 bottles destroyed" in html
    assert "Sam Supervisor and Alex Admin" in html
    assert "Vault room B" in html and "5.8 g" in html
    assert "Incineration" in html
    assert 'name="serials"' not in html            # nothing left to destroy
    assert "2 of 2 bottles destroyed" in html
    assert {bottle_status(demo, s) for s in returned} == {"destroyed"}


def test_tab_says_return_bottles_first(client, demo):
    html = page(client, "/orders/1001?tab=destruction")
    assert "Return Bottles" in html and 'name="serials"' not in html
    for serial in bottles_of(demo, 1001):
        assert serial in html                      # listed, not offered


def test_second_destruction_via_page_is_refused(client, demo, returned):
    client.post("/orders/1001/destructions", data=form(returned))
    before = state(demo)
    response = client.post("/orders/1001/destructions",
                           data=form(returned[:1]), follow_redirects=True)
    assert "Already destroyed" in flashed_error(response)
    assert state(demo) == before


# A form cannot send a missing list or numbers: the other cases.
@pytest.mark.parametrize("changes,message", BAD[:1] + BAD[2:3] + BAD[4:])
def test_bad_input_via_page_flashes(client, demo, returned, changes,
                                    message):
    fields = changed(returned, changes)
    before = state(demo)
    response = client.post("/orders/1001/destructions", data=fields,
                           follow_redirects=True)
    assert message.lower() in flashed_error(response).lower()
    assert state(demo) == before


def test_refused_status_via_page_flashes(client, demo):
    before = state(demo)
    response = client.post("/orders/1003/destructions",
                           data=form(bottles_of(demo, 1003)))
    assert "not allowed" in flashed(client, response)
    assert state(demo) == before


def test_csr_cannot_record_destruction(app, login, demo, returned):
    csr = login(app.test_client(), "csr")
    before = state(demo)
    assert csr.post("/orders/1001/destructions",
                    data=form(returned)).status_code == 403
    r = csr.post("/api/orders/1001/destructions", json=form(returned))
    assert r.status_code == 403 and "Supervisor" in r.get_json()["error"]
    assert state(demo) == before
    html = page(csr, "/orders/1001?tab=destruction")
    assert locked_button(html, "record-destruction") == "Needs a supervisor"


def test_supervisor_records_destruction(app, login, demo, returned):
    supervisor = login(app.test_client(), "supervisor")
    supervisor.post("/orders/1001/destructions", data=form(returned))
    listed = record_destruction.list_destructions(demo, 1001)
    assert listed[0]["created_by"] == "t-supervisor"


def test_unknown_order_via_page_is_404(client, demo):
    assert client.post("/orders/999999/destructions",
                       data=form(["B000101"])).status_code == 404


# --------------------------------------------------------------------- API
def test_api_create_and_list(client, demo, returned):
    listed = client.get("/api/orders/1001/destructions").get_json()
    assert listed["destructions"] == [] and listed["destructible"] == returned
    assert [b["serial"] for b in listed["bottles"]] == returned
    response = client.post("/api/orders/1001/destructions",
                           json=form(returned, net_weight_grams=11.5))
    assert response.status_code == 201
    d = response.get_json()["destruction"]
    assert [b["serial"] for b in d["bottles"]] == returned
    listed = client.get("/api/orders/1001/destructions").get_json()
    assert [x["id"] for x in listed["destructions"]] == [d["id"]]
    assert listed["destructible"] == []
    assert {b["status"] for b in listed["bottles"]} == {"destroyed"}
    response = client.post("/api/orders/1001/destructions",
                           json=form(returned))
    assert response.status_code == 409
    assert "Already destroyed" in response.get_json()["error"]


@pytest.mark.parametrize("changes,message", BAD)
def test_api_bad_input_is_400(client, demo, returned, changes, message):
    fields = changed(returned, changes)
    before = state(demo)
    response = client.post("/api/orders/1001/destructions", json=fields)
    assert response.status_code == 400
    assert message.lower() in response.get_json()["error"].lower()
    assert state(demo) == before


def test_api_errors(client, demo, returned):
    before = state(demo)
    assert client.get("/api/orders/999999/destructions").status_code == 404
    r = client.post("/api/orders/999999/destructions", json=form(returned))
    assert r.status_code == 404
    r = client.post("/api/orders/1003/destructions",
                    json=form(bottles_of(demo, 1003)))
    assert r.status_code == 409 and "not allowed" in r.get_json()["error"]
    r = client.post("/api/orders/1001/destructions", json=[1])
    assert r.status_code == 400
    assert state(demo) == before


# ------------------------------------------------------------------ undo
def test_undo_puts_bottles_back_and_keeps_the_record(demo, returned):
    d = record_destruction.record_destruction(demo, 1001,
                                              form(returned[:1]), "sam")
    undone = record_destruction.undo_destruction(
        demo, 1001, d["id"], "Recorded against the wrong order", "alex")
    assert (undone["undone_by"], undone["undo_reason"]) == (
        "alex", "Recorded against the wrong order")
    assert undone["undone_at"]
    assert bottle_status(demo, returned[0]) == "returned"
    assert last_history(demo, 1001)["action"] == "undo_destruction"
    # The record stays on file; the bottle may be destroyed again.
    again = record_destruction.record_destruction(demo, 1001,
                                                  form(returned[:1]), "sam")
    assert again["id"] != d["id"]
    assert bottle_status(demo, returned[0]) == "destroyed"
    assert len(record_destruction.list_destructions(demo, 1001)) == 2


def test_undo_refusals_change_nothing(demo, returned):
    d = record_destruction.record_destruction(demo, 1001, form(returned),
                                              "sam")
    with pytest.raises(errors.BadInput, match="Reason"):
        record_destruction.undo_destruction(demo, 1001, d["id"], " ", "alex")
    assert {bottle_status(demo, s) for s in returned} == {"destroyed"}
    record_destruction.undo_destruction(demo, 1001, d["id"], "mistake", "alex")
    with pytest.raises(errors.ActionRefused, match="already undone"):
        record_destruction.undo_destruction(demo, 1001, d["id"], "again",
                                            "alex")
    with pytest.raises(records.RecordNotFound):
        record_destruction.undo_destruction(demo, 1001, 9999, "x", "alex")


def test_undo_through_page_and_api_needs_a_supervisor(app, login, client,
                                                      demo, returned):
    d = record_destruction.record_destruction(demo, 1001, form(returned),
                                              "sam")
    csr = login(app.test_client(), "csr")
    url = "/orders/1001/destructions/%d/undo" % d["id"]
    assert csr.post(url, data={"reason": "x"}).status_code == 403
    assert csr.post("/api" + url, json={"reason": "x"}).status_code == 403
    html = client.get("/orders/1001?tab=destruction").get_data(as_text=True)
    assert 'data-undo="%d"' % d["id"] in html
    r = client.post("/api" + url, json={"reason": "Wrong bottles"})
    assert r.status_code == 200
    assert r.get_json()["destruction"]["undo_reason"] == "Wrong bottles"
    assert client.post("/api" + url, json={"reason": "again"}
                       ).status_code == 409
    html = client.get("/orders/1001?tab=destruction").get_data(as_text=True)
    assert "Undone" in html and 'data-undo="%d"' % d["id"] not in html


def test_refused_form_keeps_what_was_typed(client, demo, returned):
    data = form(returned[:1], witness_2="sam supervisor",
                location="Vault room C")
    response = client.post("/orders/1001/destructions", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "two different people" in html
    assert 'value="Vault room C"' in html and 'value="5.8"' in html
    assert 'value="%s" checked' % returned[0] in html
    assert '<option value="incineration" selected>' in html
    assert bottle_status(demo, returned[0]) == "returned"
