"""What the route sweep (test_route_sweep.py) needs besides its cases:
the links and forms of the app's own pages, the hostile values, and a
watch on the database that says whether a request changed it."""
import datetime
import sqlite3
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

# ---------------------------------------------------------------- values
def _long_text(length, seed=12345):
    """`length` letters and digits that do not compress (a cookie holding
    them stays as long as they are), the same on every run."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    out, state = [], seed
    for _ in range(length):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(alphabet[(state >> 16) % len(alphabet)])
    return "".join(out)


LONG = _long_text(10_000)
# Text that a query string or a form field may carry: CORE values go to
# every field (each broke something once), the others in rotation.
CORE_TEXT = [str(2 ** 63), "1e30", "²", "\x00", LONG, "nan"]
HOSTILE_TEXT = [
    str(10 ** 30), "-1", "0", "inf", "-inf", "true", "🌿 Ünïcödé ﷽", "١٢",
    "1.005", "", "   ", "[1]", "{\"a\": 1}", "-0", "9" * 30 + "." + "9" * 30,
    "1,5", "<script>alert(1)</script>", "%s%n", "a\x00b", "\r\n",
    "0.0001", "99999999", "1e-7", "x" * 10_000,
]
# Path parts: ids the converter must refuse, and strings for the others.
HOSTILE_IDS = ["0", str(2 ** 63), str(10 ** 30), "9" * 19, "-1", "1e30",
               "00001", "²", "١", "nan", "1.0"]
HOSTILE_PATH_TEXT = ["\x00", LONG, "🌿é", "../../etc/passwd",
                     "1e30", "-1", str(2 ** 63), ".", "%00", "a b"]
# Values of a JSON body's fields, as for text.
CORE_JSON = [2 ** 63, 1e30, float("nan"), True, [1], {"a": 1}, "\ud800",
             LONG, None]
HOSTILE_JSON = [
    10 ** 30, -1, 0, float("inf"), -float("inf"), False, [], {}, "\x00",
    "🌿", "1e30", "nan", 10 ** 400, 1.5, -0.0, "²", ["x", {"y": None}],
    0.1 + 0.2, "", 2 ** 63 - 1,
]
# Whole bodies sent as application/json.
HOSTILE_BODIES = [b"[]", b'"x"', b"1e999", b"null", b"[" * 5000 + b"]" * 5000,
                  b"{", b"\xff\xfe\x00", b'{"a": NaN}', b'{"a": 1, "a": {}}',
                  b'{"' + b"k" * 10_000 + b'": 1}']


def rotation(seq, key, count):
    """`count` items of `seq` starting at a place that depends on `key`
    only: every run picks the same ones, and different keys (route and
    field) cover different parts of the list."""
    start = _stable_hash(key) % len(seq)
    return [seq[(start + i) % len(seq)] for i in range(min(count, len(seq)))]


def _stable_hash(text):
    value = 5381
    for ch in text.encode("utf-8", "surrogatepass"):
        value = (value * 33 + ch) & 0xFFFFFFFF
    return value


# ----------------------------------------------------------------- pages
class Page(HTMLParser):
    """The links and forms of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(),
                          "action": a.get("action") or "",
                          "enctype": a.get("enctype") or "", "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "button") and a.get("name"):
            kind = (a.get("type") or ("submit" if tag == "button"
                                      else "text")).lower()
            self._form["fields"].append({
                "name": a["name"], "type": kind, "value": a.get("value", ""),
                "required": "required" in a, "checked": "checked" in a,
                "min": a.get("min")})
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "type": "select",
                            "value": None, "options": [],
                            "required": "required" in a}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select["options"].append(value)
            if "selected" in a:
                self._select["value"] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "type": "textarea",
                              "value": "", "required": "required" in a}
            self._form["fields"].append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse_page(html):
    page = Page()
    page.feed(html)
    return page


def filled(form):
    """[(name, value)] a person filling the form in would send: defaults
    kept, required fields given a plausible value of their type, the
    first choice of each select, checkbox group and radio group, the
    form's first named button."""
    out, groups, button = [], set(), None
    for f in form["fields"]:
        kind, name = f["type"], f["name"]
        if kind in ("submit", "button", "image"):
            button = button or (name, f["value"])
        elif kind in ("checkbox", "radio"):
            if name not in groups:
                out.append((name, f["value"] or "on"))
                groups.add(name)
        elif kind == "select":
            value = f["value"]
            if value is None:
                value = next((o for o in f["options"] if o), "")
            out.append((name, value))
        elif kind == "file":
            continue
        else:
            value = f["value"]
            if not value and f["required"]:
                value = _plausible(kind, f)
            out.append((name, value))
    if button:
        out.append(button)
    return out


def _plausible(kind, field):
    if kind == "date":
        return datetime.date.today().isoformat()
    if kind == "number":
        return field.get("min") or "1"
    if kind == "email":
        return "sweep@example.com"
    if kind == "password":
        return "sweep-password-1"
    return "Sweep " + field["name"]


def files_of(form):
    return [f["name"] for f in form["fields"] if f["type"] == "file"]


# ----------------------------------------------------------------- crawl
def endpoint_of(adapter, url, method="GET"):
    """(endpoint, view args) a URL of this app reaches, or None."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    try:
        return adapter.match(parts.path, method)
    except (HTTPException, RequestRedirect):
        return None


def crawl(client, adapter, start, limit, per_endpoint):
    """Follow the links of this app's HTML pages from `start` (GET only),
    at most `limit` pages and `per_endpoint` per endpoint.  Returns
    (links, forms): every same-site URL seen, and every form seen as
    (page URL, form)."""
    seen, queue, links, forms = set(), list(start), [], []
    visits = {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        match = endpoint_of(adapter, url)
        if match is None or visits.get(match[0], 0) >= per_endpoint:
            continue
        seen.add(url)
        visits[match[0]] = visits.get(match[0], 0) + 1
        response = client.get(url, follow_redirects=True)
        if response.status_code != 200 or \
                response.mimetype != "text/html":
            continue
        url = response.request.path + (
            "?" + response.request.query_string.decode()
            if response.request.query_string else "")
        page = parse_page(response.get_data(as_text=True))
        for href in page.links:
            full = urljoin(url, href).split("#")[0]
            if endpoint_of(adapter, full) is not None:
                links.append(full)
                queue.append(full)
        for form in page.forms:
            form = dict(form, action=urljoin(url, form["action"] or url)
                        .split("#")[0])
            forms.append((url, form))
            if form["method"] == "get":
                target = form["action"].split("?")[0] + "?" + urlencode(
                    filled(form))
                links.append(target)
                queue.append(target)
    return links, forms


def query_names(url):
    return [name for name, _ in parse_qsl(urlsplit(url).query,
                                          keep_blank_values=True)]


# -------------------------------------------------------------- database
class Watch:
    """Our own connection to the app's database: restores the sweep's
    starting point and says whether requests changed anything."""

    def __init__(self, path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        # A test database: restoring it need not wait for the disk.
        self.conn.execute("PRAGMA synchronous = OFF")
        self.start = sqlite3.connect(":memory:")
        self.conn.backup(self.start)
        self.tables = [r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "ORDER BY name")]
        self.start_dump = self.dump()
        self.dirty = False

    def version(self):
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def restore(self):
        if self.dirty:
            self.start.backup(self.conn)
            self.dirty = False

    def dump(self):
        return {t: sorted(map(repr, self.conn.execute(
            'SELECT * FROM "%s"' % t))) for t in self.tables}

    def changes(self):
        """Tables whose rows differ from the starting point."""
        now = self.dump()
        return [t for t in self.tables if now[t] != self.start_dump[t]]

    def close(self):
        self.conn.close()
        self.start.close()
