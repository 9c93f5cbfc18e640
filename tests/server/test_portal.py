"""Client Portal: its own sign-in, the client's own orders, and orders
that arrive Open and unverified for a CSR to verify."""
import re

from order_helpers import order_row
from server.orders import queries
from server.app import create_app
from server.core.db import connect
from server.demo_data import DEMO_PASSWORD
from server.seed import seed_demo
from server.staff.sign_in import LOCK_AFTER

PRIYA_EMAIL = "priya.raman@rogers.com"


def sign_in(c, email=PRIYA_EMAIL, password=DEMO_PASSWORD):
    return c.post("/portal/login", data={"email": email,
                                         "password": password})


def test_portal_needs_its_own_sign_in(anon_client, client, demo):
    assert anon_client.get("/portal/").headers["Location"].endswith(
        "/portal/login")
    # A staff session is not a portal session.
    assert client.get("/portal/").status_code == 302
    assert sign_in(anon_client, password="wrong").status_code == 401
    assert sign_in(anon_client).status_code == 302
    with anon_client.session_transaction() as session:
        assert "staff_id" not in session
        assert session["portal_client_id"] == 3
        assert session["portal_client_id_proof"]
    # ... and a portal session is not a staff one.
    assert anon_client.get("/orders/").status_code == 302
    assert anon_client.get("/clients/").status_code == 302


def test_client_sees_only_their_orders(anon_client, demo):
    sign_in(anon_client)
    html = anon_client.get("/portal/").get_data(as_text=True)
    assert "#1003" in html and "#1001" not in html
    assert anon_client.get("/portal/orders/1003").status_code == 200
    assert anon_client.get("/portal/orders/1001").status_code == 404


def test_portal_order_arrives_open_and_unverified(anon_client, client, demo):
    sign_in(anon_client)
    response = anon_client.post("/portal/orders/new", data={
        "qty_CBD-SFT-20": "1", "qty_CBD-OIL-30": "", "qty_THC-CAP-10": "0"})
    assert response.status_code == 302
    order_id = int(response.headers["Location"].split("/")[-1])
    o = order_row(demo, order_id)
    assert (o["client_id"], o["status"], o["source"], o["verified"]) == (
        3, "open", "portal", 0)
    assert [(line["sku"], line["qty"]) for line in queries.order_lines(
        demo, order_id)] == [("CBD-SFT-20", 1)]
    html = client.get("/orders/%d" % order_id).get_data(as_text=True)
    assert "Unverified" in html and "Client Portal" in html
    client.post("/orders/%d/actions/verify" % order_id)
    assert order_row(demo, order_id)["verified"] == 1


def test_bad_portal_orders_change_nothing(anon_client, demo):
    sign_in(anon_client)
    before = demo["orders"].count
    for data in ({}, {"qty_CBD-OIL-30": "-2"}, {"qty_CBD-OIL-30": "x"},
                 {"qty_NOPE": "1"}, {"qty_CBD-OIL-30": "500"}):
        response = anon_client.post("/portal/orders/new", data=data)
        assert response.status_code == 400, data
        assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert demo["orders"].count == before


def test_sign_out(anon_client, demo):
    sign_in(anon_client)
    anon_client.post("/portal/logout")
    assert anon_client.get("/portal/").status_code == 302


def test_portal_forms_need_the_csrf_token(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "csrf.db"),
                      "CSRF_ENABLED": True})
    db = connect(app.config["DATABASE"])
    try:
        seed_demo(db)
        c = app.test_client()
        assert sign_in(c).status_code == 400             # no token
        html = c.get("/portal/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        assert c.post("/portal/login", data={
            "email": PRIYA_EMAIL, "password": DEMO_PASSWORD,
            "csrf_token": token}).status_code == 302
        # Signing in gave the session a new token.
        html = c.get("/portal/orders/new").get_data(as_text=True)
        assert token not in html
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          html).group(1)
        before = db["orders"].count
        assert c.post("/portal/orders/new", data={
            "qty_CBD-OIL-30": "1"}).status_code == 400
        assert c.post("/portal/orders/new", data={
            "qty_CBD-OIL-30": "1", "csrf_token": "forged"}).status_code \
            == 400
        assert db["orders"].count == before
        assert c.post("/portal/orders/new", data={
            "qty_CBD-OIL-30": "1", "csrf_token": token}).status_code == 302
        assert db["orders"].count == before + 1
    finally:
        db.conn.close()


def test_portal_sign_in_locks_out_guessing(anon_client, demo):
    for _ in range(LOCK_AFTER):
        assert sign_in(anon_client, password="guess").status_code == 401
    r = sign_in(anon_client)
    assert r.status_code == 429 and "locked until" in r.get_data(
        as_text=True)
    demo.execute("UPDATE sign_in_failures SET locked_until = "
                 "'2000-01-01 00:00:00' WHERE realm = 'portal' AND name = ?",
                 [PRIYA_EMAIL])
    assert sign_in(anon_client).status_code == 302
