"""Every route of the app, read from its url_map so a new route is swept
too, for every kind of caller: nobody signed in, each staff role, a
Client Portal client, and HTTP Basic for the JSON API; every method it
accepts; hostile values in its path, query string, form fields and JSON
body.  These rules hold for every request:

- never a server error;
- a GET changes nothing in the database, whoever sends it (a link, an
  image or a prefetch from anywhere can send one): whatever writes is a
  POST carrying the session's CSRF token;
- a refused request (4xx, a redirect to a sign-in page, or an error
  flashed) leaves the database exactly as it was;
- a caller turned away for who they are gets the same answer whether
  the ids in the path exist or not;
- no cookie too large for a browser to keep (a long value quoted in a
  flashed message would lose the session).

And every form of the app's pages that posts carries the CSRF token.

Real ids, query parameters and form fields come from the app itself:
the sweep signs in through the sign-in forms, crawls the pages and reads
their links and forms (names, types, defaults), so a form added to a
template is swept with its own fields; JSON routes get the fields of the
page form they mirror (/api/orders/1/x <-> /orders/1/x).  Hostile values
are sampled per route and field by a fixed rotation: every run sends the
same requests, and together the routes cover every value."""
import datetime
import io
import json
import re
import shutil
import traceback
from urllib.parse import urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from server.app import create_app
from server.demo_data import DEMO_PASSWORD

from sweep_cases import Case, absent_ids, cases_for
from sweep_support import Watch, crawl, endpoint_of, filled, query_names

# The routes, from an app that serves nothing.
_ROUTE_APP = create_app({"TESTING": True, "DATABASE": ":memory:",
                         "SECRET_KEY": "routes"})
RULES = sorted(_ROUTE_APP.url_map.iter_rules(), key=lambda r: r.endpoint)
STAFF_ROLES = ("associate", "csr", "supervisor", "admin")
PORTAL_EMAIL = "priya.raman@rogers.com"
LOGIN_PATHS = ("/login", "/portal/login")
# Signing out ends at the sign-in page: that is its success, not a refusal.
LOGOUT_PATHS = ("/logout", "/portal/logout")

# Browsers ignore a cookie larger than this (RFC 6265's least limit):
# the session, and the message flashed in it, would be lost.
COOKIE_MAX = 4096
# The one write a refusal is meant to make: a refused sign-in counts
# towards that name's lockout (server.staff.sign_in).
REFUSALS_RECORD = {"sign_in_failures"}
# Callers sampled rather than sent every case.
REFUSED_SAMPLE = 6          # cases for a caller its role turns away
BASIC_SAMPLE = 3            # cases over HTTP Basic (a password check each)


# ---------------------------------------------------------------- callers
class Caller:
    def __init__(self, name, client, token=None, basic=None):
        self.name, self.client, self.token, self.basic = (
            name, client, token, basic)


def _token(html):
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return match.group(1) if match else None


def _sign_in(app, who):
    client = app.test_client()
    if who == "anonymous":
        return Caller(who, client, _token(client.get("/login").get_data(
            as_text=True)))
    if who == "basic":
        return Caller(who, client, basic=("supervisor", DEMO_PASSWORD))
    portal = who == "portal"
    page = "/portal/login" if portal else "/login"
    token = _token(client.get(page).get_data(as_text=True))
    form = {"email": PORTAL_EMAIL} if portal else {"username": who}
    response = client.post(page, data=dict(form, password=DEMO_PASSWORD,
                                           csrf_token=token))
    assert response.status_code == 302, (who, response.status_code)
    home = client.get("/portal/" if portal else "/orders/")
    return Caller(who, client, _token(home.get_data(as_text=True)))


HOMES = {"portal": "/portal/", "anonymous": "/login"}


def signed_in(caller):
    """Whether the caller still reaches its own home page (staff: the
    Orders dashboard; the client: the portal)."""
    if caller.basic:
        return True
    home = HOMES.get(caller.name, "/orders/")
    response = caller.client.get(home)
    return response.status_code == 200


def _post(caller, url, data):
    response = caller.client.post(url, data=dict(
        data, csrf_token=caller.token))
    assert response.status_code in (302, 303), (url, response.status_code)


def _add_records(admin):
    """One of each record the demo data lacks, through the pages, so
    every record route has a real id to be swept with."""
    today = datetime.date.today().isoformat()
    _post(admin, "/orders/1001/actions/return_bottles", {})
    serial = re.search(r'name="serials" value="([^"]+)"', admin.client.get(
        "/orders/1001?tab=destruction").get_data(as_text=True)).group(1)
    _post(admin, "/orders/1001/destructions", {
        "serials": serial, "net_weight_grams": "5", "method": "incineration",
        "location": "Vault", "destroyed_on": today, "witness_1": "Ann",
        "witness_2": "Bob"})
    _post(admin, "/orders/1002/complaints", {
        "category": "other", "description": "Sweep", "reported_by": "Ann",
        "received_on": today})
    _post(admin, "/orders/1002/documents", {
        "file": (io.BytesIO(b"sweep document"), "sweep.txt")})
    _post(admin, "/orders/1001/returned-grams", {"grams": "1",
                                                 "reason": "returned"})
    # A recalled lot, so its recall report (page, CSV, PDF) is swept.
    lot = re.search(r'href="/lots/([A-Z0-9-]+)"', admin.client.get(
        "/lots/").get_data(as_text=True)).group(1)
    _post(admin, "/lots/%s/recall" % lot, {"reason": "Sweep"})


# --------------------------------------------------------------- the app
class Sweep:
    """The app, its callers, what its pages link to and the forms they
    hold, and the watch on its database."""

    def __init__(self, folder, demo_db):
        path = folder / "pickgun.db"
        shutil.copyfile(demo_db, path)
        self.app = create_app({"TESTING": True, "DATABASE": str(path),
                               "SECRET_KEY": "sweep", "CSRF_ENABLED": True})
        self.adapter = self.app.url_map.bind("localhost")
        self.callers = {who: _sign_in(self.app, who) for who in (
            "anonymous",) + STAFF_ROLES + ("portal", "basic")}
        _add_records(self.callers["admin"])
        self.urls, self.forms, self.queries = {}, {}, {}
        self.forms_at = {}          # forms by the path they post to
        self.tokenless = []         # posting forms without a CSRF token
        self.args = {}              # URL part name: values seen
        seen_forms = set()
        for who, start in (("admin", ["/"]), ("portal", ["/portal/"]),
                           ("anonymous", list(LOGIN_PATHS))):
            links, forms = crawl(self.callers[who].client, self.adapter,
                                 start, limit=400, per_endpoint=60)
            for url in links:
                self._know(url, "GET")
            for page, form in forms:
                method = form["method"].upper()
                if method == "POST" and "csrf_token" not in [
                        f["name"] for f in form["fields"]]:
                    self.tokenless.append((who, page, form["action"]))
                endpoint = self._know(form["action"], method)
                key = (form["action"], tuple(filled(form)))
                if endpoint and key not in seen_forms:
                    seen_forms.add(key)
                    self.forms.setdefault((endpoint, method), []).append(
                        form)
                    self.forms_at.setdefault(urlsplit(
                        form["action"]).path, []).append(form)
        # The JSON API mirrors the pages: /api/orders/1 <-> /orders/1.
        for (_endpoint, method), urls in list(self.urls.items()):
            for url in list(urls):
                page, _, query = url.partition("?")
                self._know("/api" + page.rstrip("/") + (
                    "?" + query if query and method == "GET" else ""),
                    method)
        self.watch = Watch(str(path))

    def _know(self, url, method):
        match = endpoint_of(self.adapter, url, method)
        if match is None:
            return None
        endpoint = match[0]
        for name, value in match[1].items():
            values = self.args.setdefault(name, [])
            if value not in values:
                values.append(value)
        known = self.urls.setdefault((endpoint, method), [])
        if url not in known:
            known.append(url)
        self.queries.setdefault(endpoint, set()).update(query_names(url))
        return endpoint


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, db_templates):
    s = Sweep(tmp_path_factory.mktemp("sweep"), db_templates["demo"])
    yield s
    s.watch.close()


# ------------------------------------------------------------- requests
def _send(caller, method, case):
    kwargs = {"method": method}
    headers = {}
    if case.json_body is not None:
        kwargs["data"] = json.dumps(case.json_body)
        kwargs["content_type"] = "application/json"
    elif case.body is not None:
        kwargs["data"] = case.body
        kwargs["content_type"] = "application/json"
    elif case.form is not None:
        data = MultiDict(case.form)
        if case.csrf and caller.token:
            data.add("csrf_token", caller.token)
        for name in case.files or ():
            data.add(name, (io.BytesIO(b"sweep"), "sweep.txt"))
        kwargs["data"] = data
    if case.csrf and caller.token and case.form is None:
        headers["X-CSRF-Token"] = caller.token
    if caller.basic:
        kwargs["auth"] = caller.basic
    return caller.client.open(case.url, headers=headers, **kwargs)


def _refused(caller, response):
    """Whether the app turned the request down, and why."""
    if response.status_code >= 400:
        return "HTTP %d" % response.status_code
    if response.status_code in (301, 302, 303, 307, 308):
        location = urlsplit(response.headers.get("Location", "")).path
        if location in LOGIN_PATHS:
            return "sent to sign in"
        with caller.client.session_transaction() as session:
            errors = [m for c, m in session.get("_flashes", [])
                      if c == "error"]
        if errors:
            return "flashed: " + errors[0][:80]
    elif response.mimetype == "text/html" and \
            b"flash-error" in response.get_data():
        return "error shown"
    return None


def _auth_refusal(response):
    return response.status_code in (401, 403) or (
        response.status_code in (302, 303) and urlsplit(
            response.headers.get("Location", "")).path in LOGIN_PATHS)


def run(sweep, caller, method, case, problems):
    """Send one case from a fresh copy of the starting database; note
    every broken rule in `problems`.  Returns the response (None when the
    app raised)."""
    watch = sweep.watch
    watch.restore()
    session = caller.client.get_cookie("session")
    version = watch.version()
    where = "%s %s %s [%s]" % (caller.name, method, case.url[:120],
                               case.label)
    try:
        response = _send(caller, method, case)
    except Exception as e:
        frame = traceback.extract_tb(e.__traceback__)[-1]
        problems.append("%s: raised %s: %s (%s:%d)" % (
            where, type(e).__name__, str(e)[:200], frame.filename,
            frame.lineno))
        watch.dirty = True
        response = None
    changed = watch.version() != version
    watch.dirty = watch.dirty or changed
    if response is not None:
        why = _refused(caller, response)
        if why == "sent to sign in" and \
                urlsplit(case.url).path in LOGOUT_PATHS:
            why = None
        if response.status_code >= 500:
            problems.append("%s: HTTP %d" % (where, response.status_code))
        elif method == "GET" and changed and \
                set(watch.changes()) - REFUSALS_RECORD:
            problems.append("%s: a GET changed %s" % (
                where, ", ".join(watch.changes())))
        elif why and changed and set(watch.changes()) - REFUSALS_RECORD:
            problems.append("%s: refused (%s) yet changed %s" % (
                where, why, ", ".join(watch.changes())))
        too_big = [c[:40] for c in response.headers.getlist("Set-Cookie")
                   if len(c) > COOKIE_MAX]
        if too_big:
            problems.append("%s: a cookie browsers would drop (over %d "
                            "bytes): %s" % (where, COOKIE_MAX, too_big))
        if case.hostile_id and response.status_code != 404 and \
                not _auth_refusal(response):
            problems.append("%s: a path id that cannot exist gave HTTP %d, "
                            "not 404" % (where, response.status_code))
        if case.url.startswith("/api/") and 400 <= response.status_code \
                < 500 and not (response.is_json and isinstance(
                    response.get_json(silent=True), dict) and
                    response.get_json()["error"]):
            problems.append("%s: HTTP %d without a JSON error" % (
                where, response.status_code))
    if session is None:
        caller.client.delete_cookie("session")
    else:
        caller.client.set_cookie("session", session.value)
    return response


# ------------------------------------------------------------------ test
def _spread(cases, count):
    """`count` cases spread over the list, the valid first one kept."""
    step = max(len(cases) // count, 1)
    return cases[::step][:count]


def test_sweep_requests_reach_the_handlers(sweep):
    """The callers' sessions and CSRF tokens are good: a valid request of
    each kind gets through and does its work."""
    problems = []
    for who, method, case in [
            ("csr", "POST", Case("valid form", "/orders/1004/notes",
                                 form=[("text", "Sweep note")])),
            ("csr", "POST", Case("valid JSON", "/api/orders/1004/notes",
                                 json_body={"text": "Sweep note"})),
            ("basic", "POST", Case("valid JSON", "/api/orders/1004/notes",
                                   json_body={"text": "Sweep note"})),
            ("portal", "POST", Case("valid form", "/portal/orders/new",
                                    form=[("qty_CBD-OIL-30", "1")]))]:
        caller = sweep.callers[who]
        version = sweep.watch.version()
        response = run(sweep, caller, method, case, problems)
        assert response.status_code in (201, 302), (who, case.url)
        assert _refused(caller, response) is None, (who, case.url)
        assert sweep.watch.version() != version, (who, case.url)
    assert not problems
    for caller in sweep.callers.values():
        assert signed_in(caller), caller.name


def _same_for_absent_ids(sweep, caller, method, rule, case, refused,
                         problems):
    """A refusal must not tell the caller which ids exist."""
    absent = absent_ids(sweep.adapter, rule, method, case)
    if absent is None:
        return
    response = run(sweep, caller, method, absent, problems)
    if response is not None and response.status_code != \
            refused.status_code:
        problems.append("%s %s %s: refused with HTTP %d, but HTTP %d for "
                        "ids that do not exist (%s)" % (
                            caller.name, method, case.url[:120],
                            refused.status_code, response.status_code,
                            absent.url[:120]))


def test_every_posting_form_carries_the_csrf_token(sweep):
    assert sweep.tokenless == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.endpoint)
def test_route_sweep(sweep, rule):
    problems = []
    callers = [c for name, c in sweep.callers.items()
               if name != "basic" or rule.rule.startswith("/api/")]
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        for caller in callers:
            cases = cases_for(sweep, rule, method, caller)
            if caller.basic:
                cases = _spread(cases, BASIC_SAMPLE)
            first = run(sweep, caller, method, cases[0], problems)
            if first is not None and _auth_refusal(first):
                # Turned away before any input is read: a sample shows
                # it stays so whatever is sent, and ids nobody has get
                # the same answer as real ones.
                cases = _spread(cases, REFUSED_SAMPLE)
                _same_for_absent_ids(sweep, caller, method, rule, cases[0],
                                     first, problems)
            for case in cases[1:]:
                run(sweep, caller, method, case, problems)
            if not signed_in(caller):
                # Signed out for good (not only by this request's cookie):
                # the next routes need the caller back.
                sweep.callers[caller.name] = _sign_in(sweep.app, caller.name)
    assert not problems, "%d problem(s):\n" % len(problems) + "\n".join(
        problems[:40])
