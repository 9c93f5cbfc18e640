"""Every label print is in the order history, so only the order page's
own buttons print: a POST carrying the session's CSRF token.  A link, an
image tag or a browser's prefetch elsewhere (a GET), or a form posted
from another site (no token), adds nothing to the history."""
import pytest

from order_helpers import everything, history_count
from sign_in_helpers import csrf_app, page_token, staff_sign_in

# Order 1001 is delivered: every label applies to it.
LABELS = [("/orders/1001/labels.pdf", {}),
          ("/orders/1001/order-label.pdf", {}),
          ("/orders/1001/patient-labels.pdf", {}),
          ("/orders/1001/shipping-label.pdf", {}),
          ("/orders/1001/shipping-label.pdf", {"view": "1"}),
          ("/orders/1001/labels/reprint/patient", {}),
          ("/orders/1001/labels/reprint/bottle", {})]


@pytest.fixture
def web(app, demo):
    return csrf_app(app.config["DATABASE"])


@pytest.mark.parametrize("role", ["associate", "admin"])
def test_a_get_never_prints(web, demo, role):
    c = web.test_client()
    assert staff_sign_in(c, role).status_code == 302
    before = everything(demo)
    for url, data in LABELS:
        query = "?view=1" if data else ""
        for method in ("GET", "HEAD"):
            response = c.open(url + query, method=method)
            assert response.status_code == 405, (method, url)
            assert not response.data.startswith(b"%PDF")
    assert everything(demo) == before


def test_a_post_from_elsewhere_prints_nothing(web, demo):
    c = web.test_client()
    assert staff_sign_in(c, "admin").status_code == 302
    before = everything(demo)
    for url, data in LABELS:
        for token in (None, "forged"):
            sent = dict(data, csrf_token=token) if token else data
            response = c.post(url, data=sent)
            assert response.status_code == 400, url
            assert "CSRF" in response.get_data(as_text=True)
    assert everything(demo) == before


def test_the_pages_buttons_print_and_record(web, demo):
    c = web.test_client()
    assert staff_sign_in(c, "admin").status_code == 302
    token = page_token(c, "/orders/1001")
    for url, data in LABELS:
        before = history_count(demo, 1001)
        response = c.post(url, data=dict(data, csrf_token=token))
        assert response.status_code == 200, url
        assert response.data.startswith(b"%PDF-")
        assert history_count(demo, 1001) == before + 1, url
