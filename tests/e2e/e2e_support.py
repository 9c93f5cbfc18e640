"""Helpers for the end-to-end tests (a module of its own: every test
folder has a conftest.py, so `from conftest import ...` would be ambiguous)."""
import json
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def auth_header(username="admin"):
    """HTTP Basic credentials of a demo staff account."""
    import base64
    from server.seed import DEMO_PASSWORD
    token = base64.b64encode(("%s:%s" % (username, DEMO_PASSWORD)).encode())
    return {"Authorization": "Basic " + token.decode()}


def get(stack, path):
    req = urllib.request.Request(stack.url.rstrip("/") + path,
                                 headers=auth_header())
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read().decode()
        return json.loads(body) if path.startswith("/api/") else body
