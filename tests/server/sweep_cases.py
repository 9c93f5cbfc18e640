"""The requests the route sweep (test_route_sweep.py) sends to one
route: a valid one first, built from what the app's own pages link to
and the forms they hold, then the same with hostile values in the path,
the query string, each form field and the JSON body."""
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from sweep_support import (CORE_JSON, CORE_TEXT, HOSTILE_BODIES, HOSTILE_IDS,
                           HOSTILE_JSON, HOSTILE_PATH_TEXT, HOSTILE_TEXT,
                           endpoint_of, files_of, filled, query_names,
                           rotation)

# Parameters the view code reads that no page link or form carries.
EXTRA_QUERY = {
    "orders.index": ["after", "before", "page"],
    "api.list_orders": ["limit", "after", "show", "status", "sort", "dir",
                        "q"],
    "documents.generate": ["tab"],
    "recurring.new": ["client_id"],
}
EXTRA_FIELDS = {
    "orders.act": ["lines", "discount_cents", "shipping_cents",
                   "shipping_rate_id", "payment_method", "reference",
                   "detail"],
    "api.post_action": ["lines", "discount_cents", "shipping_cents",
                        "discount", "shipping", "payment_method", "detail"],
    "recurring.new": ["lines"],
    "recurring.edit": ["lines"],
    "fulfilment.bottle_labels": ["layout"],
}
# Callers sent every CORE value; the others get a rotation only.
FULL_CALLERS = ("admin", "portal")
PER_FIELD = 2               # values in rotation per field, full callers
PER_FIELD_LIGHT = 1         # the same for the other callers
SAMPLE_URLS = 2             # real URLs per route
ABSENT_ID = str(10 ** 12)   # a valid id that no row has


class Case:
    def __init__(self, label, url, form=None, files=None, body=None,
                 json_body=None, csrf=True, hostile_id=False):
        self.label, self.url, self.form, self.files = label, url, form, files
        self.body, self.json_body, self.csrf = body, json_body, csrf
        self.hostile_id = hostile_id


class Values:
    """The hostile values one caller sends to one route: every CORE value
    and a rotation of the others (FULL_CALLERS), or a rotation of them
    all.  The rotation depends on route, field and caller, so the callers
    of one route cover different values."""

    def __init__(self, rule, caller):
        self.key = rule.endpoint + caller.name
        self.full = caller.name in FULL_CALLERS

    def text(self, name):
        if self.full:
            return CORE_TEXT + rotation(HOSTILE_TEXT, self.key + name,
                                        PER_FIELD)
        return rotation(CORE_TEXT + HOSTILE_TEXT, self.key + name,
                        PER_FIELD_LIGHT)

    def json(self, name):
        if self.full:
            return CORE_JSON + rotation(HOSTILE_JSON, self.key + name,
                                        PER_FIELD)
        return rotation(CORE_JSON + HOSTILE_JSON, self.key + name,
                        PER_FIELD_LIGHT)

    def one(self, name):
        return rotation(CORE_TEXT + HOSTILE_TEXT, self.key + name, 1)[0]


_PART = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _id_parts(rule):
    """Names of the rule's parts that are row ids (<id:...>)."""
    return {m.group(2) for m in _PART.finditer(rule.rule)
            if m.group(1) in ("id", "int")}


def _with_part(rule, args, name, value):
    """The rule's URL with `args`, part `name` replaced by `value` as is
    (the converter would refuse to build it)."""
    def part(m):
        raw = value if m.group(2) == name else str(args[m.group(2)])
        return quote(raw, safe="")
    return _PART.sub(part, rule.rule)


def absent_ids(adapter, rule, method, case):
    """`case` with every id of its path replaced by one no row has, or
    None when its route has no id in its path."""
    ids = _id_parts(rule)
    path, _, query = case.url.partition("?")
    match = endpoint_of(adapter, path, method)
    if not ids or match is None:
        return None
    args = dict(match[1], **{name: ABSENT_ID for name in ids})
    url = _PART.sub(lambda m: quote(str(args[m.group(2)]), safe=""),
                    rule.rule)
    return Case("absent ids", url + ("?" + query if query else ""),
                form=case.form, files=case.files, body=case.body,
                json_body=case.json_body, csrf=case.csrf)


def _sample_urls(sweep, rule, method):
    urls = sweep.urls.get((rule.endpoint, method), [])
    if urls:
        step = max(len(urls) // SAMPLE_URLS, 1)
        return urls[::step][:SAMPLE_URLS]
    # No page links here (polled by scripts, API only): real values of
    # the same URL parts from elsewhere.
    built = []
    for i in range(SAMPLE_URLS):
        values = {}
        for a in rule.arguments:
            seen = sweep.args.get(a) or [1 if a in _id_parts(rule) else "x"]
            values[a] = seen[i % len(seen)]
        url = sweep.adapter.build(rule.endpoint, values, method=method)
        if url not in built:
            built.append(url)
    return built


def _with_query(url, pairs):
    base = url.split("?")[0]
    kept = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    names = {n for n, _ in pairs}
    kept = [(n, v) for n, v in kept if n not in names]
    return base + "?" + urlencode(kept + pairs)


def _shape(url, fields=()):
    """What a URL (and form) looks like with its numbers left out."""
    return (re.sub(r"[0-9]+", "#", url), tuple(fields))


def _shapes(items, shape):
    """One item of each shape, e.g. one Cancel form of all the orders',
    one order page per tab."""
    seen, out = set(), []
    for item in items:
        if shape(item) not in seen:
            seen.add(shape(item))
            out.append(item)
    return out


def _form_shape(form):
    return _shape(form["action"], (f["name"] for f in form["fields"]))


def _form_cases(rule, values, url, form):
    base = [(n, v) for n, v in filled(form) if n != "csrf_token"]
    files = files_of(form)
    names = list(dict.fromkeys([n for n, _ in base] + [
        n for n in EXTRA_FIELDS.get(rule.endpoint, [])]))
    cases = [Case("valid form", url, base, files)]
    for name in names:
        others = [(n, v) for n, v in base if n != name]
        for value in values.text(name):
            cases.append(Case("%s=%r" % (name, value[:30]), url,
                              others + [(name, value)], files))
        cases.append(Case("%s missing" % name, url, others, files))
        cases.append(Case("%s twice" % name, url,
                          base + [(name, values.one(name))], files))
    cases.append(Case("every field hostile", url, [
        (n, values.one(n + "all")) for n in names], files))
    cases.append(Case("no CSRF token", url, base, files, csrf=False))
    return cases


def _json_of(pairs):
    body = {}
    for name, value in pairs:
        if name in body:
            body[name] = (body[name] if isinstance(body[name], list)
                          else [body[name]]) + [value]
        else:
            body[name] = value
    return body


def _twin_form(sweep, url):
    """The page form the JSON route at `url` mirrors, if any."""
    forms = sweep.forms_at.get(url[len("/api"):].split("?")[0], [])
    return forms[0] if forms else {"action": url, "fields": []}


def _json_cases(sweep, rule, values, url):
    twin = _twin_form(sweep, url)
    base = _json_of([(n, v) for n, v in filled(twin) if n != "csrf_token"])
    names = list(dict.fromkeys(list(base) + EXTRA_FIELDS.get(
        rule.endpoint, [])))
    cases = [Case("valid JSON", url, json_body=base)]
    for name in names:
        for value in values.json(name):
            cases.append(Case(("%s=%r" % (name, value))[:60], url,
                              json_body=dict(base, **{name: value})))
        cases.append(Case("%s missing" % name, url, json_body={
            k: v for k, v in base.items() if k != name}))
    for body in HOSTILE_BODIES:
        cases.append(Case("body %r" % body[:20], url, body=body))
    cases.append(Case("form body", url, form=[
        (k, v) for k, v in base.items() if isinstance(v, str)]))
    return cases


def _path_cases(adapter, rule, url, method, make):
    """Each part of the path replaced by hostile values; `make(url)` the
    case sent there."""
    match = endpoint_of(adapter, url, method)
    args = match[1] if match else {}
    cases = []
    for name in rule.arguments:
        is_id = name in _id_parts(rule)
        for value in HOSTILE_IDS if is_id else HOSTILE_PATH_TEXT:
            case = make(_with_part(rule, args, name, value))
            case.label = "path %s=%r" % (name, value[:30])
            case.hostile_id = is_id
            cases.append(case)
    return cases


def _get_cases(sweep, rule, values, url):
    cases = [Case("valid", url)]
    names = sorted(sweep.queries.get(rule.endpoint, set()) | set(
        EXTRA_QUERY.get(rule.endpoint, [])))
    for name in names:
        for value in values.text(name):
            cases.append(Case("?%s=%r" % (name, value[:30]),
                              _with_query(url, [(name, value)])))
    if names:
        cases.append(Case("every parameter hostile", _with_query(
            url, [(n, values.one(n)) for n in names])))
    return cases


def cases_for(sweep, rule, method, caller):
    """Every case `caller` sends to `rule` with `method`; the first is a
    valid request."""
    values = Values(rule, caller)
    api = rule.rule.startswith("/api/")
    urls = _sample_urls(sweep, rule, method)
    known = sweep.urls.get((rule.endpoint, method), []) or urls
    cases = []
    if method == "GET":
        for url in _shapes(known, lambda u: _shape(
                u.split("?")[0], sorted(query_names(u)))):
            cases += _get_cases(sweep, rule, values, url)
    elif api:
        for url in _shapes(known, lambda u: _form_shape(
                _twin_form(sweep, u))):
            cases += _json_cases(sweep, rule, values, url)
    else:
        forms = _shapes(sweep.forms.get((rule.endpoint, method), []),
                        _form_shape)
        for form in forms or [{"action": url, "fields": []}
                              for url in urls]:
            cases += _form_cases(rule, values, form["action"], form)
    for url in urls:
        cases += _path_cases(sweep.adapter, rule, url, method, lambda u: Case(
            "", u, json_body={} if api and method == "POST" else None,
            form=[] if method == "POST" and not api else None))
    return cases
