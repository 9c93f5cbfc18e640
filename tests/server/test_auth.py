"""Staff sign-in, roles, CSRF and security headers."""
import re

import pytest
from click.testing import CliRunner

from server.web import auth
from server.app import create_app
from server.staff import sign_in as sign_ins
from server.core.db import connect
from server.demo_data import DEMO_PASSWORD

from order_helpers import order_row


def sign_in(client, username, password=DEMO_PASSWORD, next_url=None):
    url = "/login" + ("?next=" + next_url if next_url else "")
    return client.post(url, data={"username": username,
                                  "password": password})


def test_pages_need_sign_in(anon_client, demo):
    r = anon_client.get("/orders/1004")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=/orders/1004")
    assert anon_client.get("/login").status_code == 200
    assert anon_client.get("/static/style.css").status_code == 200


def test_api_needs_credentials(anon_client, demo):
    r = anon_client.get("/api/orders/1004")
    assert r.status_code == 401
    assert "Basic" in r.headers["WWW-Authenticate"]
    assert r.get_json()["error"]


def test_sign_in_and_out(anon_client, demo):
    r = sign_in(anon_client, "csr", next_url="/orders/1004")
    assert r.status_code == 302 and r.headers["Location"] == "/orders/1004"
    page = anon_client.get("/orders/1004").get_data(as_text=True)
    assert "Casey Rep" in page and "Customer service" in page
    anon_client.post("/logout")
    assert anon_client.get("/orders/1004").status_code == 302


@pytest.mark.parametrize("username,password", [
    ("csr", "wrong-password"), ("nobody", DEMO_PASSWORD), ("", "")])
def test_wrong_credentials(anon_client, demo, username, password):
    r = sign_in(anon_client, username, password)
    assert r.status_code == 401
    assert "Wrong username or password" in r.get_data(as_text=True)
    assert anon_client.get("/orders/").status_code == 302


@pytest.mark.parametrize("next_url", ["//evil.example/x",
                                      "https://evil.example/"])
def test_sign_in_never_redirects_off_site(anon_client, demo, next_url):
    r = sign_in(anon_client, "csr", next_url=next_url)
    assert r.headers["Location"] == "/"


def test_passwords_are_hashed(demo):
    row = demo.execute("SELECT password_hash FROM staff "
                       "WHERE username = 'csr'").fetchone()
    assert DEMO_PASSWORD not in row[0]
    assert re.match(r"^(scrypt|pbkdf2)", row[0])


def test_deactivated_staff_cannot_sign_in(anon_client, demo):
    demo.execute("UPDATE staff SET active = 0 WHERE username = 'csr'")
    assert sign_in(anon_client, "csr").status_code == 401


def test_basic_auth_for_the_api(anon_client, demo):
    r = anon_client.get("/api/orders/1004",
                        auth=("supervisor", DEMO_PASSWORD))
    assert r.status_code == 200 and r.get_json()["order"]["id"] == 1004
    bad = anon_client.get("/api/orders/1004", auth=("supervisor", "nope"))
    assert bad.status_code == 401


def test_security_headers(client, demo):
    r = client.get("/orders/1004")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"


# ------------------------------------------------------------------ CSRF
@pytest.fixture
def csrf_app(tmp_path, demo_path):
    return create_app({"TESTING": True, "DATABASE": demo_path,
                       "SECRET_KEY": "test", "CSRF_ENABLED": True})


@pytest.fixture
def demo_path(app, demo):
    return app.config["DATABASE"]


def token_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_form_without_csrf_token_is_refused(csrf_app):
    c = csrf_app.test_client()
    page = c.get("/login").get_data(as_text=True)
    assert sign_in(c, "csr").status_code == 400       # no token: refused
    c.post("/login", data={"username": "csr", "password": DEMO_PASSWORD,
                           "csrf_token": token_of(page)})
    db = connect(csrf_app.config["DATABASE"])
    rev = order_row(db, 1004)["rev"]
    r = c.post("/orders/1004/notes", data={"text": "Forged"})
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    r = c.post("/orders/1004/notes", data={"text": "Forged",
                                           "csrf_token": "wrong"})
    assert r.status_code == 400
    assert order_row(db, 1004)["rev"] == rev
    token = token_of(c.get("/orders/1004").get_data(as_text=True))
    r = c.post("/orders/1004/notes",
               data={"text": "Real", "csrf_token": token})
    assert r.status_code == 302 and order_row(db, 1004)["rev"] == rev + 1
    # The JSON API with the session cookie takes the token as a header.
    r = c.post("/api/orders/1004/notes", json={"text": "Via API"})
    assert r.status_code == 400
    r = c.post("/api/orders/1004/notes", json={"text": "Via API"},
               headers={"X-CSRF-Token": token})
    assert r.status_code == 201
    db.conn.close()


def test_basic_auth_api_needs_no_csrf_token(csrf_app):
    c = csrf_app.test_client()
    r = c.post("/api/orders/1004/notes", json={"text": "Script"},
               auth=("csr", DEMO_PASSWORD))
    assert r.status_code == 201


# ----------------------------------------------------------------- roles
def test_associate_views_but_cannot_act(app, login, demo):
    c = login(app.test_client(), "associate")
    assert c.get("/orders/1004").status_code == 200
    page = c.get("/orders/1004").get_data(as_text=True)
    # Shown disabled with what it needs (one rule for the back office),
    # with no form to post.
    assert re.search(r'<button type="button" class="btn btn-danger" disabled '
                     r'title="Needs a CSR" data-action="cancel">', page)
    assert "/orders/1004/actions/cancel" not in page
    r = c.post("/orders/1004/actions/cancel")
    assert r.status_code == 403
    assert "Fulfilment associate" in r.get_data(as_text=True)
    assert order_row(demo, 1004)["status"] == "placed"


def test_refund_needs_a_supervisor(app, login, demo):
    csr = login(app.test_client(), "csr")
    page = csr.get("/orders/1004").get_data(as_text=True)
    assert re.search(r'disabled title="Needs a supervisor" '
                     r'data-action="refund">Refund Order</button>', page)
    assert "/orders/1004/actions/refund" not in page
    r = csr.post("/api/orders/1004/actions/refund", json={})
    assert r.status_code == 403 and "Supervisor" in r.get_json()["error"]
    assert order_row(demo, 1004)["status"] == "placed"
    boss = login(app.test_client(), "supervisor")
    assert boss.post("/api/orders/1004/actions/refund",
                     json={}).status_code == 200
    assert order_row(demo, 1004)["status"] == "refunded"


def test_role_table_is_ordered():
    assert auth.role_allows("admin", "refund")
    assert auth.role_allows("supervisor", "refund")
    assert not auth.role_allows("csr", "refund")
    assert auth.role_allows("csr", "cancel")
    assert not auth.role_allows("associate", "cancel")
    assert auth.role_allows("associate", "print_labels")
    assert not auth.role_allows("nonsense", "view")


# ----------------------------------------------------------- staff page
def test_admin_manages_staff(client, demo, anon_client):
    r = client.post("/staff/", data={"username": "Nadia.B", "name": "Nadia B",
                                     "role": "csr", "password": "longenough"},
                    follow_redirects=True)
    assert "Account nadia.b created" in r.get_data(as_text=True)
    assert sign_in(anon_client, "nadia.b", "longenough").status_code == 302
    staff_id = demo.execute("SELECT id FROM staff WHERE username = "
                            "'nadia.b'").fetchone()[0]
    client.post("/staff/%d" % staff_id, data={"role": "supervisor"})
    client.post("/staff/%d" % staff_id, data={"active": "0"})
    row = demo.execute("SELECT role, active FROM staff WHERE id = ?",
                       [staff_id]).fetchone()
    assert (row[0], row[1]) == ("supervisor", 0)


@pytest.mark.parametrize("form,error", [
    ({"username": "", "role": "csr", "password": "longenough"}, "Username"),
    ({"username": "a b", "role": "csr", "password": "longenough"},
     "Username"),
    ({"username": "x", "role": "boss", "password": "longenough"}, "Role"),
    ({"username": "x", "role": "csr", "password": "short"}, "Password"),
    ({"username": "csr", "role": "csr", "password": "longenough"}, "taken"),
])
def test_bad_staff_input(client, demo, form, error):
    before = demo["staff"].count
    r = client.post("/staff/", data=form, follow_redirects=True)
    assert error in r.get_data(as_text=True)
    assert demo["staff"].count == before


def test_staff_page_is_for_admins(app, login, demo):
    c = login(app.test_client(), "supervisor")
    assert c.get("/staff/").status_code == 403
    assert 'href="/staff/"' not in c.get("/orders/").get_data(as_text=True)
    assert c.post("/staff/", data={"username": "x", "role": "admin",
                                   "password": "longenough"}
                  ).status_code == 403


def test_admin_cannot_lock_self_out(client, demo):
    me = demo.execute("SELECT id FROM staff WHERE username = 't-admin'"
                      ).fetchone()[0]
    client.post("/staff/%d" % me, data={"active": "0"})
    client.post("/staff/%d" % me, data={"role": "csr"})
    row = demo.execute("SELECT role, active FROM staff WHERE id = ?",
                       [me]).fetchone()
    assert (row[0], row[1]) == ("admin", 1)


def test_add_staff_command(tmp_path):
    path = str(tmp_path / "p.db")
    result = CliRunner().invoke(auth.add_staff_command, [
        "lee", "--role", "supervisor", "--db", path,
        "--password", "a-good-password"])
    assert result.exit_code == 0, result.output
    db = connect(path)
    assert auth.check_login(db, "lee", "a-good-password")["role"] == \
        "supervisor"
    again = CliRunner().invoke(auth.add_staff_command, [
        "lee", "--db", path, "--password", "a-good-password"])
    assert again.exit_code != 0 and "taken" in again.output


def test_wrong_passwords_lock_the_account_for_a_while(anon_client, demo):
    for _ in range(sign_ins.LOCK_AFTER):
        assert sign_in(anon_client, "csr", "wrong-password").status_code \
            == 401
    # Locked: even the right password is refused, with a clear message.
    r = sign_in(anon_client, "csr")
    assert r.status_code == 429 and "locked until" in r.get_data(
        as_text=True)
    assert anon_client.get("/api/orders/1004", auth=(
        "csr", DEMO_PASSWORD)).status_code == 401
    # Once the time is up, the right password works and the count resets.
    demo.execute("UPDATE sign_in_failures SET locked_until = "
                 "'2000-01-01 00:00:00' WHERE realm = 'staff' AND "
                 "name = 'csr'")
    assert sign_in(anon_client, "csr").status_code == 302
    assert demo.execute("SELECT count(*) FROM sign_in_failures "
                        "WHERE name = 'csr'").fetchone()[0] == 0


def test_session_cookie_flags_and_lifetime(anon_client, demo, app):
    r = sign_in(anon_client, "csr")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie         # a shift, not the browser's life
    assert app.permanent_session_lifetime.total_seconds() == \
        auth.SESSION_HOURS * 3600
