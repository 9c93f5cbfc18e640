"""Tables, as sqlite-utils migrations: append new migrations, never edit
an applied one.  (Over 350 lines: the schema's whole history, which an
old database replays in order; splitting it would only hide the order.)"""
import re

from sqlite_utils.migrations import Migrations

migrations = Migrations("pickgun")


@migrations()
def m001_core(db):
    db["clients"].create({
        "id": int, "name": str, "dob": str, "email": str, "phone": str,
        "address": str, "created_at": str,
    }, pk="id", not_null={"name"})
    db["products"].create({
        "sku": str, "name": str, "grams": float, "price_cents": int,
    }, pk="sku", not_null={"name"})
    db["lots"].create({
        "id": str, "sku": str, "packaged_on": str, "expires_on": str,
    }, pk="id", foreign_keys=[("sku", "products", "sku")])
    db["orders"].create({
        "id": int, "client_id": int, "status": str, "rev": int,
        "published_rev": int, "created_at": str, "placed_at": str,
        "shipped_at": str, "carrier": str, "tracking": str,
        "total_cents": int, "archived": int, "placed_by": str,
    }, pk="id", foreign_keys=[("client_id", "clients", "id")],
        not_null={"status", "rev", "client_id"},
        defaults={"rev": 1, "published_rev": 0, "archived": 0,
                  "total_cents": 0})
    db["order_lines"].create({
        "id": int, "order_id": int, "sku": str, "qty": int,
        "price_cents": int,
    }, pk="id", foreign_keys=[("order_id", "orders", "id"),
                              ("sku", "products", "sku")],
        not_null={"qty"})
    db["order_lines"].create_index(["order_id", "sku"], unique=True)
    db["bottles"].create({
        "serial": str, "sku": str, "lot_id": str, "status": str,
        "order_id": int,
    }, pk="serial", foreign_keys=[("sku", "products", "sku"),
                                  ("lot_id", "lots", "id"),
                                  ("order_id", "orders", "id")],
        not_null={"status"}, defaults={"status": "in_stock"})
    db["notes"].create({
        "id": int, "order_id": int, "text": str, "author": str,
        "created_at": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id")],
        not_null={"text"})
    db["devices"].create({
        "id": str, "name": str, "board": str, "created_at": str,
        "last_seen": str, "online": int, "fw": str, "pending": int,
        "ep": int, "upto": int, "password_hash": str,
    }, pk="id", defaults={"online": 0, "pending": 0, "ep": 0, "upto": 0})
    # Every event a gun sent, once: (device, ep, seq) is the idempotency key.
    db["device_events"].create({
        "id": int, "device_id": str, "ep": int, "seq": int, "kind": str,
        "order_id": int, "code": str, "gun_at": int, "received_at": str,
        "outcome": str, "reason": str, "payload": str,
    }, pk="id", not_null={"device_id", "ep", "seq", "kind"})
    db["device_events"].create_index(["device_id", "ep", "seq"], unique=True)
    # Picks: accepted ones hold the bottle; rejected ones say why.
    db["picks"].create({
        "id": int, "order_id": int, "serial": str, "sku": str, "lot_id": str,
        "device_id": str, "event_id": int, "scanned_at": str,
        "recorded_at": str, "status": str, "reason": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id"),
                              ("event_id", "device_events", "id")],
        not_null={"status"})
    db["picks"].create_index(["order_id"])
    db.execute("CREATE UNIQUE INDEX picks_one_accepted_per_bottle "
               "ON picks(serial) WHERE status = 'accepted'")
    db["order_history"].create({
        "id": int, "order_id": int, "action": str, "from_status": str,
        "to_status": str, "actor": str, "at": str, "detail": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id")])
    db["order_history"].create_index(["order_id"])


@migrations()
def m002_malformed_messages(db):
    # MQTT messages the worker could not use (bad topic, not JSON, wrong
    # fields...): kept so a misbehaving gun is visible, never retried.
    db["malformed_messages"].create({
        "id": int, "received_at": str, "topic": str, "device_id": str,
        "reason": str, "size": int, "payload": str,
    }, pk="id")
    db["malformed_messages"].create_index(["device_id"])


@migrations()
def m003_back_office(db):
    """Staff, client registrations and prescriptions, order money and
    payment, note severity, documents, complaints, destruction, returned
    grams, recurring orders and shipping rates."""
    db["staff"].create({
        "id": int, "username": str, "name": str, "role": str,
        "password_hash": str, "active": int, "created_at": str,
        "last_login": str,
    }, pk="id", not_null={"username", "role", "password_hash"},
        defaults={"active": 1})
    db["staff"].create_index(["username"], unique=True)

    clients = db["clients"]
    for column, kind in [
            ("registration_number", str), ("registered_on", str),
            ("registration_expires", str),
            # Where orders ship: the address on the registration document.
            ("ship_name", str), ("ship_address", str),
            ("prescriber", str), ("prescription_expires", str),
            ("allowance_grams", float),        # per 30-day period
            ("coverage_name", str),            # e.g. Veterans Affairs
            ("coverage_percent", int), ("coverage_max_cents", int),
            ("portal_password_hash", str), ("notes", str)]:
        clients.add_column(column, kind)

    db["products"].add_column("cannabis", int, not_null_default=1)

    orders = db["orders"]
    for column, kind in [
            ("verified", int), ("source", str),
            ("shipping_rate_id", int), ("shipping_cents", int),
            ("subtotal_cents", int), ("discount_cents", int),
            ("discount_reason", str), ("coverage_cents", int),
            ("payment_method", str), ("payment_reference", str),
            ("paid_at", str), ("delivered_at", str),
            ("recurring_id", int), ("ship_address", str)]:
        orders.add_column(column, kind)
    db.execute("UPDATE orders SET verified = 1, source = 'csr', "
               "shipping_cents = 0, subtotal_cents = total_cents, "
               "discount_cents = 0, coverage_cents = 0")

    # ack: the gun stops until the associate acknowledges it; info: shown,
    # nothing to acknowledge.
    db["notes"].add_column("severity", str, not_null_default="ack")

    db["shipping_rates"].create({
        "id": int, "carrier": str, "service": str, "price_cents": int,
        "days": str, "active": int,
    }, pk="id", not_null={"carrier", "service"}, defaults={"active": 1})

    # Uploaded files and generated PDFs; the bytes live in the instance
    # folder under stored_name, never under a name a user chose.
    db["documents"].create({
        "id": int, "order_id": int, "kind": str, "title": str,
        "filename": str, "content_type": str, "size": int, "sha256": str,
        "stored_name": str, "created_by": str, "created_at": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id")],
        not_null={"kind", "stored_name"})
    db["documents"].create_index(["order_id"])

    db["complaints"].create({
        "id": int, "order_id": int, "category": str, "description": str,
        "reported_by": str, "received_on": str, "status": str,
        "resolution": str, "created_by": str, "created_at": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id")],
        not_null={"description"}, defaults={"status": "open"})
    db["complaints"].create_index(["order_id"])

    db["destructions"].create({
        "id": int, "order_id": int, "destroyed_on": str,
        "net_weight_grams": float, "method": str, "location": str,
        "witness_1": str, "witness_2": str, "created_by": str,
        "created_at": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id")])
    db["destructions"].create_index(["order_id"])
    db["destruction_bottles"].create({
        "destruction_id": int, "serial": str,
    }, pk=("destruction_id", "serial"),
        foreign_keys=[("destruction_id", "destructions", "id"),
                      ("serial", "bottles", "serial")])

    db["returned_grams"].create({
        "id": int, "order_id": int, "client_id": int, "grams": float,
        "reason": str, "comment": str, "created_by": str, "created_at": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id"),
                              ("client_id", "clients", "id")],
        not_null={"grams", "reason"})
    db["returned_grams"].create_index(["client_id"])

    db["recurring_orders"].create({
        "id": int, "client_id": int, "active": int, "day_of_month": int,
        "shipping_rate_id": int, "payment_method": str, "next_run": str,
        "last_run": str, "created_by": str, "created_at": str,
    }, pk="id", foreign_keys=[("client_id", "clients", "id")],
        defaults={"active": 1})
    db["recurring_lines"].create({
        "id": int, "recurring_id": int, "sku": str, "qty": int,
    }, pk="id", foreign_keys=[("recurring_id", "recurring_orders", "id"),
                              ("sku", "products", "sku")])


# ----------------------------------------------------- order search (m004)
def _order_tracking(tracking):
    """SQL: a tracking number as typed plus without its spaces and
    dashes, so "7023 4411" and "70234411" both find it."""
    return ("trim(ifnull({t}, '') || ' ' || replace(replace("
            "ifnull({t}, ''), ' ', ''), '-', ''))").format(t=tracking)


@migrations()
def m004_order_search(db):
    """Orders dashboard: a full-text index of each order's searchable
    text, order counts per filter, and indexes for keyset pagination.
    Triggers keep both current whoever writes (pages, worker, tools)."""
    # One row per order (rowid = order id), the text the dashboard search
    # matches; order_search_fts (FTS5, sqlite-utils) indexes it.
    # Bottle serials are not in it: a pick must stay cheap for the worker,
    # so serials are found through the picks table's own serial index.
    db["order_search"].create({
        "order_id": int, "ref": str, "client": str, "tracking": str,
    }, pk="order_id")
    db.execute(
        "INSERT INTO order_search (order_id, ref, client, tracking) "
        "SELECT o.id, o.id, c.name, %s FROM orders o "
        "LEFT JOIN clients c ON c.id = o.client_id" % _order_tracking(
            "o.tracking"))
    db["order_search"].enable_fts(
        ["ref", "client", "tracking"], create_triggers=True,
        tokenize="unicode61 remove_diacritics 2")

    db["orders"].create_index(["client_id"], if_not_exists=True)

    db.executescript("""
CREATE TRIGGER order_search_order_ai AFTER INSERT ON orders BEGIN
  INSERT INTO order_search (order_id, ref, client, tracking)
  VALUES (new.id, new.id,
          (SELECT name FROM clients WHERE id = new.client_id), {new_tracking});
END;
CREATE TRIGGER order_search_order_au AFTER UPDATE OF client_id, tracking
ON orders WHEN old.client_id IS NOT new.client_id
            OR old.tracking IS NOT new.tracking BEGIN
  UPDATE order_search SET
    client = (SELECT name FROM clients WHERE id = new.client_id),
    tracking = {new_tracking}
  WHERE order_id = new.id;
END;
CREATE TRIGGER order_search_order_ad AFTER DELETE ON orders BEGIN
  DELETE FROM order_search WHERE order_id = old.id;
END;
CREATE TRIGGER order_search_client_au AFTER UPDATE OF name ON clients
WHEN old.name IS NOT new.name BEGIN
  UPDATE order_search SET client = new.name
  WHERE order_id IN (SELECT id FROM orders WHERE client_id = new.id);
END;
""".format(new_tracking=_order_tracking("new.tracking")))

    # How many orders each filter shows, without counting a million rows
    # per page view: one row per (archived, verified, status).
    db.execute("CREATE TABLE order_counts ("
               "archived INTEGER NOT NULL, verified INTEGER NOT NULL, "
               "status TEXT NOT NULL, n INTEGER NOT NULL, "
               "PRIMARY KEY (archived, verified, status))")
    db.execute("INSERT INTO order_counts (archived, verified, status, n) "
               "SELECT ifnull(archived, -1), ifnull(verified, -1), status, "
               "count(*) FROM orders GROUP BY 1, 2, 3")
    add = ("INSERT INTO order_counts (archived, verified, status, n) "
           "VALUES (ifnull(new.archived, -1), ifnull(new.verified, -1), "
           "new.status, 1) ON CONFLICT (archived, verified, status) "
           "DO UPDATE SET n = n + 1;")
    remove = ("UPDATE order_counts SET n = n - 1 "
              "WHERE archived = ifnull(old.archived, -1) "
              "AND verified = ifnull(old.verified, -1) "
              "AND status = old.status;")
    db.executescript("""
CREATE TRIGGER order_counts_ai AFTER INSERT ON orders BEGIN {add} END;
CREATE TRIGGER order_counts_ad AFTER DELETE ON orders BEGIN {remove} END;
CREATE TRIGGER order_counts_au AFTER UPDATE OF archived, verified, status
ON orders WHEN old.archived IS NOT new.archived
            OR old.verified IS NOT new.verified
            OR old.status IS NOT new.status BEGIN
  {remove} {add}
END;
""".format(add=add, remove=remove))

    # Keyset pagination: each filter x sort walks an index in order (the
    # rowid, the order id, ends every index).
    for columns in (["created_at"], ["status", "created_at"], ["status"],
                    ["archived", "created_at"],
                    ["archived", "status", "created_at"],
                    ["archived", "status"], ["archived"],
                    ["verified", "created_at"],
                    ["verified", "status", "created_at"],
                    ["verified", "status"], ["verified"]):
        db["orders"].create_index(columns, if_not_exists=True)


@migrations()
def m005_clients(db):
    """Recurring-order runs: one row per attempt, so a period's order is
    generated exactly once and every skip keeps its reason."""
    db["recurring_runs"].create({
        "id": int, "recurring_id": int, "period": str, "run_on": str,
        "status": str, "reason": str, "order_ids": str, "created_at": str,
    }, pk="id", foreign_keys=[("recurring_id", "recurring_orders", "id")],
        not_null={"recurring_id", "period", "run_on", "status"})
    db.execute("CREATE UNIQUE INDEX recurring_runs_one_per_day "
               "ON recurring_runs(recurring_id, run_on)")
    db.execute("CREATE UNIQUE INDEX recurring_runs_one_order_per_period "
               "ON recurring_runs(recurring_id, period) "
               "WHERE status = 'generated'")
    db["orders"].create_index(["client_id"], if_not_exists=True)


@migrations()
def m007_records(db):
    """Complaint resolution, one destruction per bottle, and the notes
    acknowledgements of an order found without reading every gun event."""
    db["complaints"].add_column("resolved_by", str)
    db["complaints"].add_column("resolved_at", str)
    # A bottle is destroyed once: the database refuses a second record.
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS "
               "destruction_bottles_one_per_bottle "
               "ON destruction_bottles(serial)")
    db.execute("CREATE INDEX IF NOT EXISTS device_events_notes_ack "
               "ON device_events(order_id) WHERE kind = 'notes_ack'")


@migrations()
def m008_history_append_only(db):
    # The order history is a record, not data to edit: no row may change,
    # and rows go only with an Open order deleted before it was placed.
    db.executescript("""
CREATE TRIGGER order_history_no_update BEFORE UPDATE ON order_history
BEGIN
  SELECT RAISE(ABORT, 'order history is append-only');
END;
CREATE TRIGGER order_history_no_delete BEFORE DELETE ON order_history
WHEN (SELECT status FROM orders WHERE id = old.order_id) IS NOT 'open'
BEGIN
  SELECT RAISE(ABORT, 'order history is append-only');
END;
""")


@migrations()
def m009_staff_lockout(db):
    # Wrong passwords in a row, and until when the account refuses any.
    db["staff"].add_column("failed_logins", int, not_null_default=0)
    db["staff"].add_column("locked_until", str)


@migrations()
def m010_retained_clearing(db):
    # When each order's snapshot was last published, and the revision
    # whose retained copy the broker has dropped (server.gunlink.snapshots).
    db["orders"].add_column("published_at", str)
    db["orders"].add_column("cleared_rev", int, not_null_default=0)
    db.execute("UPDATE orders SET published_at = datetime('now') "
               "WHERE published_rev > 0")
    db.execute("CREATE INDEX orders_retained_to_clear ON orders(published_at)"
               " WHERE cleared_rev < rev")
    # The worker polls its outbox several times a second: an index of just
    # the unpublished orders keeps that cheap with a million orders.
    db.execute("CREATE INDEX orders_unpublished ON orders(id) "
               "WHERE rev != published_rev")


@migrations()
def m011_portal_lockout(db):
    # As m009 for staff: the Client Portal's sign-in locks out guessing.
    db["clients"].add_column("failed_logins", int, not_null_default=0)
    db["clients"].add_column("locked_until", str)


@migrations()
def m012_destruction_undo(db):
    # A destruction can be undone (a mistaken record): it stays on file,
    # marked undone, and its bottles go back to the status they had.
    for column in ("undone_at", "undone_by", "undo_reason"):
        db["destructions"].add_column(column, str)
    db["destruction_bottles"].add_column("prior_status", str)
    db["destruction_bottles"].add_column("undone", int, not_null_default=0)
    db.execute("DROP INDEX destruction_bottles_one_per_bottle")
    db.execute("CREATE UNIQUE INDEX destruction_bottles_one_per_bottle "
               "ON destruction_bottles(serial) WHERE undone = 0")


@migrations()
def m013_client_history(db):
    # Who changed which client detail (prescription, registration,
    # coverage...) from what to what, and when; append-only like
    # order_history.
    db["client_history"].create({
        "id": int, "client_id": int, "field": str, "old": str, "new": str,
        "actor": str, "at": str,
    }, pk="id", foreign_keys=[("client_id", "clients", "id")],
        not_null={"client_id", "field", "at"})
    db["client_history"].create_index(["client_id"])
    db.executescript("""
CREATE TRIGGER client_history_no_update BEFORE UPDATE ON client_history
BEGIN
  SELECT RAISE(ABORT, 'client history is append-only');
END;
CREATE TRIGGER client_history_no_delete BEFORE DELETE ON client_history
BEGIN
  SELECT RAISE(ABORT, 'client history is append-only');
END;
""")


@migrations()
def m014_sessions_and_sign_in_throttle(db):
    # A session carries its account's epoch when it began: signing out,
    # deactivation (server.staff.sessions) raise the epoch and so end every
    # session of the account, copies of its cookie included.
    db["staff"].add_column("session_epoch", int, not_null_default=0)
    db["clients"].add_column("session_epoch", int, not_null_default=0)
    # Wrong passwords per name as typed, known account or not, so the
    # lockout says nothing about which names exist (server.staff.sign_in).  It
    # replaces the failed_logins and locked_until columns of staff and
    # clients (m009, m011), no longer read; their current locks move here.
    db["sign_in_failures"].create({
        "realm": str, "name": str, "failed": int, "locked_until": str,
        "last_at": str,
    }, pk=("realm", "name"), not_null={"realm", "name", "failed", "last_at"})
    db["sign_in_failures"].create_index(["last_at"])
    db.execute(
        "INSERT INTO sign_in_failures (realm, name, failed, locked_until, "
        " last_at) SELECT 'staff', username, failed_logins, locked_until, "
        " datetime('now') FROM staff WHERE failed_logins > 0 "
        " OR locked_until IS NOT NULL")
    db.execute(
        "INSERT OR IGNORE INTO sign_in_failures (realm, name, failed, "
        " locked_until, last_at) SELECT 'portal', lower(trim(email)), "
        " failed_logins, locked_until, datetime('now') FROM clients "
        " WHERE email IS NOT NULL AND (failed_logins > 0 "
        " OR locked_until IS NOT NULL)")


@migrations()
def m015_snapshot_offered(db):
    # The last revision handed to the broker, written before it is sent:
    # from then on a gun may hold that snapshot, although the broker's
    # acknowledgement (published_rev) may not be recorded yet
    # (server.gunlink.snapshots).
    db["orders"].add_column("offered_rev", int, not_null_default=0)
    db.execute("UPDATE orders SET offered_rev = published_rev")


# ------------------------------------------------ ids never reused (m016)
# Tables whose id leaves the database: printed, scanned, sent to a gun,
# shown as a number or kept in a URL or cookie.  Such an id must never
# name a second row, even after the first is deleted (an Open order, or a
# row removed by hand): a label, QR code, note, bookmark or gun that still
# holds it would then name another client's record.  A plain INTEGER
# PRIMARY KEY hands out max(id) + 1, so deleting the newest row frees its
# number; AUTOINCREMENT never hands a number out twice.
NEVER_REUSED = (
    "clients",          # client pages, Client Portal session cookies
    "staff",            # staff session cookies, the Staff page's forms
    "shipping_rates",   # orders keep the rate id: receipts and shipping
                        # labels reprinted later look the rate up
    "orders",           # order number on every page, label and receipt;
                        # QR code PGO:<id>, MQTT topic and gun snapshots
    "notes",            # note ids go to the guns in snapshots and come
                        # back in notes_ack
    "documents",        # download URLs
    "complaints",       # "Complaint #N" on the page and in the history
    "destructions",     # "Destruction #N" on the page and in the history
    "returned_grams",   # credit rows in the API and on the page
    "recurring_orders", # "Recurring order #N" pages; orders keep the id
)
# Left as they are, their ids naming nothing outside the database:
# order_lines and picks (listed in the API's order detail, but nothing
# asks for one by its id), device_events (a gun names its event by
# device, ep and seq; the worker numbers events itself), order_history
# and client_history (read in order, never by id), malformed_messages,
# recurring_lines, recurring_runs.  Bottles are known by their serial
# (text) and devices, products and lots by text ids: their hidden rowid
# is never used.  order_search is keyed by the order id it mirrors,
# never a new one.

# Where a number of a NEVER_REUSED table is remembered besides its own
# rows and the columns declared as foreign keys to it (m016 finds those
# in the schema): SQL giving the highest.  A gun event names an order
# that existed only if it was accepted or refused for a reason judged
# after the order was found (docs/protocol.md, Rejection reasons).
_REMEMBERED = {
    "orders": (
        "SELECT max(order_id) FROM device_events "
        "WHERE typeof(order_id) = 'integer' AND (outcome = 'accepted' "
        " OR reason IN ('not_pickable', 'unknown_bottle', 'lot_mismatch', "
        " 'duplicate', 'bottle_taken', 'not_in_stock', 'over_pick', "
        " 'unknown_note'))",
        "SELECT max(order_id) FROM order_search "
        "WHERE typeof(order_id) = 'integer'",
        # Orders a recurring order generated, "1021,1022": kept when the
        # CSR deleted them while still Open.
        "SELECT max(CAST(value AS INTEGER)) FROM recurring_runs, "
        " json_each(CASE WHEN json_valid('[' || order_ids || ']') "
        " THEN '[' || order_ids || ']' ELSE '[]' END) "
        "WHERE typeof(value) = 'integer'",
    ),
    "notes": (
        # Note ids an associate acknowledged on a gun.
        "SELECT max(value) FROM device_events, json_each(CASE WHEN "
        " json_valid(payload) THEN payload ELSE '{}' END, '$.n') "
        "WHERE kind = 'notes_ack' AND outcome = 'accepted' "
        " AND typeof(value) = 'integer'",
    ),
    "complaints": (
        "SELECT max(CAST(substr(detail, 2) AS INTEGER)) FROM order_history "
        "WHERE action IN ('add_complaint', 'resolve_complaint') "
        " AND detail GLOB '#[0-9]*'",
    ),
    "destructions": (
        "SELECT max(CAST(substr(detail, 2) AS INTEGER)) FROM order_history "
        "WHERE action = 'undo_destruction' AND detail GLOB '#[0-9]*'",
    ),
    "recurring_orders": (
        "SELECT max(recurring_id) FROM orders "
        "WHERE typeof(recurring_id) = 'integer'",
    ),
    "shipping_rates": (
        "SELECT max(shipping_rate_id) FROM orders "
        "WHERE typeof(shipping_rate_id) = 'integer'",
        "SELECT max(shipping_rate_id) FROM recurring_orders "
        "WHERE typeof(shipping_rate_id) = 'integer'",
    ),
}

# How sqlite-utils writes such a table: its id column first.
_ID_COLUMN = re.compile(r'CREATE TABLE "([^"]+)" \((\s*"id" INTEGER '
                        r'PRIMARY KEY),')


@migrations(transactional=False)
def m016_ids_never_reused(db):
    """Rebuild the NEVER_REUSED tables with AUTOINCREMENT (SQLite's
    twelve-step table change, lang_altertable.html#otheralter) and retire
    every number already handed out that the database still remembers.

    Dropping a table that others reference needs foreign keys off, and
    PRAGMA foreign_keys does nothing inside a transaction: so this
    migration runs outside the runner's transaction (transactional=False)
    and opens its own.  It may run twice (stopped after its commit,
    before the runner recorded it): a table already rebuilt is left as
    it is, and the numbers retired are only ever raised.  It copies every
    order once: some seconds per hundred thousand orders, once."""
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("m016 must start outside a transaction")
    foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Rows whose parent was already missing (removed by hand with
            # foreign keys off) stay as they were; the rebuild must add
            # none.
            before = _foreign_key_violations(conn)
            _rebuild_autoincrement(conn, NEVER_REUSED)
            for table in NEVER_REUSED:
                _retire_remembered(conn, table)
            broken = _foreign_key_violations(conn) - before
            if broken:
                raise RuntimeError("m016 would break foreign keys: %r"
                                   % sorted(broken)[:10])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.execute("PRAGMA foreign_keys = %d" % foreign_keys)


def _foreign_key_violations(conn):
    return {tuple(r) for r in conn.execute("PRAGMA foreign_key_check")}


def _schema(conn, where, args=()):
    return [tuple(r) for r in conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE "
        + where + " ORDER BY rowid", args)]


def _rebuild_autoincrement(conn, tables):
    """Each table in `tables` not yet AUTOINCREMENT: created anew with
    the same definition plus AUTOINCREMENT, its rows copied (numbers
    kept), the old one dropped, the new one renamed, its indexes and
    query-planner statistics restored.  Every trigger and view is
    dropped first and created again last, word for word and in their
    order: a trigger naming a dropped table would make the rename fail,
    and triggers must not fire on the copy."""
    todo = []
    for table in tables:
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE "
                              "type = 'table' AND name = ?",
                              [table]).fetchone()
        if "AUTOINCREMENT" in sql.upper():
            continue
        match = _ID_COLUMN.match(sql)
        if match is None or match.group(1) != table:
            raise RuntimeError("m016: unexpected definition of %s: %s"
                               % (table, sql))
        todo.append((table, sql, match))
    if not todo:
        return
    dependents = _schema(conn, "type IN ('trigger', 'view') "
                         "AND sql IS NOT NULL")
    for kind, name, _, _ in reversed(dependents):
        conn.execute('DROP %s "%s"' % (kind.upper(), name))
    stat_tables = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name IN ('sqlite_stat1', 'sqlite_stat4') ORDER BY name")]
    for table, sql, match in todo:
        new = "_m016_new_" + table
        indexes = _schema(conn, "type = 'index' AND tbl_name = ? "
                          "AND sql IS NOT NULL", [table])
        stats = {s: conn.execute('SELECT * FROM "%s" WHERE tbl = ?' % s,
                                 [table]).fetchall() for s in stat_tables}
        conn.execute('CREATE TABLE "%s" (%s AUTOINCREMENT%s' % (
            new, match.group(2), sql[match.end(2):]))
        conn.execute('INSERT INTO "%s" SELECT * FROM "%s"' % (new, table))
        conn.execute('DROP TABLE "%s"' % table)
        conn.execute('ALTER TABLE "%s" RENAME TO "%s"' % (new, table))
        for _, _, _, index_sql in indexes:
            conn.execute(index_sql)
        for stat, rows in stats.items():
            for row in rows:
                conn.execute('INSERT INTO "%s" VALUES (%s)' % (
                    stat, ", ".join("?" * len(row))), tuple(row))
    for _, _, _, dependent_sql in dependents:
        conn.execute(dependent_sql)


def _retire_remembered(conn, table):
    """Raise `table`'s AUTOINCREMENT counter (sqlite_sequence) to the
    highest number it has handed out that the database remembers: its
    rows, any column declared as a foreign key to it, and _REMEMBERED."""
    queries = ['SELECT max(id) FROM "%s"' % table]
    for (name,) in conn.execute("SELECT name FROM sqlite_master "
                                "WHERE type = 'table' ORDER BY name"):
        for key in conn.execute("SELECT \"from\", \"to\" FROM "
                                "pragma_foreign_key_list(?) "
                                "WHERE \"table\" = ?", [name, table]):
            if key[1] in (None, "id"):
                queries.append(
                    'SELECT max("%s") FROM "%s" WHERE typeof("%s") = '
                    "'integer'" % (key[0], name, key[0]))
    queries.extend(_REMEMBERED.get(table, ()))
    highest = max([conn.execute(q).fetchone()[0] or 0 for q in queries])
    if highest <= 0:
        return
    cur = conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) "
                       "WHERE name = ?", [highest, table])
    if cur.rowcount == 0:
        conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                     [table, highest])


@migrations()
def m017_device_vitals(db):
    # What each gun's status last said about itself (wire.VITALS): NULL
    # where it did not say (firmware before them, or a board that cannot
    # tell); the fleet page shows them, with a low-battery warning.
    devices = db["devices"]
    for column in ("bat_mv", "rssi", "mem_free", "mem_block", "uptime"):
        devices.add_column(column, int)


@migrations()
def m018_releases(db):
    # Firmware releases guns install over the air, the one roll-out (its
    # target, paused or not, and a revision the worker republishes the
    # retained offer on), and how each gun's update stands as its status
    # says (server.fleet.releases).  The images are files in the
    # instance folder's releases/.
    db["releases"].create({
        "version": str, "size": int, "sha256": str, "signature": str,
        "created_at": str, "created_by": str,
    }, pk="version", not_null={"size", "sha256", "signature"})
    db["rollout"].create({
        "id": int, "version": str, "paused": int, "rev": int,
        "started_at": str, "changed_at": str, "changed_by": str,
    }, pk="id", foreign_keys=[("version", "releases", "version")],
        not_null={"version", "paused", "rev"})
    devices = db["devices"]
    for column in ("ota_version", "ota_state", "ota_detail", "ota_at"):
        devices.add_column(column, str)


@migrations()
def m019_hold_lists(db):
    # The orders each gun holds offline (server.fleet.holds): how many it
    # says it can open (its status's `held`), its offline share (0-28
    # orders of the picking list), when it was retired (NULL: in service),
    # the hold list last handed to the broker for it (JSON, NULL: none),
    # and the orders it touched (a get or an event) with when, last first.
    devices = db["devices"]
    devices.add_column("held", int)
    devices.add_column("offline_share", int, not_null_default=24)
    devices.add_column("retired_at", str)
    devices.add_column("hold_sent", str)
    db["device_touches"].create({
        "device_id": str, "order_id": int, "at": str,
    }, pk=("device_id", "order_id"), not_null={"at"})
    db["device_touches"].create_index(["order_id"])


@migrations()
def m020_badges_lots_returns(db):
    # The warehouse floor (docs/back-office.md).  Badges: the hash of
    # each associate's badge (wire.badge_hash of its body, never the
    # token), when it was issued, and when revoked (NULL: valid).
    staff = db["staff"]
    staff.add_column("badge_hash", str)
    staff.add_column("badge_issued_at", str)
    staff.add_column("badge_revoked_at", str)
    # Who did it: the staff number a gun's event carried (wire "by"),
    # NULL for a gun with nobody signed in (or firmware before sign-in).
    db["device_events"].add_column("staff_id", int)
    db["picks"].add_column("staff_id", int)
    db["order_history"].add_column("staff_id", int)
    # Lots on hold and recalls: the lot's status ('released', 'on_hold',
    # 'recalled') and its append-only history (who, when, why).
    db["lots"].add_column("status", str, not_null_default="released")
    db["lot_history"].create({
        "id": int, "lot_id": str, "from_status": str, "to_status": str,
        "reason": str, "actor": str, "at": str,
    }, pk="id", foreign_keys=[("lot_id", "lots", "id")],
        not_null={"lot_id", "to_status", "at"})
    db["lot_history"].create_index(["lot_id"])
    # Settings the guns get with the roster: sign-in required, idle
    # sign-out (seconds); one row per key.
    db["settings"].create({"key": str, "value": str}, pk="key")
    # Bottles returned at the gun: which order, which event, who.
    db["gun_returns"].create({
        "id": int, "order_id": int, "serial": str, "device_id": str,
        "event_id": int, "staff_id": int, "scanned_at": str,
        "recorded_at": str, "status": str, "reason": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id"),
                              ("event_id", "device_events", "id")],
        not_null={"status"})
    db.execute("CREATE UNIQUE INDEX gun_returns_once_per_bottle "
               "ON gun_returns(order_id, serial) WHERE status = 'accepted'")


@migrations()
def m021_lot_reports(db):
    # A lot's bottles by status: the Lots page's counts, the recall
    # report (every bottle of a lot that left, at a million orders), the
    # first good lot of a SKU the guns are told to pick from, and the lots
    # a gun must refuse (those with bottles in stock: read every second by
    # the worker, server.orders.lot_checks.refused_lots).
    db.execute("CREATE INDEX IF NOT EXISTS bottles_lot_status "
               "ON bottles(lot_id, status)")
    db.execute("CREATE INDEX IF NOT EXISTS lots_sku_expiry "
               "ON lots(sku, expires_on)")
    # A lot's history is a record, not data to edit.  (One statement per
    # execute: executescript would commit the migration half done.)
    for event in ("UPDATE", "DELETE"):
        db.execute("CREATE TRIGGER lot_history_no_%s BEFORE %s ON "
                   "lot_history BEGIN SELECT RAISE(ABORT, 'lot history is "
                   "append-only'); END" % (event.lower(), event))
