"""Signing in: where it may send the browser afterwards, and that
neither its timing nor its lockout tells whether an account exists."""
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from server.staff.sign_in import LOCK_AFTER
from server.demo_data import DEMO_PASSWORD
from sign_in_helpers import (csrf_app, flash_text, page_token,
                             portal_sign_in, staff_sign_in)


@pytest.fixture
def web(app, demo):
    return csrf_app(app.config["DATABASE"])


OFF_SITE = [
    "//evil.example/", "///evil.example/", "////evil.example/",
    "/\\evil.example/", "\\\\evil.example/", "/\\/evil.example/",
    "\\/evil.example/", "/\t/evil.example/", "/\n/evil.example/",
    "/\r\n/evil.example/", "\t//evil.example/", " //evil.example/",
    "/ /evil.example/", "/\x00/evil.example/", "/\x0b/evil.example/",
    "https://evil.example/", "HTTPS://evil.example/", "//evil.example:80/",
    "https:/evil.example/", "https:evil.example", "javascript:alert(1)",
    "JaVaScRiPt:alert(1)", "data:text/html,x", "evil.example",
    "/\u3000/evil.example/", "/\u2028/evil.example/",
    "", "   ",
]


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_sign_in_goes_nowhere_but_this_site(web, next_url):
    r = staff_sign_in(web.test_client(), "csr", next_url=next_url)
    assert r.status_code == 302
    assert r.headers["Location"] == "/", next_url


def test_a_tab_in_the_address_does_not_lead_off_site(web):
    # Browsers drop tabs and newlines from an address: /<tab>/evil.example/
    # would become //evil.example/, another site.
    c = web.test_client()
    token = page_token(c, "/login")
    r = c.post("/login?next=/%09/evil.example/", data={
        "username": "csr", "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/"


@pytest.mark.parametrize("next_url", [
    "/orders/1004", "/orders/?q=Tremblay&sort=id", "/clients/3?tab=orders",
    "/orders/1004#notes",
    # Escaped slashes stay a path of this site: browsers do not unescape.
    "/orders/%2F%2Fevil.example", "/%09/evil.example/"])
def test_sign_in_returns_to_the_page_asked_for(web, next_url):
    r = staff_sign_in(web.test_client(), "csr", next_url=next_url)
    location = r.headers["Location"]
    assert location == next_url
    assert not urlsplit(location).netloc


def test_a_page_asked_for_survives_the_sign_in_form(web):
    c = web.test_client()
    r = c.get("/orders/1004?tab=notes")
    [next_url] = parse_qs(urlsplit(r.headers["Location"]).query)["next"]
    assert next_url == "/orders/1004?tab=notes"
    r = staff_sign_in(c, "csr", next_url=next_url)
    assert r.headers["Location"] == "/orders/1004?tab=notes"


# --------------------------------------------------- account discovery
@pytest.fixture
def hash_checks(monkeypatch):
    """How many scrypt password hashes are computed (Werkzeug's default
    method, the one every stored hash uses)."""
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


@pytest.mark.parametrize("sign_in,known,unknown", [
    (staff_sign_in, "csr", "nobody-here"),
    (portal_sign_in, "priya.raman@rogers.com", "nobody@example.com"),
])
def test_unknown_names_cost_a_hash_like_known_ones(web, hash_checks,
                                                   sign_in, known, unknown):
    c = web.test_client()
    sign_in(c, known, "wrong-password")        # warm any one-off set-up
    sign_in(c, unknown, "wrong-password")
    for name in (known, unknown):
        del hash_checks[:]
        assert sign_in(c, name, "wrong-password").status_code == 401
        assert len(hash_checks) == 1, name


@pytest.mark.parametrize("sign_in,known,unknown", [
    (staff_sign_in, "csr", "nobody-here"),
    (portal_sign_in, "priya.raman@rogers.com", "nobody@example.com"),
])
def test_lockout_looks_the_same_for_unknown_names(web, sign_in, known,
                                                  unknown):
    c = web.test_client()
    for attempt in range(LOCK_AFTER + 2):
        answers = []
        for name in (known, unknown):
            r = sign_in(c, name, "wrong-password")
            answers.append((r.status_code, flash_text(r)))
        assert answers[0] == answers[1], attempt
    assert answers[0][0] == 429 and "locked until" in answers[0][1]
    # The right password is refused while locked, with the same answer.
    r = sign_in(c, known, DEMO_PASSWORD)
    assert (r.status_code, flash_text(r)) == answers[0]


def test_lockout_ends_and_a_success_clears_the_count(web, demo):
    c = web.test_client()
    for _ in range(LOCK_AFTER - 1):
        staff_sign_in(c, "csr", "wrong-password")
    assert staff_sign_in(c, "csr").status_code == 302
    # The count started again: four more wrong ones do not lock.
    c = web.test_client()
    for _ in range(LOCK_AFTER - 1):
        assert staff_sign_in(c, "csr", "wrong-password").status_code == 401
    assert staff_sign_in(c, "csr").status_code == 302


def test_names_are_counted_as_typed_case_and_spaces_aside(web):
    c = web.test_client()
    for name in ("CSR", " csr", "csr ", "Csr", "cSr"):
        staff_sign_in(c, name, "wrong-password")
    assert staff_sign_in(c, "csr").status_code == 429
