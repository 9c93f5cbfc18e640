"""Helpers for the end-to-end tests (a module of its own: every test
folder has a conftest.py, so `from conftest import ...` would be ambiguous)."""
import json
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def get(stack, path):
    with urllib.request.urlopen(stack.url.rstrip("/") + path, timeout=10) as r:
        body = r.read().decode()
        return json.loads(body) if path.startswith("/api/") else body
