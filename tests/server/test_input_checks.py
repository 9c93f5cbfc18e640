"""What every route does with ids, numbers, amounts and text it cannot
use: a path id SQLite cannot hold is a 404 like an unknown one; a bad
query parameter or field is a 400 (pages: the form shown again with what
was typed and why; the JSON API: {"error"} naming the field); nothing
changes in the database."""
import json

import pytest

from order_helpers import everything
from server.core import errors
from server.core import db as dbmod
from server.orders import pricing
from server.core import fields

BIG = [2 ** 63, 10 ** 30]


def page_error(response):
    html = response.get_data(as_text=True)
    start = html.index("flash-error")
    return html[start:html.index("</div>", start)]


# ------------------------------------------------------------- path ids
@pytest.mark.parametrize("big", BIG + [0])
@pytest.mark.parametrize("method,url", [
    ("GET", "/orders/{}"), ("GET", "/orders/{}/live"),
    ("POST", "/orders/{}/labels.pdf"), ("POST", "/orders/{}/order-label.pdf"),
    ("GET", "/orders/1002/documents/{}"), ("GET", "/clients/{}"),
    ("GET", "/recurring/{}"), ("POST", "/orders/{}/actions/cancel"),
    ("POST", "/orders/{}/notes"), ("POST", "/orders/1002/complaints/{}/"
                                           "resolve"),
    ("POST", "/orders/1001/destructions/{}/undo"), ("POST", "/staff/{}"),
    ("POST", "/clients/{}"), ("POST", "/clients/{}/orders"),
    ("POST", "/recurring/{}/active"), ("POST", "/orders/{}/returned-grams"),
])
def test_path_ids_sqlite_cannot_hold_are_404(client, demo, method, url, big):
    before = everything(demo)
    response = client.open(url.format(big), method=method)
    assert response.status_code == 404
    assert everything(demo) == before


@pytest.mark.parametrize("big", BIG)
@pytest.mark.parametrize("method,url", [
    ("GET", "/api/orders/{}"), ("GET", "/api/orders/{}/complaints"),
    ("GET", "/api/orders/{}/returned-grams"),
    ("POST", "/api/orders/{}/actions/cancel"),
    ("POST", "/api/orders/1002/complaints/{}/resolve"),
    ("POST", "/api/orders/{}/returned-grams"),
])
def test_api_path_ids_sqlite_cannot_hold_are_404_json(client, demo, method,
                                                      url, big):
    response = client.open(url.format(big), method=method, json={})
    assert response.status_code == 404 and response.get_json()["error"]


def test_portal_order_id_sqlite_cannot_hold_is_refused(anon_client, demo):
    from server.demo_data import DEMO_PASSWORD
    anon_client.post("/portal/login", data={
        "email": "priya.raman@rogers.com", "password": DEMO_PASSWORD})
    assert anon_client.get("/portal/orders/1003").status_code == 200
    # No portal route matches it: turned away like any unknown page.
    assert anon_client.get("/portal/orders/%d" % 2 ** 63).status_code in (
        302, 404)


def test_id_converter_bounds():
    assert dbmod.parse_id("9223372036854775807") == 2 ** 63 - 1
    for bad in ("9223372036854775808", "0", "-1", "1e3", "²", "١", " ", "",
                True, 1.0, [1], None, 2 ** 63):
        assert dbmod.parse_id(bad) is None, bad
    assert dbmod.parse_id(" 42 ") == 42 and dbmod.parse_id(42) == 42


def test_unknown_action_page_is_404(client, demo):
    """An action name no order has is no page: a 404, not a flashed
    message quoting it (which could outgrow the session cookie)."""
    before = everything(demo)
    name = "".join(chr(97 + (i * 7) % 26) + str(i) for i in range(700))
    response = client.post("/orders/1004/actions/" + name)
    assert response.status_code == 404
    assert all(len(c) < 4096 for c in response.headers.getlist(
        "Set-Cookie"))
    # The API answers in its body, no session involved: 409 as before.
    r = client.post("/api/orders/1004/actions/" + name, json={})
    assert r.status_code == 409 and r.get_json()["error"]
    assert everything(demo) == before


# ----------------------------------------------- query parameters, forms
@pytest.mark.parametrize("after", [str(2 ** 63), str(10 ** 30), "0", "x"])
def test_api_cursor_that_cannot_be_one_is_400(client, demo, after):
    response = client.get("/api/orders?sort=id&after=" + after)
    assert response.status_code == 400
    assert "after" in response.get_json()["error"]


@pytest.mark.parametrize("query", [
    "sort=id&after=%d" % 2 ** 63, "sort=status&after=2~x~%d" % 10 ** 30,
    "after=2024-01-01+00:00:00~%d" % 2 ** 63, "page=%d" % 10 ** 30])
def test_dashboard_navigation_beyond_range_shows_the_first_page(
        client, demo, query):
    response = client.get("/orders/?" + query)
    assert response.status_code == 200
    assert "1008" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", [str(10 ** 30), str(2 ** 63), "²", "-3"])
def test_clients_page_beyond_range_shows_the_first_page(client, demo, page):
    response = client.get("/clients/?page=" + page)
    assert response.status_code == 200
    assert "Priya Raman" in response.get_data(as_text=True)


@pytest.mark.parametrize("client_id", [str(2 ** 63), str(10 ** 30), "²"])
def test_recurring_for_a_client_id_sqlite_cannot_hold_is_404(client, demo,
                                                             client_id):
    assert client.get("/recurring/new?client_id=" + client_id
                      ).status_code == 404


@pytest.mark.parametrize("rate", [str(2 ** 63), str(10 ** 30), "²", "-1"])
def test_shipping_rate_id_beyond_range_is_refused(client, demo, rate):
    before = everything(demo)
    response = client.post("/orders/1007/actions/select_shipping",
                           data={"shipping_rate_id": rate})
    assert response.status_code == 400
    assert "Unknown shipping rate" in page_error(response)
    r = client.post("/api/orders/1007/actions/select_shipping",
                    json={"shipping_rate_id": int(rate) if rate.lstrip(
                        "-").isascii() and rate.lstrip("-").isdigit()
                        else rate})
    assert r.status_code == 400 and "shipping rate" in r.get_json()["error"]
    r = client.post("/recurring/1", data={
        "day_of_month": "5", "shipping_rate_id": rate,
        "payment_method": "cheque", "qty_CBD-OIL-30": "1"})
    assert r.status_code == 400 and "Choose a shipping rate" in \
        r.get_data(as_text=True)
    assert everything(demo) == before


# ------------------------------------------------------------------ money
@pytest.mark.parametrize("value,message", [
    ("1e30", "too large"), ("100000.01", "too large"),
    ("9" * 40, "too large"), ("nan", "amount in dollars"),
    ("inf", "amount in dollars"), ("1.005", "two decimals"),
    ("-5", "negative"), ("12.5.0", "amount in dollars"), ("abc", "dollars"),
    ("١٢", "dollars"), ("\x00", "dollars"),
])
def test_discount_that_is_not_an_amount_shows_the_form_again(
        client, demo, value, message):
    before = everything(demo)
    response = client.post("/orders/1007/actions/edit_lines", data={
        "discount": value, "discount_reason": "Loyal client"})
    assert response.status_code == 400
    assert message in page_error(response)
    html = response.get_data(as_text=True)
    assert 'value="Loyal client"' in html          # what was typed stays
    assert everything(demo) == before


@pytest.mark.parametrize("body,message", [
    ({"discount": 1e30}, "Discount is too large"),
    ({"discount": "1e30"}, "Discount is too large"),
    ({"discount_cents": 10 ** 30}, "Discount must be a whole number"),
    ({"discount_cents": 12.5}, "Discount must be a whole number"),
    ({"discount": [1]}, "Discount must be an amount"),
    ({"discount": {"a": 1}}, "Discount must be an amount"),
    ({"discount": True}, "Discount must be an amount"),
])
def test_api_discount_that_is_not_an_amount_is_400(client, demo, body,
                                                   message):
    before = everything(demo)
    response = client.post("/api/orders/1007/actions/edit_lines",
                           json=dict(body, discount_reason="x"))
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert everything(demo) == before


def test_api_discount_in_dollars_or_cents(client, demo):
    r = client.post("/api/orders/1007/actions/edit_lines",
                    json={"discount": 2.5, "discount_reason": "x"})
    assert r.status_code == 200
    assert r.get_json()["order"]["discount_cents"] == 250
    r = client.post("/api/orders/1007/actions/edit_lines",
                    json={"discount_cents": 300, "discount_reason": "x"})
    assert r.get_json()["order"]["discount_cents"] == 300


def test_shipping_charge_that_is_not_an_amount_is_400(client, demo):
    before = everything(demo)
    r = client.post("/api/orders/1007/actions/select_shipping",
                    json={"carrier": "Courier", "shipping": 1e30})
    assert r.status_code == 400 and "Shipping charge" in r.get_json()["error"]
    assert everything(demo) == before


def test_client_coverage_cap_that_is_not_an_amount(client, demo):
    from test_clients import form_of
    before = everything(demo)
    response = client.post("/clients/3", data=form_of(
        demo, 3, coverage_max_cents="1e30"))
    assert response.status_code == 400
    assert "Coverage cap per order ($) is too large" in \
        response.get_data(as_text=True)
    assert 'value="1e30"' in response.get_data(as_text=True)
    assert everything(demo) == before


def test_parse_money_rules():
    assert pricing.parse_money("0.1") == 10
    assert pricing.parse_money(12.5) == 1250 and pricing.parse_money(3) == 300
    assert pricing.parse_money("100000") == pricing.MONEY_MAX_CENTS
    assert pricing.parse_cents("1250") == 1250
    for bad in ("1e30", 1e30, float("nan"), "0.001", [1], True, None):
        with pytest.raises(ValueError):
            pricing.parse_money(bad)
    for bad in (12.5, "1e3", -1, 10 ** 30, True):
        with pytest.raises(ValueError):
            pricing.parse_cents(bad)


# --------------------------------------------------------- take payment
@pytest.mark.parametrize("method", [["cash"], {"cash": 1}, 1, True, None,
                                    "bitcoin"])
def test_api_payment_method_of_the_wrong_kind_is_400(client, demo, method):
    client.post("/api/orders/1007/actions/select_shipping",
                json={"shipping_rate_id": 1})
    before = everything(demo)
    response = client.post("/api/orders/1007/actions/take_payment",
                           json={"method": method})
    assert response.status_code == 400
    assert "Payment method" in response.get_json()["error"]
    assert everything(demo) == before


def test_page_payment_method_unknown_shows_the_form_again(client, demo):
    before = everything(demo)
    response = client.post("/orders/1007/actions/take_payment",
                           data={"method": "bitcoin", "reference": "R-17"})
    assert response.status_code == 400
    assert "Payment method" in page_error(response)
    assert 'value="R-17"' in response.get_data(as_text=True)
    assert everything(demo) == before


# ------------------------------------------------- quantities and days
@pytest.mark.parametrize("qty", ["²", "١", "1e2", str(2 ** 63), "0", "101",
                                 "1.0", "-1", "\x00"])
def test_quantity_that_is_not_a_whole_number_in_range(client, demo, qty):
    before = everything(demo)
    response = client.post("/orders/1007/actions/edit_lines", data={
        "sku": "CBD-OIL-30", "qty": qty, "op": "add"})
    assert response.status_code == 400
    assert "Quantity for CBD-OIL-30 must be a whole number" in \
        page_error(response)
    response = client.post("/portal/orders/new", data={"qty_CBD-OIL-30": qty})
    r = client.post("/recurring/1", data={
        "day_of_month": "5", "shipping_rate_id": "1",
        "payment_method": "cheque", "qty_CBD-OIL-30": qty})
    assert r.status_code == 400
    assert everything(demo) == before


@pytest.mark.parametrize("day", ["²", "0", "32", str(10 ** 30), "1e1"])
def test_recurring_day_that_is_not_a_day(client, demo, day):
    before = everything(demo)
    r = client.post("/recurring/1", data={
        "day_of_month": day, "shipping_rate_id": "1",
        "payment_method": "cheque", "qty_CBD-OIL-30": "1"})
    assert r.status_code == 400
    assert "Day of month must be a whole number from 1 to 31" in \
        r.get_data(as_text=True)
    assert everything(demo) == before


# ------------------------------------------------------------------- text
@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "\x1b[31m"])
def test_text_with_control_characters_is_refused(client, demo, text):
    before = everything(demo)
    response = client.post("/orders/1004/notes", data={"text": text})
    assert response.status_code == 400
    assert "control characters" in page_error(response)
    r = client.post("/api/orders/1002/complaints", json={
        "category": "other", "description": text, "reported_by": "Ann",
        "received_on": "2024-01-01"})
    assert r.status_code == 400 and "Description" in r.get_json()["error"]
    assert everything(demo) == before


def test_tabs_and_newlines_stay_allowed(client, demo):
    response = client.post("/orders/1004/notes",
                           data={"text": "Line one\r\nLine\ttwo"})
    assert response.status_code == 302


def test_lone_surrogate_in_json_text_is_400(client, demo):
    before = everything(demo)
    for url, body in [
            ("/api/orders/1004/notes", {"text": "\ud800"}),
            ("/api/orders/1007/actions/edit_lines",
             {"sku": "\ud800", "qty": 1}),
            ("/api/orders/1004/actions/cancel", {"reason": "\udfff"})]:
        response = client.post(url, data=json.dumps(body),
                               content_type="application/json")
        assert response.status_code == 400, url
        assert response.get_json()["error"]
    assert everything(demo) == before


def test_note_refused_keeps_what_was_typed(client, demo):
    response = client.post("/orders/1004/notes", data={
        "text": "x" * 501, "severity": "info"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "too long" in page_error(response)
    assert "x" * 501 + "</textarea>" in html
    assert 'value="info" checked' in html


def test_document_title_with_control_characters(client, demo):
    import io
    before = everything(demo)
    response = client.post("/orders/1002/documents", data={
        "file": (io.BytesIO(b"hello"), "a.txt"), "title": "a\x00b"})
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert "control characters" in session["_flashes"][0][1]
    assert everything(demo) == before


# ------------------------------------------------------------ JSON bodies
@pytest.mark.parametrize("url", ["/api/orders/1004/notes",
                                 "/api/orders/1004/actions/cancel",
                                 "/api/orders/1002/complaints",
                                 "/api/orders/1001/returned-grams"])
def test_json_nested_too_deep_is_400(client, demo, url):
    before = everything(demo)
    response = client.post(url, data="[" * 100_000 + "]" * 100_000,
                           content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]
    assert everything(demo) == before


# ---------------------------------------------------------------- dates
@pytest.mark.parametrize("value", ["2024-02-30", "20240101", "2024-1-1",
                                   "0001-01-01", "1899-12-31", "+2024-01-01",
                                   "２０２４-01-01"])
def test_dates_must_be_real_calendar_dates(value):
    with pytest.raises(fields.BadInput):
        fields.date(value, "Day")


def test_client_dates_are_real_dates(client, demo):
    from test_clients import form_of
    before = everything(demo)
    response = client.post("/clients/3", data=form_of(
        demo, 3, registration_expires="2024-02-30", dob="1800-01-01"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Registration expires is not a valid date" in html
    assert "Date of birth cannot be before 1900-01-01" in html
    assert everything(demo) == before


# ---------------------------------------------------- staff account forms
def test_staff_form_with_one_bad_change_changes_nothing(client, demo):
    staff_id = demo.execute("SELECT id FROM staff WHERE username = 'csr'"
                            ).fetchone()[0]
    before = everything(demo)
    response = client.post("/staff/%d" % staff_id, data={
        "role": "supervisor", "password": "short"})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert [c for c, _ in session["_flashes"]] == ["error"]
    assert everything(demo) == before


def test_staff_add_refused_shows_the_form_again(client, demo):
    before = everything(demo)
    response = client.post("/staff/", data={
        "username": "nadia", "name": "Nadia\x00B", "role": "supervisor",
        "password": "long-enough"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "control characters" in page_error(response)
    assert 'value="nadia"' in html
    assert '<option value="supervisor" selected>' in html
    assert everything(demo) == before


def test_orders_bad_input_is_still_bad_input():
    # One BadInput for every service: the views catch it once.
    assert errors.BadInput is fields.BadInput
