"""No page, JSON answer or template context carries a password hash:
not the guns', the staff's nor the clients' portal passwords."""
import re

import pytest

from sign_in_helpers import TEST_PASSWORD
from server.clients import profiles
from server.fleet.credentials import password_hash
from sign_in_helpers import portal_sign_in
from server.fleet.provisioning import provision_device

# What a stored hash looks like: Werkzeug's (scrypt, pbkdf2) and
# Mosquitto's ($7$).
HASH = re.compile(r"scrypt:\d|pbkdf2:sha|\$7\$\d+\$")


@pytest.fixture
def gun(demo):
    provision_device(demo, "G01")
    return "G01"


def test_device_list_has_no_credentials(app, login, demo, gun):
    for role in ("associate", "admin"):
        body = login(app.test_client(), role).get("/api/devices")
        assert body.status_code == 200
        devices = body.get_json()["devices"]
        assert [d["id"] for d in devices if d["id"] == gun] == [gun]
        for device in devices:
            assert not any("password" in key for key in device), device
        assert not HASH.search(body.get_data(as_text=True))


def test_fleet_page_has_no_credentials(client, demo, gun):
    html = client.get("/devices/").get_data(as_text=True)
    assert gun in html and not HASH.search(html)


def test_client_reads_have_no_portal_hash(demo):
    client = profiles.get_client(demo, 3)
    assert client["portal_enabled"]
    assert not any("password" in key for key in client)
    assert not HASH.search(repr(client))


def test_client_profile_says_whether_the_portal_is_open(client, demo):
    html = client.get("/clients/3").get_data(as_text=True)
    assert "Portal sign-in enabled" in html and not HASH.search(html)
    demo.execute("UPDATE clients SET portal_password_hash = NULL "
                 "WHERE id = 3")
    html = client.get("/clients/3").get_data(as_text=True)
    assert "No portal password" in html


def test_templates_get_no_hash(app, demo, gun):
    """Every template rendered while browsing as staff and as a client
    gets a context without a password hash in it."""
    from flask import template_rendered
    contexts = []

    def record(sender, template, context, **extra):
        contexts.append((template.name, repr(context)))
    template_rendered.connect(record, app)
    try:
        staff = app.test_client()
        staff.post("/login", data={"username": "t-admin",
                                   "password": TEST_PASSWORD})
        for path in ("/orders/", "/orders/1003", "/orders/1003?tab=receipts",
                     "/clients/", "/clients/3", "/clients/3?tab=orders",
                     "/clients/3?tab=recurring", "/staff/", "/devices/",
                     "/orders/picking-list", "/recurring/"):
            assert staff.get(path).status_code == 200, path
        portal = app.test_client()
        portal_sign_in(portal)
        for path in ("/portal/", "/portal/orders/1003", "/portal/orders/new"):
            assert portal.get(path).status_code == 200, path
    finally:
        template_rendered.disconnect(record, app)
    assert len(contexts) > 10
    for name, context in contexts:
        assert not HASH.search(context), name


def test_fleet_page_names_guns_to_provision_again(client, demo, gun):
    demo["devices"].update("G02", {"password_hash": password_hash(
        "a-gun-password-from-before", iterations=101)})
    devices = {d["id"]: d for d in client.get("/api/devices").get_json()[
        "devices"]}
    assert devices["G02"]["credentials_outdated"] is True
    assert devices[gun]["credentials_outdated"] is False
    html = client.get("/devices/").get_data(as_text=True)
    assert html.count("Provision again") == 1
    assert "pickgun provision G02" in html
