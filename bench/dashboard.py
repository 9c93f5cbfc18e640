"""Orders dashboard on a big database: page time through the real Flask
app next to the same SQL run bare, p50 and p95; then the Lots page and
a recalled lot's recall report (page, CSV, PDF).

    .venv/bin/python bench/dashboard.py [--orders 1000000] [--runs 30]
                                        [--lots-only]

The database (about 100k clients per million orders, order lines, bottle
picks with serials, every status, some archived and unverified orders)
is built once per size and schema, in bench/.cache/, and reused.  It is
built the way an existing installation upgrades: tables up to m003,
rows in bulk, then the remaining migrations (m004 indexes the search
and counts what is already there).
"""
import argparse
import hashlib
import os
import random
import sys
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from werkzeug.datastructures import MultiDict  # noqa: E402

from server.staff import sessions  # noqa: E402
from server.orders import dashboard  # noqa: E402
from server.orders import lots, recall  # noqa: E402
from server.app import create_app  # noqa: E402
from server.core.db import connect  # noqa: E402
from server.core.schema import migrations  # noqa: E402
from server.staff.sign_in import STAFF  # noqa: E402

CACHE = os.path.join(HERE, ".cache")
BUILD_VERSION = "1"     # bump when the generated data changes
GOAL_MS = 50.0

FIRST = ["Margaret", "Daniel", "Priya", "Jean-Luc", "Sarah", "Robert",
         "Marie", "Olivia", "Liam", "Noah", "Emma", "Ava", "Lucas", "Chloé",
         "Mohammed", "Wei", "Fatima", "Aiden", "Sofia", "Ethan", "Isabelle",
         "Nathan", "Amélie", "Raj", "Anika", "Hiroshi", "Mei", "Carlos",
         "Gabriel", "Léa", "Thomas", "Jacob", "Zoé", "William", "Alice",
         "Hannah", "Omar", "Yusuf", "Elena", "Diego", "Kwame", "Ngozi",
         "Siobhan", "Patrick", "Margot", "Marguerite", "Henri", "Louis",
         "Camille", "Julien", "Nadia", "Samuel", "Grace", "Victoria", "Ian",
         "Ruth", "Paul", "Tanya", "Dmitri", "Ingrid", "Arjun", "Leila"]
LAST = ["Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier",
        "Morin", "Lavoie", "Fortin", "Gagné", "Ouellet", "Pelletier",
        "Bélanger", "Lévesque", "Bergeron", "Leblanc", "Paquette", "Girard",
        "Simard", "Boucher", "Caron", "Beaulieu", "Cloutier", "Dubé",
        "Poirier", "Fournier", "Lapointe", "Leclerc", "Lefebvre", "Poulin",
        "Smith", "Brown", "Tan", "Wilson", "MacDonald", "Taylor",
        "Campbell", "Anderson", "Jones", "Martin", "Li", "Wang", "Chen",
        "Singh", "Patel", "Kim", "Nguyen", "Okafor", "Raman", "MacLeod",
        "Friesen", "Wiebe", "Kowalski", "Novak", "Rossi", "Silva", "Haddad",
        "Khan", "Ali", "O'Brien", "Murphy", "Walsh", "Byrne", "Sandhu",
        "Grewal", "Dhillon", "Sato", "Suzuki", "Park", "Lee", "Murray"]
PRODUCTS = [
    # sku, name, grams, price in cents, cannabis
    ("CBD-OIL-30", "CBD Oil 30 mL", 6.0, 6499, 1),
    ("THC-CAP-10", "THC Capsules 10 mg x 30", 3.0, 5499, 1),
    ("BAL-FLWR-3G5", "Balanced Flower 3.5 g", 3.5, 3299, 1),
    ("CBD-SFT-20", "CBD Softgels 20 mg x 60", 4.0, 7999, 1),
    ("THC-FLWR-15G", "Indica Flower 15 g", 15.0, 10499, 1),
    ("SAT-FLWR-7G", "Sativa Flower 7 g", 7.0, 5999, 1),
    ("THC-OIL-30", "THC Oil 30 mL", 6.0, 6999, 1),
    ("CBD-CRM-50", "CBD Cream 50 mL", 2.0, 3999, 1),
    ("VAPE-KIT", "Dry-herb vaporizer", 0.0, 14999, 0),
    ("GRINDER", "Grinder", 0.0, 1999, 0),
    ("DOSE-SYR", "Oral syringes x 5", 0.0, 499, 0),
]
CARRIERS = [(1, "Canada Post"), (2, "Canada Post"), (3, "Purolator"),
            (4, "Purolator"), (5, "Canpar")]


# ------------------------------------------------------------------ build
def cache_path(n_orders):
    with open(os.path.join(ROOT, "server", "core", "schema.py"), "rb") as f:
        digest = hashlib.sha1(f.read() + BUILD_VERSION.encode()).hexdigest()
    return os.path.join(CACHE, "dashboard-%d-%s.db" % (n_orders, digest[:10]))


def build(path, n_orders, seed=1):
    os.makedirs(CACHE, exist_ok=True)
    ignore = os.path.join(CACHE, ".gitignore")
    if not os.path.exists(ignore):
        with open(ignore, "w") as f:
            f.write("*\n")
    # Databases of this size built for an older schema: not needed again.
    stem = os.path.basename(path).rsplit("-", 1)[0] + "-"
    for name in os.listdir(CACHE):
        if name.startswith(stem) and not name.startswith(
                os.path.basename(path)):
            os.remove(os.path.join(CACHE, name))
    tmp = path + ".building"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(tmp + suffix):
            os.remove(tmp + suffix)
    rnd = random.Random(seed)
    db = connect(tmp)
    conn = db.conn
    migrations.apply(db, stop_before="m004_order_search")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    n_clients = max(10, n_orders // 10)
    started = time.perf_counter()
    end = datetime(2026, 5, 1, 17, 0, 0)
    start = end - timedelta(days=3 * 365)
    span = (end - start).total_seconds()

    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO clients (id, name, email, created_at) VALUES (?,?,?,?)",
        ((i, "%s %s" % (rnd.choice(FIRST), rnd.choice(LAST)),
          "client%d@example.ca" % i,
          (start - timedelta(days=rnd.randint(0, 400))).strftime(
              "%Y-%m-%d %H:%M:%S"))
         for i in range(1, n_clients + 1)))
    conn.executemany(
        "INSERT INTO products (sku, name, grams, price_cents, cannabis) "
        "VALUES (?,?,?,?,?)", PRODUCTS)
    conn.executemany(
        "INSERT INTO shipping_rates (id, carrier, service, price_cents, days)"
        " VALUES (?,?,?,?,?)",
        [(i, c, "Service %d" % i, 1200 + 100 * i, "2-5") for i, c in CARRIERS])
    lots = {}
    for sku, *_ in PRODUCTS:
        lots[sku] = ["L-%s-%s" % (sku, x) for x in "ABC"]
        conn.executemany("INSERT INTO lots (id, sku, packaged_on, expires_on)"
                         " VALUES (?,?,?,?)",
                         [(lot, sku, "2025-01-01", "2027-01-01")
                          for lot in lots[sku]])
    prices = {p[0]: p[3] for p in PRODUCTS}
    skus = [p[0] for p in PRODUCTS]
    weights = [10, 8, 12, 6, 5, 6, 5, 4, 1, 2, 2]

    orders, lines, bottles, picks = [], [], [], []
    serial = 1
    line_id = 1
    pick_id = 1

    def flush():
        conn.executemany(
            "INSERT INTO orders (id, client_id, status, rev, published_rev, "
            "created_at, placed_at, shipped_at, delivered_at, carrier, "
            "tracking, total_cents, subtotal_cents, shipping_cents, "
            "discount_cents, coverage_cents, archived, verified, source, "
            "shipping_rate_id, placed_by) "
            "VALUES (?,?,?,1,0,?,?,?,?,?,?,?,?,?,0,0,?,?,?,?,?)", orders)
        conn.executemany(
            "INSERT INTO order_lines (id, order_id, sku, qty, price_cents) "
            "VALUES (?,?,?,?,?)", lines)
        conn.executemany(
            "INSERT INTO bottles (serial, sku, lot_id, status, order_id) "
            "VALUES (?,?,?,?,?)", bottles)
        conn.executemany(
            "INSERT INTO picks (id, order_id, serial, sku, lot_id, "
            "device_id, scanned_at, recorded_at, status, reason) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)", picks)
        for rows in (orders, lines, bottles, picks):
            rows.clear()

    for oid in range(1, n_orders + 1):
        age = 1 - oid / n_orders            # 0: newest
        created = start + timedelta(seconds=span * (oid / n_orders)
                                    + rnd.randint(0, 50))
        at = created.strftime("%Y-%m-%d %H:%M:%S")
        r = rnd.random()
        if age < 0.002:
            status = rnd.choice(["open", "open", "awaiting_payment",
                                 "placed", "placed", "placed"])
        elif age < 0.01:
            status = rnd.choices(
                ["placed", "shipped", "delivered", "cancelled", "refused"],
                [3, 4, 4, 1, 0.2])[0]
        else:
            status = ("delivered" if r < 0.86 else "shipped" if r < 0.9
                      else "cancelled" if r < 0.95 else "refunded"
                      if r < 0.975 else "refused")
        source = "portal" if rnd.random() < 0.25 else "csr"
        verified = 0 if (source == "portal" and (
            age < 0.01 or rnd.random() < 0.02)) else 1
        archived = 1 if (status in ("shipped", "delivered", "refunded",
                                    "placed") and age > 0.1
                         and rnd.random() < 0.6) else 0
        rate, carrier = rnd.choice(CARRIERS)
        if status == "open" and rnd.random() < 0.5:
            rate, carrier = None, None
        shipped = delivered = tracking = None
        if status in ("shipped", "delivered", "refunded", "refused"):
            shipped = (created + timedelta(days=1)).strftime(
                "%Y-%m-%d %H:%M:%S")
            if carrier == "Canada Post":
                tracking = " ".join("%04d" % rnd.randint(0, 9999)
                                    for _ in range(4))
            else:
                tracking = "%012d" % rnd.randint(0, 10 ** 12 - 1)
        if status == "delivered":
            delivered = (created + timedelta(days=4)).strftime(
                "%Y-%m-%d %H:%M:%S")
        chosen = rnd.sample(skus, rnd.choice((1, 1, 1, 2, 2, 3)))
        if len(chosen) == 1 and rnd.random() < 0.97:
            while not PRODUCTS[skus.index(chosen[0])][4]:
                chosen = rnd.choices(skus, weights)
        total = 0
        picked = status in ("shipped", "delivered") and age < 0.3 or (
            status == "placed" and rnd.random() < 0.5)
        for sku in chosen:
            qty = rnd.choice((1, 1, 1, 2, 2, 3))
            lines.append((line_id, oid, sku, qty, prices[sku]))
            line_id += 1
            total += qty * prices[sku]
            if picked:
                for _ in range(qty):
                    s = "B%07d" % serial
                    serial += 1
                    lot = rnd.choice(lots[sku])
                    bottles.append((s, sku, lot, "shipped"
                                    if status != "placed" else "picked",
                                    oid))
                    picks.append((pick_id, oid, s, sku, lot,
                                  rnd.choice(("G01", "G02", "G03")), at, at,
                                  "accepted", None))
                    pick_id += 1
        orders.append((
            oid, rnd.randint(1, n_clients), status, at,
            None if status in ("open", "awaiting_payment") else at,
            shipped, delivered, carrier, tracking, total + 1495, total,
            1495, archived, verified, source, rate, "csr.bench"))
        if len(orders) >= 20000:
            flush()
    flush()
    conn.execute("COMMIT")
    inserted = time.perf_counter() - started
    t = time.perf_counter()
    migrations.apply(db)
    conn.execute("ANALYZE")
    migrated = time.perf_counter() - t
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    os.replace(tmp, path)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(tmp + suffix):
            os.remove(tmp + suffix)
    return inserted, migrated


# -------------------------------------------------------------- measuring
def pct(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def time_it(fn, runs):
    fn()
    fn()
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main():
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--lots-only", action="store_true",
                        help="only the Lots page and the recall report")
    args = parser.parse_args()

    path = cache_path(args.orders)
    if args.rebuild or not os.path.exists(path):
        print("Building %s orders in %s ..." % (
            format(args.orders, ","), os.path.relpath(path, ROOT)),
            flush=True)
        t = time.perf_counter()
        inserted, migrated = build(path, args.orders)
        print("  built in %.1f s (rows %.1f s, m004 search index, counts "
              "and indexes %.1f s)" % (time.perf_counter() - t, inserted,
                                       migrated))
    else:
        print("Using cached %s" % os.path.relpath(path, ROOT))

    app = create_app({"DATABASE": path, "SECRET_KEY": "bench",
                      "TESTING": True})
    db = connect(path)
    row = db.execute("SELECT id FROM staff WHERE username = 'bench'") \
        .fetchone()
    if not row:
        db.table("staff").insert({"username": "bench", "name": "Bench",
                            "role": "csr", "password_hash": "!",
                            "active": 1})
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(sessions.values(app.secret_key, STAFF, db.execute(
            STAFF.by_name, ["bench"]).fetchone()))

    if not args.lots_only:
        orders_dashboard(args, db, client)
    recall_report(args, db, client)


def recall_report(args, db, client):
    """The Lots page and the recall report of a lot of the most ordered
    product: the report's page, CSV and PDF through Flask, and its one
    query bare."""
    lot_id = "L-BAL-FLWR-3G5-A"
    if lots.get_lot(db, lot_id)["status"] != lots.RECALLED:
        lots.change_status(db, lot_id, "recall", "Bench recall", "bench")
    rows = len(db.execute(recall.REPORT_SQL, [lot_id]).fetchall())
    plan = " / ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN " + recall.REPORT_SQL, [lot_id]))
    runs = max(3, min(args.runs, 10))
    print("\nrecall report of lot %s: %s bottles\n  plan: %s" % (
        lot_id, format(rows, ","), plan))
    print("%-40s %8s %8s %10s" % ("", "p50 ms", "p95 ms", "bytes"))
    for label, url in [
            ("Lots page", "/lots/"),
            ("recall report page", "/lots/%s/recall" % lot_id),
            ("recall report CSV", "/lots/%s/recall.csv" % lot_id),
            ("recall report PDF", "/lots/%s/recall.pdf" % lot_id)]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        ms = time_it(lambda u=url: client.get(u), runs)
        print("%-40s %8.1f %8.1f %10s" % (label, pct(ms, 50), pct(ms, 95),
                                          format(len(response.data), ",")))
    ms = time_it(lambda: db.execute(recall.REPORT_SQL, [lot_id]).fetchall(),
                 runs)
    print("%-40s %8.1f %8.1f" % ("recall report query, bare", pct(ms, 50),
                                 pct(ms, 95)))


def orders_dashboard(args, db, client):
    rnd = random.Random(7)
    n = db.execute("SELECT max(id) FROM orders").fetchone()[0]
    some = db.execute("SELECT o.id, c.name, o.tracking FROM orders o "
                      "JOIN clients c ON c.id = o.client_id "
                      "WHERE o.tracking LIKE '% %' AND o.archived = 0 "
                      "ORDER BY o.id DESC LIMIT 1").fetchone()
    serial = db.execute("SELECT k.serial FROM picks k JOIN orders o "
                        "ON o.id = k.order_id WHERE o.archived = 0 AND "
                        "k.status = 'accepted' ORDER BY k.id DESC "
                        "LIMIT 1 OFFSET 500").fetchone()[0]
    order_id = db.execute("SELECT max(id) FROM orders WHERE archived = 0 "
                          "AND id < ?", [rnd.randint(n // 2, n)]).fetchone()[0]

    # Page 20 of the default list: follow the Next links there.
    url = "/orders/"
    for _ in range(19):
        html = client.get(url).get_data(as_text=True)
        start = html.index('rel="next" href="') + len('rel="next" href="')
        url = html[start:html.index('"', start)].replace("&amp;", "&")
    page20 = url

    scenarios = [
        ("index (default: active, newest first)", "/orders/"),
        ("search client name (full)", "/orders/?q=" + some["name"]),
        ("search client partial 'marg'", "/orders/?q=marg"),
        ("search client partial 'ga'", "/orders/?q=ga"),
        ("search order id #%d" % order_id, "/orders/?q=%%23%d" % order_id),
        ("search serial " + serial, "/orders/?q=" + serial),
        ("search tracking", "/orders/?q=" + some["tracking"]),
        ("sort Order ID desc", "/orders/?sort=id"),
        ("sort Order ID asc", "/orders/?sort=id&dir=asc"),
        ("sort Status asc", "/orders/?sort=status"),
        ("sort Status desc", "/orders/?sort=status&dir=desc"),
        ("sort Created At asc", "/orders/?dir=asc"),
        ("filter Unverified", "/orders/?show=unverified"),
        ("filter Archived", "/orders/?show=archived"),
        ("filter status Order Refused", "/orders/?status=refused"),
        ("filter Archived + Status sort",
         "/orders/?show=archived&sort=status"),
        ("page 20 of the default list", page20),
    ]

    print("\n%-40s %17s %17s %6s" % ("", "page (Flask) ms", "bare SQL ms",
                                    "rows"))
    print("%-40s %8s %8s %8s %8s" % ("", "p50", "p95", "p50", "p95"))
    worst = 0.0
    for label, url in scenarios:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        page_ms = time_it(lambda u=url: client.get(u), args.runs)
        # The same statements the page ran, replayed bare on one connection.
        statements = []
        parsed = url.split("?", 1)[1] if "?" in url else ""
        query_args = MultiDict(parse_qsl(parsed))
        db.conn.set_trace_callback(statements.append)
        page = dashboard.fetch(db, dashboard.parse(query_args))
        db.conn.set_trace_callback(None)
        statements = [s for s in statements if s.lstrip().upper().startswith(
            "SELECT")]

        def bare(statements=statements):
            for sql in statements:
                db.conn.execute(sql).fetchall()
        sql_ms = time_it(bare, args.runs)
        p95 = pct(page_ms, 95)
        worst = max(worst, p95)
        print("%-40s %8.1f %8.1f %8.1f %8.1f %6d%s" % (
            label[:40], pct(page_ms, 50), p95, pct(sql_ms, 50),
            pct(sql_ms, 95), len(page.rows),
            "" if p95 < GOAL_MS else "  > goal"))
    print("\nworst page p95: %.1f ms (goal: under %.0f ms), %s orders, "
          "%d runs each" % (worst, GOAL_MS, format(n, ","), args.runs))


if __name__ == "__main__":
    main()
