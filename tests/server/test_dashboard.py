"""The Orders dashboard: columns, sorts, filters, full-text search kept
current by triggers, keyset pages, the Orders menu and bad parameters."""
import html as htmllib
import re

import pytest
from flask import Blueprint

from order_helpers import in_stock, order_row, record_pick
from server.orders import actions
from server.orders import create
from server.orders import queries
from server.orders import dashboard, order_search
from server.orders import states
from server.core.db import transaction


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def ids(html):
    return [int(i) for i in re.findall(r'data-order-id="(\d+)"', html)]


def row(html, order_id):
    """The cells of one order's row, as text."""
    m = re.search(r'<tr data-order-id="%d">(.*?)</tr>' % order_id, html,
                  re.S)
    assert m, "order %d not on the page" % order_id
    cells = re.findall(r"<td[^>]*>(.*?)</td>", m.group(1), re.S)
    return [htmllib.unescape(re.sub(r"<[^>]+>|\s+", " ", c)).strip()
            for c in cells]


def search(client, text, **params):
    return ids(get(client, "/orders/?" + "&".join(
        ["q=" + text.replace("#", "%23").replace(" ", "+")]
        + ["%s=%s" % kv for kv in params.items()])))


def next_link(html, rel="next"):
    m = re.search(r'rel="%s" href="([^"]+)"' % rel, html)
    return htmllib.unescape(m.group(1)) if m else None


# ---------------------------------------------------------------- columns
def test_columns_and_values(client, demo):
    html = get(client, "/orders/")
    for header in ("Order ID", "Client", "Quantity", "Total Due",
                   "Created At", "Shipped On", "Status", "Carrier"):
        assert header in html
    created = order_row(demo, 1003)["created_at"]
    # 1 x CBD oil (6 g) + 2 x softgels (4 g): 14 g of cannabis.
    assert row(html, 1003) == ["#1003", "Priya Raman", "14.0 g", "$59.94",
                               created[:16], "", "Order Placed",
                               "Canada Post"]
    delivered = row(html, 1001)
    assert delivered[5] == order_row(demo, 1001)["shipped_at"][:10]
    assert delivered[6] == "Order Delivered"
    assert 'class="badge badge-placed"' in html
    assert "8 orders." in html


def test_client_links_to_search_without_a_client_profile(app, client,
                                                         demo):
    app.view_functions.pop("clients.profile", None)
    html = get(client, "/orders/")
    assert 'href="/orders/?q=Priya+Raman"' in html
    assert "Priya Raman" in row(get(client, "/orders/?q=Priya+Raman"), 1003)


def test_client_links_to_profile_when_there_is_one(app, login, demo):
    if "clients.profile" not in app.view_functions:
        bp = Blueprint("clients", __name__, url_prefix="/clients")
        bp.add_url_rule("/<int:client_id>", "profile",
                        lambda client_id: "client %d" % client_id)
        app.register_blueprint(bp)
    client = login(app.test_client(), "csr")
    client_id = order_row(demo, 1003)["client_id"]
    html = get(client, "/orders/")
    assert 'href="/clients/%d"' % client_id in html
    assert 'href="/orders/?q=Priya+Raman"' not in html


def test_grams_count_cannabis_only_and_blank_without(client, demo):
    with transaction(demo):
        demo["products"].insert({"sku": "GRINDER", "name": "Grinder",
                                 "grams": 0, "price_cents": 1999,
                                 "cannabis": 0})
        demo["products"].insert({"sku": "VAPE", "name": "Vaporizer",
                                 "grams": 50, "price_cents": 9999,
                                 "cannabis": 0})
    client_id = order_row(demo, 1003)["client_id"]
    only = create.create_order(demo, client_id, [("GRINDER", 2),
                                                 ("VAPE", 1)])
    mixed = create.create_order(demo, client_id, [("VAPE", 1),
                                                  ("BAL-FLWR-3G5", 2)])
    html = get(client, "/orders/")
    assert row(html, only)[2] == ""
    assert row(html, mixed)[2] == "7.0 g"
    listed = {o["id"]: o for o in queries.list_orders(demo)}
    assert listed[only]["grams"] is None and listed[mixed]["grams"] == 7.0


def test_shipped_on_only_for_shipped_and_delivered(client, demo):
    html = get(client, "/orders/")
    assert row(html, 1002)[5] and row(html, 1001)[5]
    for order_id in (1003, 1006, 1007, 1008):
        assert row(html, order_id)[5] == ""
    # Refunded after shipping: the date stays in the table, not on screen.
    with transaction(demo):
        demo["orders"].update(1002, {"status": states.REFUNDED})
    assert row(get(client, "/orders/"), 1002)[5] == ""


def test_carrier_blank_for_open_order_without_one(client, demo):
    assert order_row(demo, 1007)["carrier"] is None
    assert row(get(client, "/orders/"), 1007)[7] == ""
    rate = demo.execute("SELECT id, carrier FROM shipping_rates "
                        "WHERE carrier = 'Purolator'").fetchone()
    with transaction(demo):
        demo["orders"].update(1007, {"shipping_rate_id": rate["id"]})
    assert row(get(client, "/orders/"), 1007)[7] == "Purolator"


# ------------------------------------------------------------ sorts
def expected(db, where="archived = 0"):
    return [dict(r) for r in db.execute(
        "SELECT id, status, created_at FROM orders WHERE " + where)]


def test_default_sort_newest_first(client, demo):
    rows = sorted(expected(demo), key=lambda r: (r["created_at"], r["id"]),
                  reverse=True)
    assert ids(get(client, "/orders/")) == [r["id"] for r in rows]
    assert ids(get(client, "/orders/?sort=created&dir=asc")) == [
        r["id"] for r in reversed(rows)]


def test_sort_by_order_id_both_ways(client, demo):
    html = get(client, "/orders/?sort=id")
    assert ids(html) == sorted(ids(html), reverse=True) and len(ids(html)) == 8
    assert 'aria-sort="descending"' in html
    # The header links to the other direction.
    assert 'href="/orders/?sort=id&amp;dir=asc"' in html
    html = get(client, "/orders/?sort=id&dir=asc")
    assert ids(html) == sorted(ids(html)) and 'aria-sort="ascending"' in html


def test_sort_by_status_both_ways(client, demo):
    by_id = {r["id"]: r for r in expected(demo)}
    rank = states.STATUSES.index

    def key(order_id):
        r = by_id[order_id]
        return rank(r["status"])

    asc = ids(get(client, "/orders/?sort=status"))
    assert len(asc) == 8
    assert [key(i) for i in asc] == sorted(key(i) for i in asc)
    desc = ids(get(client, "/orders/?sort=status&dir=desc"))
    assert [key(i) for i in desc] == sorted((key(i) for i in desc),
                                            reverse=True)
    # Newest first within a status, both ways.
    for listing in (asc, desc):
        placed = [i for i in listing if by_id[i]["status"] == "placed"]
        assert [by_id[i]["created_at"] for i in placed] == sorted(
            (by_id[i]["created_at"] for i in placed), reverse=True)


# ----------------------------------------------------------- filters
def test_filters_all_unverified_archived_and_status(client, demo):
    actions.apply_action(demo, 1002, "archive", "tester")
    with transaction(demo):
        demo["orders"].update(1004, {"verified": 0})
    everything = set(ids(get(client, "/orders/")))
    assert 1002 not in everything and 1004 in everything
    assert everything == set(ids(get(client, "/orders/?show=all")))
    assert ids(get(client, "/orders/?show=archived")) == [1002]
    assert ids(get(client, "/orders/?show=unverified")) == [1004]
    placed = ids(get(client, "/orders/?status=placed"))
    assert sorted(placed) == [1003, 1004, 1005]
    assert ids(get(client, "/orders/?status=placed&show=unverified")) == [
        1004]
    assert ids(get(client, "/orders/?status=placed&show=archived")) == []
    html = get(client, "/orders/?show=unverified")
    assert re.search(r'value="unverified"\s+data-autosubmit\s+checked', html)
    assert "Unverified</span>" in html


def test_counts_follow_every_change(client, demo):
    assert "8 orders." in get(client, "/orders/")
    assert "3 orders." in get(client, "/orders/?status=placed")
    actions.apply_action(demo, 1003, "archive", "tester")
    actions.apply_action(demo, 1004, "cancel", "tester")
    actions.apply_action(demo, 1007, "delete", "tester")
    assert "6 orders." in get(client, "/orders/")
    assert "1 order." in get(client, "/orders/?status=placed")
    assert "1 order." in get(client, "/orders/?show=archived")
    counted = demo.execute("SELECT archived, verified, status, count(*) "
                           "FROM orders GROUP BY 1, 2, 3").fetchall()
    kept = demo.execute("SELECT archived, verified, status, n FROM "
                        "order_counts WHERE n > 0").fetchall()
    assert sorted(map(tuple, counted)) == sorted(map(tuple, kept))


# ------------------------------------------------------------ search
def test_search_by_client_name_full_and_partial(client, demo):
    assert search(client, "Priya Raman") == [1003]
    assert sorted(search(client, "marg")) == [1001, 1007]
    assert sorted(search(client, "TREMBLAY")) == [1001, 1007]
    assert search(client, "raman priya") == [1003]
    assert search(client, "Jean-Luc") == [1004]
    assert search(client, "gagnon jean") == [1004]
    assert search(client, "nobody-like-this") == []
    assert "No orders match." in get(client, "/orders/?q=zzzz")


def test_search_by_order_id(client, demo):
    assert search(client, "1004") == [1004]
    assert search(client, "#1004") == [1004]
    assert search(client, "order #1004") == []     # every word must match
    assert search(client, "100") == []             # ids match whole
    assert queries.list_orders(demo, search="1003") == [
        o for o in queries.list_orders(demo) if o["id"] == 1003]


def test_search_by_tracking_number(client, demo):
    # 1001: "7023 4411 9870 2214", 1002: "335098812245".
    assert search(client, "7023 4411 9870 2214") == [1001]
    assert search(client, "7023441198702214") == [1001]
    assert search(client, "702344119870") == [1001]
    assert search(client, "335098812245") == [1002]
    assert search(client, "3350988") == [1002]


def test_search_by_bottle_serial(client, demo):
    shipped = [r["serial"] for r in demo.execute(
        "SELECT serial FROM picks WHERE order_id = 1002 "
        "AND status = 'accepted'")]
    assert shipped
    for serial in shipped:
        assert search(client, serial) == [1002]
        assert search(client, serial.lower()) == [1002]
    rejected = demo.execute("SELECT serial FROM picks WHERE order_id = 1003 "
                            "AND status = 'rejected'").fetchone()[0]
    assert 1003 not in search(client, rejected)


def test_search_follows_a_client_rename(client, demo):
    client_id = order_row(demo, 1003)["client_id"]
    with transaction(demo):
        demo["clients"].update(client_id, {"name": "Priya Raman-Beaulieu"})
    assert search(client, "beaulieu") == [1003]
    with transaction(demo):
        demo.execute("UPDATE clients SET name = 'Priya Sandhu' WHERE id = ?",
                     [client_id])
    assert search(client, "Raman") == [] and search(client, "sandhu") == [
        1003]
    assert "Priya Sandhu" in row(get(client, "/orders/"), 1003)


def test_search_follows_tracking_being_set(client, demo):
    assert search(client, "LX99001122") == []
    actions.apply_action(demo, 1007, "select_shipping", "tester",
                        {"carrier": "Canpar", "tracking": "LX99001122"})
    assert search(client, "LX99001122") == [1007]
    assert search(client, "lx9900") == [1007]
    with transaction(demo):
        demo["orders"].update(1007, {"tracking": None})
    assert search(client, "LX99001122") == []


def test_search_follows_picks_and_reset(client, demo):
    serial = in_stock(demo, "THC-CAP-10")[0]
    assert search(client, serial) == []
    record_pick(demo, 1004, serial)
    assert search(client, serial) == [1004]
    actions.apply_action(demo, 1004, "reset_picking", "tester")
    assert search(client, serial) == []
    # A rejected scan does not make the bottle the order's.
    record_pick(demo, 1004, serial, status="rejected",
                reason="wrong_product")
    assert search(client, serial) == []
    # A serial prefix finds every order holding a matching bottle, and
    # combines with a name.
    record_pick(demo, 1004, serial)
    assert search(client, serial[:4]) == sorted(
        {r[0] for r in demo.execute(
            "SELECT order_id FROM picks WHERE status = 'accepted' "
            "AND serial LIKE ?", [serial[:4] + "%"])}, reverse=True)
    assert search(client, "jean " + serial) == [1004]
    assert search(client, "margaret " + serial) == []


def test_search_combines_with_filters_and_sorts(client, demo):
    assert search(client, "marg", status="open") == [1007]
    assert search(client, "marg", sort="id", dir="asc") == [1001, 1007]
    assert search(client, "marg", sort="id") == [1007, 1001]
    assert search(client, "marg", sort="status") == [1007, 1001]
    actions.apply_action(demo, 1001, "archive", "tester")
    assert search(client, "marg") == [1007]
    assert search(client, "marg", show="archived") == [1001]
    assert "1 order match" in get(client, "/orders/?q=marg")


def test_new_orders_are_searchable_at_once(client, demo):
    client_id = order_row(demo, 1005)["client_id"]
    new = create.create_order(demo, client_id, [("CBD-OIL-30", 1)])
    assert new in search(client, "%d" % new)
    assert new in search(client, "MacLeod")
    actions.apply_action(demo, new, "delete", "tester")
    assert search(client, "%d" % new) == []


def test_search_caps_broad_matches(client, demo, monkeypatch):
    monkeypatch.setattr(order_search, "SEARCH_CAP", 1)
    html = get(client, "/orders/?q=marg")
    assert ids(html) == [1007]      # the most recent of the two matches
    assert "More than 1 orders match" in html
    assert order_search.search_ids(demo, "marg", cap=5) == (
        [1007, 1001], False)


# -------------------------------------------------------------- pages
@pytest.fixture
def many(demo):
    """The demo orders plus 230 more over a few clients and statuses,
    some sharing a creation time (ties broken by order id)."""
    clients = [r["id"] for r in demo.execute("SELECT id FROM clients")]
    rows = []
    for i in range(230):
        rows.append({
            "id": 2000 + i, "client_id": clients[i % len(clients)],
            "status": states.STATUSES[i % len(states.STATUSES)],
            "created_at": "2024-01-%02d 10:00:00" % (1 + (i * 7) % 28),
            "total_cents": 100 * i, "archived": 1 if i % 10 == 0 else 0,
            "verified": 0 if i % 9 == 0 else 1})
    with transaction(demo):
        demo["orders"].insert_all(rows)
        demo["order_lines"].insert_all(
            {"order_id": r["id"], "sku": "CBD-OIL-30", "qty": 1,
             "price_cents": 6499} for r in rows)
    return demo


def walk(client, url):
    """Every order id through the Next links, and the pages' ids."""
    pages, seen = [], []
    while url:
        html = get(client, url)
        pages.append(ids(html))
        seen += pages[-1]
        url = next_link(html)
        assert len(pages) < 50
    return seen, pages


PAGED = ["", "sort=created&dir=asc", "sort=id", "sort=id&dir=asc",
         "sort=status", "sort=status&dir=desc", "show=archived",
         "show=unverified&sort=id", "status=placed&sort=status",
         "q=tremblay", "q=gagnon&sort=status"]


def test_pages_have_no_duplicates_or_gaps(client, many):
    for params in PAGED:
        check_pages(client, many, params)


def check_pages(client, many, params):
    everything = ids_all(many, params)
    seen, pages = walk(client, "/orders/?" + params)
    assert seen == everything, params
    assert all(len(p) == dashboard.PAGE_SIZE for p in pages[:-1])
    # Back again through the Previous links, page by page.
    url = "/orders/?" + params
    html = get(client, url)
    urls = [url]
    while next_link(html):
        urls.append(next_link(html))
        html = get(client, urls[-1])
    for expected_page in reversed(pages[:-1]):
        prev = next_link(html, "prev")
        html = get(client, prev)
        assert ids(html) == expected_page, params
    assert next_link(html, "prev") is None, params


def ids_all(db, params):
    """What the dashboard should list for `params`, computed plainly."""
    args = dict(p.split("=") for p in params.split("&") if p)
    query = dashboard.parse(args)
    query.limit = None
    rows = expected(db, {"active": "archived = 0", "archived":
                         "archived = 1", "unverified": "verified = 0"}[
                             query.show])
    if query.status:
        rows = [r for r in rows if r["status"] == query.status]
    if query.q:
        found = order_search.search_ids(db, query.q)[0]
        rows = [r for r in rows if r["id"] in found]
    if query.sort == "id":
        rows.sort(key=lambda r: r["id"], reverse=query.dir == "desc")
    elif query.sort == "created":
        rows.sort(key=lambda r: (r["created_at"], r["id"]),
                  reverse=query.dir == "desc")
    else:
        rows.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
        rows.sort(key=lambda r: states.STATUSES.index(r["status"]),
                  reverse=query.dir == "desc")
    return [r["id"] for r in rows]


def test_pager_shows_page_number_and_count(client, many):
    html = get(client, "/orders/")
    total = many.execute("SELECT count(*) FROM orders WHERE archived = 0"
                         ).fetchone()[0]
    assert "%d orders." % total in html and "Showing 1–50." in html
    assert next_link(html, "prev") is None
    html = get(client, next_link(html))
    assert "Page 2" in html and "Showing 51–100." in html
    assert next_link(html, "prev") == "/orders/"


def test_list_orders_pages_with_a_cursor(many):
    everything = queries.list_orders(many, sort="id")
    first = queries.list_orders(many, sort="id", limit=100)
    cursor = dashboard.encode_cursor(dashboard.Query(sort="id"), first[-1])
    second = queries.list_orders(many, sort="id", limit=100, after=cursor)
    assert first + second == everything[:200]
    assert {"id", "status", "client_name", "created_at", "total_cents"} <= \
        set(first[0])
    both = queries.list_orders(many, archived=None)
    assert len(both) == many.execute("SELECT count(*) FROM orders"
                                     ).fetchone()[0]


# ------------------------------------------------------ bad parameters
BAD = [
    "sort=bogus", "sort=id&dir=sideways", "show=nope", "status=lost",
    "page=-4", "page=abc", "page=99999999999999999999", "after=garbage",
    "after=1~2~3~4", "sort=status&after=99~x~1", "sort=status&after=-1~x~1",
    "sort=id&after=abc", "before=~", "after=" + "9" * 500,
    "q=" + "x" * 5000, "q=%22", "q=*", "q=AND", "q=NEAR(a+b)", "q=%00",
    "q=col:value", "q=%7B%7D", "q=-", "q=%23", "q=%F0%9F%8C%BF",
    "sort=created&after=2024-01-01+00:00:00~notanumber",
    "status=placed&status=open", "dir=asc&dir=desc"]


def test_bad_parameters_give_a_page(client, many):
    for query in BAD:
        response = client.get("/orders/?" + query)
        assert response.status_code == 200, query
        assert "<table" in response.get_data(as_text=True), query


def test_cursor_from_another_sort_starts_over(client, many):
    html = get(client, "/orders/?sort=id")
    cursor = re.search(r"after=([^&\"]+)", next_link(html)).group(1)
    first = ids(get(client, "/orders/?sort=status"))
    assert ids(get(client, "/orders/?sort=status&after=" + cursor)) == first


def test_api_list_keeps_working(client, demo):
    body = client.get("/api/orders?q=marg&sort=id").get_json()
    assert [o["id"] for o in body["orders"]] == [1007, 1001]
    assert {"id", "status", "client_name", "created_at", "total_cents"} <= \
        set(body["orders"][0])
    assert client.get("/api/orders?sort=nonsense").status_code == 400


def test_api_list_pages_with_a_cursor(client, demo):
    seen, after = [], ""
    while True:
        body = client.get("/api/orders?sort=id&limit=3&after=" + after
                          ).get_json()
        seen += [o["id"] for o in body["orders"]]
        assert body["count"] == 8
        if not body["next"]:
            break
        after = body["next"]
    assert seen == list(range(1008, 1000, -1))


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x",
                                   "show=bogus", "status=bogus",
                                   "sort=bogus"])
def test_api_list_bad_parameters_are_400(client, demo, query):
    response = client.get("/api/orders?" + query)
    assert response.status_code == 400 and response.get_json()["error"]


# ------------------------------------------------------ orders menu
def test_orders_menu(app, login, demo):
    csr = login(app.test_client(), "csr")
    html = get(csr, "/orders/")
    assert "Orders menu" in html and "View Picking List" in html
    assert "Archive Shipped" in html and "Archive Delivered" in html
    assert 'href="/orders/picking-list"' in html
    assert csr.post("/orders/archive/shipped").status_code == 403
    assert order_row(demo, 1002)["archived"] == 0
    supervisor = login(app.test_client(), "supervisor")
    response = supervisor.post("/orders/archive/delivered")
    assert response.status_code == 302
    assert order_row(demo, 1001)["archived"] == 1
    html = get(supervisor, "/orders/")
    assert "Archived 1 order in status Order Delivered." in html
    assert 1001 not in ids(html)


def test_page_has_no_inline_script_or_style(client, demo):
    html = get(client, "/orders/")
    assert " onchange=" not in html and " style=" not in html
    assert "<script>" not in html
    assert "/static/dashboard.js" in html
