"""Helpers for the end-to-end tests (a module of its own: every test
folder has a conftest.py, so `from conftest import ...` would be ambiguous)."""
import http.cookiejar
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def auth_header(username="admin"):
    """HTTP Basic credentials of a demo staff account."""
    import base64
    from server.demo_data import DEMO_PASSWORD
    token = base64.b64encode(("%s:%s" % (username, DEMO_PASSWORD)).encode())
    return {"Authorization": "Basic " + token.decode()}


def get(stack, path):
    """A JSON API answer (HTTP Basic) or a page (signed in through the
    sign-in form: Basic opens the API only)."""
    base = stack.url.rstrip("/")
    if path.startswith("/api/"):
        req = urllib.request.Request(base + path, headers=auth_header())
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read().decode())
    from server.demo_data import DEMO_PASSWORD
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with browser.open(base + "/login", timeout=10) as r:
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          r.read().decode()).group(1)
    form = urllib.parse.urlencode({"username": "admin",
                                   "password": DEMO_PASSWORD,
                                   "csrf_token": token}).encode()
    with browser.open(base + "/login?next=" + urllib.parse.quote(path),
                      data=form, timeout=10) as r:
        return r.read().decode()
