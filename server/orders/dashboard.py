"""The Orders dashboard's query: filters, sorts and keyset pages, with
the search's matches (server.orders.order_search) as one more filter.

Built to stay fast on a million orders:

- Pages are keyset pages: each one starts after (or before) the sort key
  of the row that ended (or began) the page shown, and walks an index in
  order (m004_order_search creates one per filter and sort), so page 500
  costs what page 1 costs.  Sort by status walks one status after the
  other, in workflow order.
- A search walks its capped matches (order_search.SEARCH_CAP), not an
  index of every order.
- Counts come from order_counts (kept by triggers), never from counting
  the orders table; a search counts its own capped matches.
"""
import json
from dataclasses import dataclass, field

from server.orders import states
from server.orders import order_search
from server.core.db import parse_id, parse_int

PAGE_SIZE = 50

# show= values of the radio filters: (label, SQL condition).
SHOWS = {
    "active": ("All", "o.archived = 0"),
    "unverified": ("Unverified", "o.verified = 0"),
    "archived": ("Archived", "o.archived = 1"),
}
SHOW_ALIASES = {"all": "active"}    # older links said show=all
# sort= values: (label, default direction).
SORTS = {
    "created": ("Created At", "desc"),
    "id": ("Order ID", "desc"),
    "status": ("Status", "asc"),
}
_RANK = {s: i for i, s in enumerate(states.STATUSES)}
_MAX_CURSOR = 80
PAGE_MAX = 10 ** 6          # the page number shown, nothing more


@dataclass
class Query:
    show: str | None = "active"  # a SHOWS key, or None: archived or not
    status: str | None = None
    q: str = ""
    sort: str = "created"
    dir: str = "desc"
    after: tuple | None = None  # sort key of the row before the page
    before: tuple | None = None  # sort key of the row after the page
    page: int = 1               # shown to the user only
    limit: int | None = PAGE_SIZE  # None: every row

    @property
    def default_dir(self):
        return SORTS[self.sort][1]


@dataclass
class Page:
    query: Query
    rows: list = field(default_factory=list)
    count: int = 0
    capped: bool = False        # more search matches than the cap
    next_cursor: str | None = None
    prev_cursor: str | None = None


# -------------------------------------------------------- request params
def parse(args):
    """A Query from the page's query-string `args` (a dict-like).  Any
    bad value falls back to its default instead of failing."""
    def text(name, default=""):
        value = args.get(name, default)
        return value if isinstance(value, str) else default

    show = text("show", "active")
    show = SHOW_ALIASES.get(show, show)
    if show not in SHOWS:
        show = "active"
    status = text("status") or None
    if status not in states.STATUSES:
        status = None
    sort = text("sort", "created")
    if sort not in SORTS:
        sort = "created"
    direction = text("dir") or SORTS[sort][1]
    if direction not in ("asc", "desc"):
        direction = SORTS[sort][1]
    query = Query(show=show, status=status, q=text("q").strip()[:200],
                  sort=sort, dir=direction)
    query.after = decode_cursor(query, text("after"))
    if query.after is None:
        query.before = decode_cursor(query, text("before"))
    page = parse_int(text("page", "1"))
    query.page = 1 if page is None else max(1, min(page, PAGE_MAX))
    if query.after is None and query.before is None:
        query.page = 1
    return query


def encode_cursor(query, row):
    """The cursor of `row` (a dict with id, created_at, status)."""
    if query.sort == "id":
        return str(row["id"])
    created = row["created_at"] or ""
    if query.sort == "status":
        return "%d~%s~%d" % (_RANK.get(row["status"], 0), created, row["id"])
    return "%s~%d" % (created, row["id"])


def decode_cursor(query, text):
    """The sort key a cursor names, or None if it is not a valid one."""
    if not text or len(text) > _MAX_CURSOR:
        return None
    parts = text.split("~")
    order_id = parse_id(parts[-1])
    if order_id is None:
        return None
    if query.sort == "id" and len(parts) == 1:
        return (order_id,)
    if query.sort == "created" and len(parts) == 2:
        return (parts[0], order_id)
    if query.sort == "status" and len(parts) == 3:
        rank = parse_int(parts[0], 0, len(states.STATUSES) - 1)
        if rank is not None:
            return (rank, parts[1], order_id)
    return None


# ------------------------------------------------------------------ pages
def _filters(query):
    where, params = [], []
    if query.show is not None:
        where.append(SHOWS[query.show][1])
    if query.status:
        where.append("o.status = ?")
        params.append(query.status)
    return where, params


def _segments(query):
    """The page's order as segments walked one after the other: [(extra
    condition, params)] and, within each, (key columns, direction)."""
    if query.sort == "id":
        return [("", [])], ("o.id",), query.dir
    if query.sort == "status":
        ranked = [s for s in states.STATUSES
                  if not query.status or s == query.status]
        if query.dir == "desc":
            ranked.reverse()
        return ([("o.status = ?", [s]) for s in ranked],
                ("o.created_at", "o.id"), "desc")
    return [("", [])], ("o.created_at", "o.id"), query.dir


def _keyset(columns, values, op):
    """SQL: (columns) op (values) for op '<' or '>', written so that an
    index on the columns serves it as a range."""
    if len(columns) == 1:
        return "%s %s ?" % (columns[0], op), [values[0]]
    (a, b), (va, vb) = columns, values
    return ("%s %s= ? AND (%s %s ? OR %s %s ?)" % (a, op, a, op, b, op),
            [va, va, vb])


def _page_ids(db, query, ids=None):
    """Order ids of the page, in display order, plus whether there are
    more rows past the page in the direction walked."""
    where, params = _filters(query)
    if ids is None:
        source, source_params = "orders o", []
    else:
        # Search: walk the (capped) matches, not an index of every order.
        source = "json_each(?) AS m CROSS JOIN orders o ON o.id = m.value"
        source_params = [json.dumps(ids)]
    segments, columns, direction = _segments(query)
    backwards = query.before is not None
    cursor = query.before if backwards else query.after
    if backwards:
        direction = "asc" if direction == "desc" else "desc"
        segments = segments[::-1]
    op = "<" if direction == "desc" else ">"
    order = ", ".join("%s %s" % (c, direction.upper()) for c in columns)

    start = 0
    if cursor is not None and query.sort == "status":
        rank_status = states.STATUSES[cursor[0]]
        start = next((i for i, (_, p) in enumerate(segments)
                      if p == [rank_status]), None)
        if start is None:       # the status filter left that segment out
            return [], False
        cursor = cursor[1:]
    want = None if query.limit is None else query.limit + 1
    found = []
    for i, (condition, extra) in enumerate(segments[start:], start):
        conds, args = list(where), list(params)
        if condition:
            conds.append(condition)
            args += extra
        if cursor is not None and i == start:
            sql, values = _keyset(columns, cursor, op)
            conds.append(sql)
            args += values
        sql = "SELECT o.id FROM %s%s ORDER BY %s" % (
            source, " WHERE " + " AND ".join(conds) if conds else "", order)
        if want is not None:
            sql += " LIMIT %d" % (want - len(found))
        found += [r[0] for r in db.execute(sql, source_params + args)]
        if want is not None and len(found) >= want:
            break
    more = want is not None and len(found) >= want
    found = found[:query.limit] if want is not None else found
    if backwards:
        found.reverse()
    return found, more


def rows_for(db, ids):
    """Dashboard rows for order `ids`, in that order."""
    if not ids:
        return []
    rows = {r["id"]: dict(r) for r in db.execute(
        "SELECT o.id, o.status, o.created_at, o.total_cents, o.archived, "
        " o.verified, o.source, o.client_id, o.tracking, "
        " c.name AS client_name, "
        " CASE WHEN o.status IN ('shipped', 'delivered') "
        "  THEN o.shipped_at END AS shipped_at, "
        " coalesce(o.carrier, (SELECT r.carrier FROM shipping_rates r "
        "  WHERE r.id = o.shipping_rate_id)) AS carrier, "
        " (SELECT sum(l.qty * p.grams) FROM order_lines l "
        "  JOIN products p ON p.sku = l.sku "
        "  WHERE l.order_id = o.id AND p.cannabis = 1) AS grams, "
        " (SELECT sum(l.qty) FROM order_lines l "
        "  WHERE l.order_id = o.id) AS units "
        "FROM json_each(?) AS m CROSS JOIN orders o ON o.id = m.value "
        "JOIN clients c ON c.id = o.client_id", [json.dumps(ids)])}
    return [rows[i] for i in ids if i in rows]


def count(db, query):
    """How many orders the filters (no search) show, from order_counts."""
    where, params = ["1"], []
    if query.show == "active":
        where.append("archived = 0")
    elif query.show == "archived":
        where.append("archived = 1")
    elif query.show == "unverified":
        where.append("verified = 0")
    if query.status:
        where.append("status = ?")
        params.append(query.status)
    return db.execute("SELECT ifnull(sum(n), 0) FROM order_counts WHERE "
                      + " AND ".join(where), params).fetchone()[0]


def fetch(db, query):
    """The Page `query` asks for."""
    page = Page(query)
    ids = None
    if query.q:
        found = order_search.search_ids(db, query.q)
        if found is None:
            query.q = ""
        else:
            ids, page.capped = found
    if ids is not None and not ids:
        return page
    order_ids, more = _page_ids(db, query, ids)
    page.rows = rows_for(db, order_ids)
    if ids is None:
        page.count = count(db, query)
    else:
        where, params = _filters(query)
        page.count = db.execute(
            "SELECT count(*) FROM json_each(?) AS m CROSS JOIN orders o "
            "ON o.id = m.value" + (" WHERE " + " AND ".join(where)
                                   if where else ""),
            [json.dumps(ids)] + params).fetchone()[0]
    if page.rows and query.limit is not None:
        backwards = query.before is not None
        has_next = more if not backwards else True
        has_prev = (more if backwards else query.after is not None)
        if has_next:
            page.next_cursor = encode_cursor(query, page.rows[-1])
        if has_prev:
            page.prev_cursor = encode_cursor(query, page.rows[0])
    return page
