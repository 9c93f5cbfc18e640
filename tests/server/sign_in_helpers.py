"""Signing in the way a browser does: read the form's CSRF token from the
page, post it with the credentials, and keep the cookie."""
import re

from server.app import create_app
from server.demo_data import DEMO_PASSWORD

PRIYA_EMAIL = "priya.raman@rogers.com"
# The password of the test accounts, one per role (conftest.py).
TEST_PASSWORD = "test-password"


def csrf_app(database, **config):
    """An app on `database` that checks CSRF tokens like production."""
    return create_app(dict({"TESTING": True, "DATABASE": database,
                            "SECRET_KEY": "test", "CSRF_ENABLED": True},
                           **config))


def token_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def page_token(client, path):
    return token_of(client.get(path).get_data(as_text=True))


def staff_sign_in(client, username, password=DEMO_PASSWORD, next_url=None,
                  **kwargs):
    token = page_token(client, "/login")
    return client.post("/login", query_string={"next": next_url}
                       if next_url is not None else None,
                       data={"username": username, "password": password,
                             "csrf_token": token}, **kwargs)


def portal_sign_in(client, email=PRIYA_EMAIL, password=DEMO_PASSWORD,
                   **kwargs):
    token = page_token(client, "/portal/login")
    return client.post("/portal/login", data={
        "email": email, "password": password, "csrf_token": token},
        **kwargs)


def session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def client_with_cookie(app, value):
    """Another browser holding a copy of someone's session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def flash_text(response):
    html = response.get_data(as_text=True)
    found = re.findall(r'class="flash flash-\w+"[^>]*>(.*?)</', html, re.S)
    return " ".join(" ".join(f.split()) for f in found)
