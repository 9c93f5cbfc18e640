"""Every staff page has a .json twin built by the same function: it says
what the page shows, needs the same role, takes the same query string
and answers errors in JSON."""
import re

import pytest

# (page, its twin, how to find each item's key in the HTML, the JSON's
# items, the key of one item)
PAGES = [
    ("/orders/", "/orders.json", r'href="/orders/(\d+)"',
     lambda j: j["orders"], lambda o: str(o["id"])),
    ("/clients/", "/clients.json", r'href="/clients/(\d+)"',
     lambda j: j["clients"], lambda c: str(c["id"])),
    ("/orders/picking-list", "/orders/picking-list.json",
     r'href="/orders/(\d+)"', lambda j: j["entries"],
     lambda e: str(e["order"]["id"])),
    ("/recurring/", "/recurring.json", r'href="/recurring/(\d+)"',
     lambda j: j["rows"], lambda r: str(r["id"])),
    ("/staff/", "/staff.json", r'<td class="mono">([^<]+)</td>',
     lambda j: j["staff"], lambda s: s["username"]),
    ("/devices/", "/devices.json", r'<td class="mono">(G\d+)</td>',
     lambda j: j["devices"], lambda d: d["id"]),
    ("/lots/", "/lots.json", r'href="/lots/([A-Z0-9-]+)"',
     lambda j: j["lots"], lambda lot: lot["id"]),
]


def twins(app):
    return sorted(r.rule for r in app.url_map.iter_rules()
                  if r.endpoint.endswith("_json"))


def test_every_twin_is_listed_here(app):
    listed = {twin for _page, twin, *_ in PAGES}
    assert set(twins(app)) == listed | {"/orders/<id:order_id>.json",
                                        "/clients/<id:client_id>.json",
                                        "/lots/<lot_id>.json",
                                        "/lots/<lot_id>/recall.json"}


@pytest.mark.parametrize("page,twin,pattern,items,key", PAGES,
                         ids=[p[1] for p in PAGES])
def test_twin_lists_what_the_page_shows(client, demo, page, twin, pattern,
                                        items, key):
    html = client.get(page)
    data = client.get(twin)
    assert html.status_code == data.status_code == 200
    assert data.mimetype == "application/json"
    found = items(data.get_json())
    assert found, "the demo data shows something on %s" % page
    shown = set(re.findall(pattern, html.get_data(as_text=True)))
    assert {key(item) for item in found} <= shown


def test_twin_takes_the_page_query_string(client, demo):
    placed = client.get("/orders.json?status=placed").get_json()
    assert placed["query"]["status"] == "placed"
    assert placed["orders"]
    assert {o["status"] for o in placed["orders"]} == {"placed"}


def test_order_profile_twin(client, demo):
    order_id = client.get("/orders.json?status=placed").get_json()[
        "orders"][0]["id"]
    data = client.get("/orders/%d.json" % order_id).get_json()
    assert data["d"]["order"]["id"] == order_id
    assert data["tab"] == "overview"
    html = client.get("/orders/%d" % order_id).get_data(as_text=True)
    for item in data["menu"]:
        assert item["label"] in html
    tab = client.get("/orders/%d.json?tab=nope" % order_id).get_json()
    assert tab["tab"] == "overview"


def test_client_profile_twin(client, demo):
    first = client.get("/clients.json").get_json()["clients"][0]
    data = client.get("/clients/%d.json" % first["id"]).get_json()
    assert data["c"]["id"] == first["id"]
    assert data["c"]["name"] in client.get(
        "/clients/%d" % first["id"]).get_data(as_text=True)


def test_twins_never_show_secrets(client, demo):
    for twin in ("/staff.json", "/devices.json"):
        text = client.get(twin).get_data(as_text=True)
        assert "password_hash" not in text and "pbkdf2" not in text \
            and "scrypt" not in text and '"secret"' not in text


def test_twin_errors_are_json(app, login, demo):
    anon = app.test_client()
    response = anon.get("/orders.json")
    assert response.status_code == 401
    assert "Sign in" in response.get_json()["error"]
    associate = login(app.test_client(), "associate")
    refused = associate.get("/staff.json")
    assert refused.status_code == 403
    assert "Administrator" in refused.get_json()["error"]
    missing = associate.get("/orders/999999.json")
    assert missing.status_code == 404
    assert "999999" in missing.get_json()["error"]
