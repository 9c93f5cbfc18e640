"""Sessions end when they should: signing out, a new or reset password
and deactivation end every session of the account, including copies of
its cookie; signing in starts a fresh session with a fresh CSRF token;
the cookie is Secure whenever the site is reached over HTTPS."""
import pytest

from order_helpers import order_row
from up_support import get, serving
from server.clients import profiles
from sign_in_helpers import (client_with_cookie, csrf_app, page_token,
                             portal_sign_in, session_cookie, staff_sign_in)


@pytest.fixture
def web(app, demo):
    """The demo data behind an app that checks CSRF like production."""
    return csrf_app(app.config["DATABASE"])


field_names = {field[0] for field in profiles.FIELDS}


def signed_in(web, username):
    c = web.test_client()
    assert staff_sign_in(c, username).status_code == 302
    return c


def staff_id(db, username):
    return db.execute("SELECT id FROM staff WHERE username = ?",
                      [username]).fetchone()[0]


# ------------------------------------------------------------ staff
def test_sign_out_ends_a_copied_staff_session(web, demo):
    c = signed_in(web, "csr")
    copy = client_with_cookie(web, session_cookie(c))
    assert copy.get("/orders/1004").status_code == 200
    r = c.post("/logout", data={"csrf_token": page_token(c, "/orders/")})
    assert r.status_code == 302
    assert c.get("/orders/1004").status_code == 302
    # The copy taken before signing out is signed out too, pages and API.
    r = copy.get("/orders/1004")
    assert r.status_code == 302 and r.headers["Location"].startswith(
        "/login")
    assert copy.get("/api/orders/1004").status_code == 401
    rev = order_row(demo, 1004)["rev"]
    assert copy.post("/orders/1004/notes", data={"text": "Stale"}
                     ).status_code in (302, 400)
    assert order_row(demo, 1004)["rev"] == rev


def test_sign_out_ends_the_accounts_other_sessions(web):
    desk, tablet = signed_in(web, "csr"), signed_in(web, "csr")
    desk.post("/logout", data={"csrf_token": page_token(desk, "/orders/")})
    assert tablet.get("/orders/").status_code == 302
    # Someone else's session is untouched.
    other = signed_in(web, "supervisor")
    assert other.get("/orders/").status_code == 200


def test_sign_out_needs_the_csrf_token(web):
    c = signed_in(web, "csr")
    assert c.post("/logout").status_code == 400
    assert c.get("/orders/").status_code == 200


def test_password_reset_ends_sessions(web, demo):
    victim = signed_in(web, "csr")
    admin = signed_in(web, "admin")
    r = admin.post("/staff/%d" % staff_id(demo, "csr"), data={
        "password": "a-brand-new-password",
        "csrf_token": page_token(admin, "/staff/")})
    assert r.status_code == 302
    assert victim.get("/orders/").status_code == 302
    fresh = web.test_client()
    assert staff_sign_in(fresh, "csr").status_code == 401
    assert staff_sign_in(fresh, "csr", "a-brand-new-password"
                         ).status_code == 302
    # The administrator's own session goes on.
    assert admin.get("/staff/").status_code == 200


def test_own_password_change_keeps_this_session_only(web, demo):
    here, elsewhere = signed_in(web, "admin"), signed_in(web, "admin")
    here.post("/staff/%d" % staff_id(demo, "admin"), data={
        "password": "a-brand-new-password",
        "csrf_token": page_token(here, "/staff/")})
    assert here.get("/staff/").status_code == 200
    assert elsewhere.get("/staff/").status_code == 302


def test_deactivation_ends_sessions_for_good(web, demo):
    victim = signed_in(web, "csr")
    copy = client_with_cookie(web, session_cookie(victim))
    admin = signed_in(web, "admin")
    target = "/staff/%d" % staff_id(demo, "csr")
    admin.post(target, data={"active": "0",
                             "csrf_token": page_token(admin, "/staff/")})
    assert victim.get("/orders/").status_code == 302
    # Reactivating the account does not bring old sessions back.
    admin.post(target, data={"active": "1",
                             "csrf_token": page_token(admin, "/staff/")})
    assert copy.get("/orders/").status_code == 302
    assert signed_in(web, "csr").get("/orders/").status_code == 200


def test_role_change_applies_to_open_sessions_at_once(web, demo):
    boss = signed_in(web, "supervisor")
    admin = signed_in(web, "admin")
    admin.post("/staff/%d" % staff_id(demo, "supervisor"), data={
        "role": "associate", "csrf_token": page_token(admin, "/staff/")})
    token = page_token(boss, "/orders/1004")
    r = boss.post("/api/orders/1004/actions/refund", json={},
                  headers={"X-CSRF-Token": token})
    assert r.status_code == 403
    assert order_row(demo, 1004)["status"] == "placed"


def test_staff_sign_in_renews_the_session_and_token(web):
    c = web.test_client()
    planted = page_token(c, "/login")         # a token known beforehand
    before = session_cookie(c)
    assert staff_sign_in(c, "csr").status_code == 302
    assert page_token(c, "/orders/1004") != planted
    # The cookie from before signing in signs nobody in.
    assert client_with_cookie(web, before).get("/orders/").status_code \
        == 302


# ------------------------------------------------------------ portal
def test_portal_sign_out_ends_a_copied_session(web):
    c = web.test_client()
    assert portal_sign_in(c).status_code == 302
    copy = client_with_cookie(web, session_cookie(c))
    assert copy.get("/portal/orders/1003").status_code == 200
    c.post("/portal/logout", data={"csrf_token": page_token(c, "/portal/")})
    assert c.get("/portal/").status_code == 302
    r = copy.get("/portal/orders/1003")
    assert r.status_code == 302 and r.headers["Location"].endswith(
        "/portal/login")


def test_portal_sign_out_needs_the_csrf_token(web):
    c = web.test_client()
    portal_sign_in(c)
    assert c.post("/portal/logout").status_code == 400
    assert c.get("/portal/").status_code == 200


def test_portal_password_reset_ends_sessions(web, demo):
    c = web.test_client()
    portal_sign_in(c)
    csr = signed_in(web, "csr")
    form = {name: value for name, value in profiles.get_client(demo, 3).items()
            if name in field_names and value is not None}
    r = csr.post("/clients/3", data=dict(
        form, portal_password="a-brand-new-password",
        csrf_token=page_token(csr, "/clients/3")))
    assert r.status_code == 302, r.get_data(as_text=True)
    assert c.get("/portal/").status_code == 302
    fresh = web.test_client()
    assert portal_sign_in(fresh).status_code == 401
    assert portal_sign_in(fresh, password="a-brand-new-password"
                          ).status_code == 302


def test_portal_sign_in_renews_the_session_and_token(web):
    c = web.test_client()
    planted = page_token(c, "/portal/login")
    before = session_cookie(c)
    assert portal_sign_in(c).status_code == 302
    assert page_token(c, "/portal/orders/new") != planted
    assert client_with_cookie(web, before).get("/portal/").status_code \
        == 302


def test_portal_session_expires_after_a_shift(web):
    c = web.test_client()
    r = portal_sign_in(c)
    assert "Expires=" in r.headers["Set-Cookie"]


# ------------------------------------------------------- cookie flags
def set_cookie(response):
    [cookie] = [h for h in response.headers.getlist("Set-Cookie")
                if h.startswith("session=")]
    return cookie


def test_cookie_is_secure_over_https(web):
    c = web.test_client()
    page_token(c, "/login")
    r = staff_sign_in(c, "csr", base_url="https://localhost")
    cookie = set_cookie(r)
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    r = web.test_client().get("/login", base_url="https://localhost")
    assert "Secure" in set_cookie(r)
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
    # Plain HTTP (a development machine) keeps working.
    r = staff_sign_in(web.test_client(), "csr")
    assert "Secure" not in set_cookie(r)
    assert "Strict-Transport-Security" not in r.headers


def test_secure_cookie_can_be_forced(app, demo):
    web = csrf_app(app.config["DATABASE"], SESSION_COOKIE_SECURE=True)
    r = staff_sign_in(web.test_client(), "csr")
    assert "Secure" in set_cookie(r)


def test_cookie_is_secure_behind_a_trusted_tls_proxy(app, demo):
    """The web server believes the proxy it was told to trust, and the
    cookie follows the scheme it forwards."""
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.9"}
    web = csrf_app(app.config["DATABASE"])
    for trusted, secure in (("127.0.0.1", True), (None, False)):
        with serving(web, trusted_proxy=trusted) as port:
            status, headers, _ = get("http://127.0.0.1:%d/login" % port,
                                     headers=proxied)
        assert status == 200
        [cookie] = [h for h in headers.get_all("Set-Cookie")
                    if h.startswith("session=")]
        assert ("Secure" in cookie) is secure, trusted


def test_every_page_is_kept_out_of_caches(web):
    c = web.test_client()
    assert c.get("/login").headers["Cache-Control"] == "no-store"
    assert c.get("/portal/login").headers["Cache-Control"] == "no-store"
    portal_sign_in(c)
    assert c.get("/portal/").headers["Cache-Control"] == "no-store"
    staff = signed_in(web, "csr")
    for path in ("/orders/", "/orders/1004", "/clients/3", "/api/orders/1004",
                 "/devices/", "/orders/picking-list"):
        r = staff.get(path)
        assert r.status_code == 200, path
        assert r.headers["Cache-Control"] == "no-store", path
