"""A URL the app does not have is a 404 page for everyone, signed in or
not; under /portal/ it is the Client Portal's own page, which never leads
to the staff sign-in.  A client learns nothing about other clients'
orders: someone else's order is "not found" exactly like one that does
not exist."""
import re

import pytest

from sign_in_helpers import csrf_app, portal_sign_in, staff_sign_in

PORTAL_UNKNOWN = ["/portal/nope", "/portal/orders/abc", "/portal/orders/0",
                  "/portal/orders/1003/nope", "/portal/static/x.css"]
STAFF_UNKNOWN = ["/nope", "/orders/1001/nope", "/orders/abc",
                 "/clients/1/nope"]


@pytest.fixture
def web(app, demo):
    return csrf_app(app.config["DATABASE"])


def portal_client(web):
    c = web.test_client()
    assert portal_sign_in(c).status_code == 302
    return c


def staff_client(web, role="csr"):
    c = web.test_client()
    assert staff_sign_in(c, role).status_code == 302
    return c


def assert_portal_404(response):
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert 'class="portal"' in html
    assert 'href="/portal/"' in html
    # Nothing here leads to staff pages or their sign-in.
    assert not re.search(r'(href|action)="/(?!portal/|static/)', html)


@pytest.mark.parametrize("url", PORTAL_UNKNOWN)
def test_unknown_portal_url_signed_in_is_a_portal_404(web, url):
    response = portal_client(web).get(url)
    assert_portal_404(response)
    assert "My orders" in response.get_data(as_text=True)     # signed in


@pytest.mark.parametrize("url", PORTAL_UNKNOWN)
def test_unknown_portal_url_anonymous_is_a_plain_404(web, url):
    response = web.test_client().get(url)
    assert_portal_404(response)
    html = response.get_data(as_text=True)
    assert "Sign out" not in html and "My orders</a>" not in html


def test_unknown_portal_url_posted_is_a_404(web):
    for c in (web.test_client(), portal_client(web)):
        assert_portal_404(c.post("/portal/nope", data={"x": "1"}))


def test_portal_without_its_slash_goes_to_the_portal(web):
    response = web.test_client().get("/portal")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/portal/")


def test_portal_refusals_keep_the_portal_look(web):
    c = portal_client(web)
    response = c.post("/portal/orders/new", data={"qty_CBD-OIL-30": "1"})
    assert response.status_code == 400 and "CSRF" in response.get_data(
        as_text=True)
    assert 'class="portal"' in response.get_data(as_text=True)


def test_someone_elses_order_is_not_found_like_a_missing_one(web):
    c = portal_client(web)
    theirs = c.get("/portal/orders/1001")        # another client's order
    missing = c.get("/portal/orders/99999")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_data(as_text=True).replace("1001", "#") == \
        missing.get_data(as_text=True).replace("99999", "#")
    assert_portal_404(theirs)


@pytest.mark.parametrize("url", STAFF_UNKNOWN)
def test_unknown_staff_url_is_a_404_for_everyone(web, url):
    anonymous = web.test_client().get(url)
    assert anonymous.status_code == 404
    html = anonymous.get_data(as_text=True)
    assert "Sign out" not in html and "Picking list" not in html
    signed_in = staff_client(web).get(url)
    assert signed_in.status_code == 404
    assert "Sign out" in signed_in.get_data(as_text=True)
    assert portal_client(web).get(url).status_code == 404


def test_unknown_api_url_is_a_json_404(web):
    for c in (web.test_client(), staff_client(web)):
        response = c.get("/api/nope")
        assert response.status_code == 404 and response.get_json()["error"]
