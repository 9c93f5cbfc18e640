"""Clients list and Client Profile: search, pagination, the allowance,
coverage, the Orders tab and editing details."""
import pytest

from server.clients import allowance as client_allowance
from server.clients import profiles
from server.core.db import now, transaction

DANIEL = 2


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_list_searches_name_email_and_registration(client, demo):
    html = page(client, "/clients/")
    assert "Margaret Tremblay" in html and "Robert Chen" in html
    assert "Priya Raman" in page(client, "/clients/?q=raman")
    html = page(client, "/clients/?q=shaw.ca")
    assert "Daniel Okafor" in html and "Priya Raman" not in html
    html = page(client, "/clients/?q=HC-REG-0655913")
    assert "Robert Chen" in html and "Daniel Okafor" not in html
    assert "No client matches" in page(client, "/clients/?q=zzz")


def test_list_is_paginated(client, demo):
    with transaction(demo):
        demo["clients"].insert_all({"name": "Zed Client %02d" % i,
                                    "email": "z%d@example.ca" % i}
                                   for i in range(30))
    rows, total = profiles.search_clients(demo, None, 2)
    assert total == 36 and len(rows) == 11
    html = page(client, "/clients/?page=2")
    assert "Page 2 of 2" in html and "Zed Client 29" in html
    assert "Margaret Tremblay" not in html


def test_profile_shows_registration_prescription_and_coverage(client, demo):
    html = page(client, "/clients/3")
    for text in ("Priya Raman", "HC-REG-0611248", "77 Harbord St",
                 "Dr. Amrit Sandhu", "Sun Life Health", "80%", "$300.00"):
        assert text in html
    # Order 1003: 1 x 6 g + 2 x 4 g placed 2 days ago, of 15 g.
    assert "14.0 g" in html and "<strong>1.0 g</strong>" in html


def test_allowance_counts_the_window_and_returned_grams(demo):
    a = client_allowance.allowance(demo, DANIEL)
    assert (a["allowance"], a["used"], a["remaining"]) == (60.0, 10.0, 50.0)
    with transaction(demo):
        demo.execute("UPDATE orders SET placed_at = '2000-01-01 00:00:00' "
                     "WHERE id = 1002")
    assert client_allowance.allowance(demo, DANIEL)["used"] == 0.0
    with transaction(demo):
        demo["returned_grams"].insert({
            "order_id": 1002, "client_id": DANIEL, "grams": 5,
            "reason": "lost", "created_at": now()})
    # Credited today, for an order of long ago: it counts in that order's
    # window, not in today's.
    assert client_allowance.allowance(demo, DANIEL)["returned"] == 0.0


def test_orders_tab_and_create_new_order(client, demo):
    html = page(client, "/clients/1?tab=orders")
    assert "#1001" in html and "#1007" in html and "#1002" not in html
    assert 'id="create-order"' in html
    before = demo["orders"].count
    response = client.post("/clients/1/orders")
    assert demo["orders"].count == before + 1
    order_id = demo.execute("SELECT max(id) FROM orders").fetchone()[0]
    assert response.headers["Location"].endswith("/orders/%d" % order_id)
    o = demo["orders"].get(order_id)
    assert (o["status"], o["client_id"], o["source"], o["verified"]) == (
        "open", 1, "csr", 1)


def test_unknown_client_is_404(client, demo):
    assert client.get("/clients/999").status_code == 404
    assert client.post("/clients/999/orders").status_code == 404


def form_of(demo, client_id, **changes):
    row = demo["clients"].get(client_id)
    form = {name: ("" if row[name] is None else str(row[name]))
            for name, *_ in profiles.FIELDS}
    form["coverage_max_cents"] = "" if row["coverage_max_cents"] is None \
        else "%.2f" % (row["coverage_max_cents"] / 100)
    form.update(changes)
    return form


def test_edit_client_saves_valid_details(client, demo):
    form = form_of(demo, 3, phone="416-555-0199", coverage_percent="70",
                   coverage_max_cents="250.00", allowance_grams="20")
    response = client.post("/clients/3", data=form)
    assert response.status_code == 302
    row = demo["clients"].get(3)
    assert (row["phone"], row["coverage_percent"], row["coverage_max_cents"],
            row["allowance_grams"]) == ("416-555-0199", 70, 25000, 20.0)


@pytest.mark.parametrize("changes,message", [
    ({"name": ""}, "Name is required"),
    ({"email": "not-an-email"}, "Email"),
    ({"email": "dokafor@shaw.ca"}, "Another client"),
    ({"dob": "1990-13-45"}, "Date of birth"),
    ({"dob": "2999-01-01"}, "future"),
    ({"coverage_percent": "120"}, "Coverage (%)"),
    ({"coverage_max_cents": "-5"}, "negative"),
    ({"allowance_grams": "lots"}, "Allowance"),
    ({"ship_address": ""}, "Shipping address"),
    ({"registration_number": "!!"}, "Registration number"),
    ({"phone": "call me"}, "Phone"),
    ({"coverage_name": "", "coverage_percent": "50"}, "coverage policy"),
    ({"portal_password": "short"}, "Portal password"),
])
def test_edit_client_refuses_bad_input(client, demo, changes, message):
    before = demo["clients"].get(3)
    response = client.post("/clients/3", data=form_of(demo, 3, **changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert demo["clients"].get(3) == before


def test_associates_may_look_but_not_edit(app, login, demo):
    c = login(app.test_client(), "associate")
    assert c.get("/clients/3").status_code == 200
    assert c.post("/clients/3", data=form_of(demo, 3, name="X")).\
        status_code == 403
    assert demo["clients"].get(3)["name"] == "Priya Raman"


def test_client_changes_are_recorded_append_only(client, demo):
    import sqlite3
    form = form_of(demo, 3, allowance_grams="20", phone="416-555-0199",
                   portal_password="a-new-portal-pw")
    assert client.post("/clients/3", data=form).status_code == 302
    rows = profiles.client_history(demo, 3)
    changes = {r["field"]: (r["old"], r["new"], r["actor"]) for r in rows}
    assert changes["allowance_grams"] == ("15.0", "20.0", "t-admin")
    assert changes["phone"] == ("416-555-0163", "416-555-0199", "t-admin")
    assert changes["portal password"][1] == "(changed)"
    assert not any("a-new-portal-pw" in str(r) for r in rows)
    html = client.get("/clients/3").get_data(as_text=True)
    assert "Allowance (g per 30 days)" in html and "416-555-0199" in html
    # Saving the same details again records nothing new.
    form.pop("portal_password")
    client.post("/clients/3", data=form)
    assert len(profiles.client_history(demo, 3)) == len(rows)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        demo.execute("UPDATE client_history SET actor = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        demo.execute("DELETE FROM client_history")
