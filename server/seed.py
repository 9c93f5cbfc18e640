"""Seeding the demo data (server.demo_data): clients, products, lots,
bottles, scanner guns and orders in every part of the workflow, so the
pages and the guns have something real to show.  Only an empty database
is seeded; one that already holds clients or orders is left untouched.
Also the `init-db` and `seed-demo` commands."""
import datetime

import click
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

from server.orders import states
from server.staff import accounts as staff
from server.core.db import (connect, default_database, get_db,
                            prepare_database)
from server.core.history import record_history
from server.orders.create import create_order
from server.orders.picks import record_pick
from server.core.db import transaction
from server.orders.recurring_run import first_due
from server.demo_data import (CLIENTS, DEMO_PASSWORD, DEVICES,
                              FIRST_ORDER_ID, FIRST_SERIAL, LOTS, PRODUCTS,
                              RECURRING, REGISTRATIONS, SHIPPING_RATES,
                              STAFF)


def seed_demo(db):
    """Fill an empty database with demo data.  Returns counts per table,
    or None (changing nothing) when it already holds clients or orders."""
    with transaction(db):
        if _has_data(db):
            return None
        clock = _Clock()
        client_ids = [db["clients"].insert(_client(clock, i, c, r)).last_pk
                      for i, (c, r) in enumerate(zip(
                          CLIENTS, REGISTRATIONS, strict=True))]
        db["products"].insert_all(
            {"sku": s, "name": n, "grams": g, "price_cents": c,
             "cannabis": 1}
            for s, n, g, c in PRODUCTS)
        db["shipping_rates"].insert_all(
            {"carrier": c, "service": s, "price_cents": p, "days": d}
            for c, s, p, d in SHIPPING_RATES)
        for username, name, role in STAFF:
            staff.create(db, username, DEMO_PASSWORD, role, name)
        lots = _lots(clock)
        db["lots"].insert_all(lots)
        serial = FIRST_SERIAL
        for lot, (_, _, _, made) in zip(lots, LOTS, strict=True):
            for _ in range(made):
                db["bottles"].insert({
                    "serial": "B%06d" % serial, "sku": lot["sku"],
                    "lot_id": lot["id"], "status": "in_stock"})
                serial += 1
        for dev, name in DEVICES:
            db["devices"].insert({
                "id": dev, "name": name, "board": "esp32_gm65",
                "created_at": clock.days_ago(60), "online": 0,
                "last_seen": clock.hours_ago(2), "fw": "0.1.0",
                "pending": 0})
        _demo_orders(db, client_ids, clock)
        _demo_portal_and_recurring(db, client_ids, clock)
        return {t: db[t].count for t in (
            "staff", "clients", "products", "lots", "bottles", "devices",
            "orders", "order_lines", "notes", "picks")}


def _client(clock, i, client, registration):
    name, dob, email, phone, address = client
    number, daily, prescriber, coverage = registration
    registered = clock.now.date() - datetime.timedelta(days=400 - 30 * i)
    row = {
        "name": name, "dob": dob, "email": email, "phone": phone,
        "address": address, "created_at": clock.days_ago(120 - 9 * i),
        "registration_number": number,
        "registered_on": registered.isoformat(),
        "registration_expires": (registered + datetime.timedelta(
            days=365 * 2)).isoformat(),
        "ship_name": name, "ship_address": address,
        "prescriber": prescriber,
        "prescription_expires": (clock.now.date() + datetime.timedelta(
            days=200 + 20 * i)).isoformat(),
        "allowance_grams": daily * 30,
    }
    if coverage:
        row.update(coverage_name=coverage[0], coverage_percent=coverage[1],
                   coverage_max_cents=coverage[2])
    return row


def _lots(clock):
    lots, used = [], set()
    for sku, age, shelf_life, _ in LOTS:
        packaged = clock.now.date() - datetime.timedelta(days=age)
        stem = "L" + packaged.strftime("%y%m")
        letter = next(c for c in "ABCDEFGHJK" if stem + c not in used)
        used.add(stem + letter)
        lots.append({"id": stem + letter, "sku": sku,
                     "packaged_on": packaged.isoformat(),
                     "expires_on": (packaged + datetime.timedelta(
                         days=shelf_life)).isoformat()})
    return lots


def _has_data(db):
    return db.execute("SELECT (SELECT count(*) FROM clients) + "
                      "(SELECT count(*) FROM orders)").fetchone()[0] > 0


class _Clock:
    """Demo timestamps relative to today, in the database's text format."""

    def __init__(self):
        self.now = datetime.datetime.now(datetime.timezone.utc).replace(
            microsecond=0)

    def days_ago(self, days, hour=10):
        t = (self.now - datetime.timedelta(days=days)).replace(
            hour=hour, minute=(days * 7) % 60, second=0)
        return min(t, self.now).strftime("%Y-%m-%d %H:%M:%S")

    def hours_ago(self, hours):
        t = self.now - datetime.timedelta(hours=hours)
        return t.strftime("%Y-%m-%d %H:%M:%S")


def _demo_orders(db, clients, clock):
    margaret, daniel, priya, jean_luc, sarah, robert = clients
    o = FIRST_ORDER_ID

    _order(db, o, margaret, [("CBD-OIL-30", 2)], states.DELIVERED, clock, 21,
           carrier="Canada Post", tracking="7023 4411 9870 2214",
           picked={"CBD-OIL-30": 2}, device="G01")
    _order(db, o + 1, daniel, [("THC-CAP-10", 1), ("BAL-FLWR-3G5", 2)],
           states.SHIPPED, clock, 4, carrier="Purolator",
           tracking="335098812245", picked={"THC-CAP-10": 1,
                                            "BAL-FLWR-3G5": 2},
           device="G02", notes=["Ship to registered address only"])
    _order(db, o + 2, priya, [("CBD-OIL-30", 1), ("CBD-SFT-20", 2)],
           states.PLACED, clock, 2, carrier="Canada Post",
           picked={"CBD-OIL-30": 1}, device="G01",
           rejected=[("THC-CAP-10", "wrong_product")],
           notes=["Client requested discreet packaging"])
    _order(db, o + 3, jean_luc, [("THC-CAP-10", 2), ("CBD-OIL-30", 1),
                                 ("CBD-SFT-20", 1)],
           states.PLACED, clock, 1, carrier="Canada Post",
           notes=["Fragile: include ice pack",
                  "Signature required on delivery"])
    _order(db, o + 4, sarah, [("BAL-FLWR-3G5", 1)], states.PLACED, clock, 0,
           carrier="Canpar",
           notes=["Verify the label address matches the registration "
                  "document"])
    _order(db, o + 5, robert, [("THC-FLWR-15G", 1)], states.AWAITING_PAYMENT,
           clock, 3, notes=["Paying by cheque: hold until it clears"])
    _order(db, o + 6, margaret, [("CBD-SFT-20", 1)], states.OPEN, clock, 0)
    _order(db, o + 7, daniel, [("THC-FLWR-15G", 2)], states.CANCELLED,
           clock, 9, notes=["Client cancelled by phone"])



def _demo_portal_and_recurring(db, clients, clock):
    """Every demo client signs in to the Client Portal with their email
    and DEMO_PASSWORD; two of them have recurring monthly orders."""
    hashed = generate_password_hash(DEMO_PASSWORD)
    for client_id in clients:
        db["clients"].update(client_id, {"portal_password_hash": hashed})
    rate_ids = [r["id"] for r in db.execute(
        "SELECT id FROM shipping_rates ORDER BY id")]
    for index, lines, day, rate, method in RECURRING:
        rid = db["recurring_orders"].insert({
            "client_id": clients[index], "active": 1, "day_of_month": day,
            "shipping_rate_id": rate_ids[rate], "payment_method": method,
            "next_run": first_due(day, clock.now.date()).isoformat(),
            "created_by": "csr.demo", "created_at": clock.days_ago(45),
        }).last_pk
        db["recurring_lines"].insert_all(
            {"recurring_id": rid, "sku": sku, "qty": qty}
            for sku, qty in lines)


# How each demo status was reached, for a believable order history.
_PATHS = {
    states.OPEN: [],
    states.AWAITING_PAYMENT: ["take_payment"],
    states.PLACED: ["take_payment"],
    states.SHIPPED: ["take_payment", "ship"],
    states.DELIVERED: ["take_payment", "ship", "mark_delivered"],
    states.CANCELLED: ["cancel"],
}


def _order(db, order_id, client_id, lines, status, clock, days_ago,
           carrier=None, tracking=None, picked=None, device=None,
           rejected=(), notes=()):
    created = clock.days_ago(days_ago, hour=9)
    # The carrier's cheapest rate, as a CSR would have selected it.
    rate = db.execute("SELECT id FROM shipping_rates WHERE carrier = ? "
                      "ORDER BY price_cents LIMIT 1", [carrier]).fetchone() \
        if carrier else None
    create_order(db, client_id, lines, actor="csr.demo", status=states.OPEN,
                 notes=notes, carrier=carrier, created_at=created,
                 order_id=order_id,
                 shipping_rate_id=rate["id"] if rate else None)
    current = states.OPEN
    method = "cheque" if status == states.AWAITING_PAYMENT \
        else "credit_card"
    for step, action in enumerate(_PATHS[status]):
        to = states.payment_target(current, method) \
            if action == "take_payment" else states.target(current, action)
        at = clock.days_ago(max(days_ago - step, 0), hour=10 + 2 * step)
        record_history(db, order_id, action, current, to, "csr.demo", at=at)
        current = to
    assert current == status
    changes = {"status": status, "tracking": tracking}
    if _PATHS[status][:1] == ["take_payment"]:
        changes["payment_method"] = method
    if status not in (states.OPEN, states.AWAITING_PAYMENT,
                      states.CANCELLED):
        changes["placed_at"] = changes["paid_at"] = clock.days_ago(
            days_ago, hour=10)
    if status in (states.SHIPPED, states.DELIVERED):
        changes["shipped_at"] = clock.days_ago(max(days_ago - 1, 0), hour=12)
    if status == states.DELIVERED:
        changes["delivered_at"] = clock.days_ago(max(days_ago - 3, 0),
                                                 hour=15)
    db["orders"].update(order_id, changes)

    bottle_status = "shipped" if status in (states.SHIPPED,
                                            states.DELIVERED) else "picked"
    scanned = clock.days_ago(max(days_ago - 1, 0), hour=11)
    for sku, count in (picked or {}).items():
        for serial, lot in _free_bottles(db, sku, count):
            record_pick(db, order_id, serial, sku, lot, device, scanned,
                        scanned)
            if bottle_status != "picked":
                db["bottles"].update(serial, {"status": bottle_status})
    for sku, reason in rejected:
        serial, lot = _free_bottles(db, sku, 1)[0]
        record_pick(db, order_id, serial, sku, lot, device, scanned,
                    scanned, "rejected", reason)


def _free_bottles(db, sku, count):
    return [(r["serial"], r["lot_id"]) for r in db.execute(
        "SELECT serial, lot_id FROM bottles WHERE sku = ? AND "
        "status = 'in_stock' ORDER BY serial LIMIT ?", [sku, count])]


def _report(counts):
    if counts is None:
        click.echo("The database already holds clients or orders: demo data "
                   "not added (nothing changed).")
    else:
        click.echo("Demo data added: " + ", ".join(
            "%d %s" % (n, t.replace("_", " ")) for t, n in counts.items()))


# Plain click commands for the top-level `pickgun` group (tools/cli.py);
# `flask --app server` has its own: db.init_db_command and the one below.
DB_OPTION = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False), default=None,
    help="SQLite file (default: $PICKGUN_DATABASE or instance/pickgun.db).")


@click.command("init-db")
@DB_OPTION
def init_db_command(db_path):
    """Create or upgrade the database tables."""
    path = db_path or default_database()
    prepare_database(path)
    click.echo("Database ready: %s" % path)


@click.command("seed-demo")
@DB_OPTION
def seed_demo_command(db_path):
    """Fill an empty database with demo clients, products and orders."""
    path = db_path or default_database()
    prepare_database(path)
    db = connect(path)
    try:
        _report(seed_demo(db))
    finally:
        db.conn.close()


@click.command("seed-demo")
@with_appcontext
def seed_demo_app_command():
    """Fill the app's empty database with demo clients, products and orders."""
    _report(seed_demo(get_db()))
