"""Sign-in and sign-out in real Chromium: where the browser lands after
signing in, a copied cookie after signing out, and the Secure cookie
over HTTPS."""
import ssl
import threading
from urllib.parse import quote, urlsplit

import pytest
from werkzeug.serving import make_server

from server.demo_data import DEMO_PASSWORD
from server.gunlink.tls import Authority
from sign_in_helpers import PRIYA_EMAIL

SIGN_IN = "form.stack-form button[type=submit]"


def watch_other_hosts(context):
    """Requests to anything but this site, answered and recorded."""
    seen = []

    def answer(route):
        seen.append(route.request.url)
        route.fulfill(status=200, body="elsewhere")
    context.route(lambda url: urlsplit(url).hostname not in (
        "127.0.0.1", "localhost"), answer)
    return seen


@pytest.mark.parametrize("next_url", [
    "/\t/evil.example/", "/\\evil.example/", "/\\/evil.example/",
    "/\n/evil.example/", "//evil.example/", "https://evil.example/"])
def test_sign_in_stays_on_this_site(browser, live_server, demo, next_url):
    context = browser.new_context()
    seen = watch_other_hosts(context)
    page = context.new_page()
    page.goto(live_server + "/login?next=" + quote(next_url, safe="/"))
    page.fill("#username", "csr")
    page.fill("#password", DEMO_PASSWORD)
    page.click(SIGN_IN)
    page.wait_for_load_state()
    page.wait_for_timeout(300)
    assert seen == []
    assert page.url.startswith(live_server + "/orders/")
    context.close()


def test_sign_in_returns_to_the_page_asked_for(browser, live_server, demo):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server + "/orders/1004?tab=notes")
    assert "/login?next=" in page.url
    page.fill("#username", "csr")
    page.fill("#password", DEMO_PASSWORD)
    page.click(SIGN_IN)
    page.wait_for_url("**/orders/1004?tab=notes")
    context.close()


def copy_of(browser, context):
    """Another browser given a copy of `context`'s cookies."""
    other = browser.new_context()
    other.add_cookies(context.cookies())
    return other


def test_signing_out_ends_a_copied_session(browser, live_server, demo):
    desk = browser.new_context()
    page = desk.new_page()
    page.goto(live_server + "/login")
    page.fill("#username", "csr")
    page.fill("#password", DEMO_PASSWORD)
    page.click(SIGN_IN)
    page.wait_for_url("**/orders/")
    thief = copy_of(browser, desk).new_page()
    thief.goto(live_server + "/orders/1004")
    assert thief.url.endswith("/orders/1004")
    page.click("form.signout button")
    page.wait_for_url("**/login")
    thief.goto(live_server + "/orders/1004")
    assert "/login?next=" in thief.url
    desk.close()
    thief.context.close()


def test_portal_sign_out_ends_a_copied_session(browser, live_server, demo):
    home = browser.new_context()
    page = home.new_page()
    page.goto(live_server + "/portal/login")
    page.fill("#email", PRIYA_EMAIL)
    page.fill("#password", DEMO_PASSWORD)
    page.click(SIGN_IN)
    page.wait_for_url("**/portal/")
    thief = copy_of(browser, home).new_page()
    thief.goto(live_server + "/portal/orders/1003")
    assert thief.url.endswith("/portal/orders/1003")
    page.click("form.signout button")
    page.wait_for_url("**/portal/login")
    thief.goto(live_server + "/portal/orders/1003")
    assert thief.url.endswith("/portal/login")
    home.close()
    thief.context.close()


@pytest.fixture
def https_server(app, tmp_path):
    """The app served over HTTPS with a certificate of its own CA."""
    authority = Authority(tmp_path / "tls")
    authority.ensure(["127.0.0.1", "localhost"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(authority.cert), str(authority.key))
    server = make_server("127.0.0.1", 0, app, threaded=True,
                         ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "https://127.0.0.1:%d" % server.server_port
    server.shutdown()
    thread.join(5)


def signed_in_cookie(browser, base_url):
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.goto(base_url + "/login")
    page.fill("#username", "csr")
    page.fill("#password", DEMO_PASSWORD)
    page.click(SIGN_IN)
    page.wait_for_url("**/orders/")
    [cookie] = [c for c in context.cookies() if c["name"] == "session"]
    context.close()
    return cookie


def test_cookie_is_secure_over_https(browser, https_server, live_server,
                                     demo):
    cookie = signed_in_cookie(browser, https_server)
    assert cookie["secure"] and cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    # Over plain HTTP (a development machine) it cannot be Secure.
    assert not signed_in_cookie(browser, live_server)["secure"]
