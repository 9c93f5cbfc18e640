"""Order services shared by the web pages and the JSON API.

Every change runs in one write transaction: the status check against
order_states, the action's effect, the order_history row and, when a gun
would see the change, the snapshot revision bump.  A refused action
raises before anything is written, so it changes nothing."""
import contextlib

from server import order_states as states
from server.db import now, write
from server.snapshots import bump_rev

NOTE_MAX = 500          # the gun shows notes as scrolling alerts
CARRIER_MAX = 40
TRACKING_MAX = 60


class OrderNotFound(LookupError):
    def __init__(self, order_id):
        super().__init__("Order %s not found" % order_id)
        self.order_id = order_id


class BadInput(ValueError):
    """A request with missing or invalid fields (HTTP 400)."""


class ActionRefused(Exception):
    """An action the status allows but the order is not ready for, e.g.
    shipping before every line is picked (HTTP 409, like IllegalAction)."""


@contextlib.contextmanager
def transaction(db):
    """A write transaction, or the caller's one if it already opened it,
    so services compose (the worker may call them inside its own)."""
    if db.conn.in_transaction:
        yield db
    else:
        with write(db):
            yield db


# ------------------------------------------------------------------ reads
def get_order(db, order_id):
    """The order row joined with its client's name, as a dict, or None."""
    row = db.execute(
        "SELECT o.*, c.name AS client_name FROM orders o "
        "JOIN clients c ON c.id = o.client_id WHERE o.id = ?",
        [order_id]).fetchone()
    return dict(row) if row else None


def require_order(db, order_id):
    order = get_order(db, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


def order_lines(db, order_id):
    """Lines with product name and how many bottles are picked so far."""
    return [dict(r) for r in db.execute(
        "SELECT l.id, l.sku, p.name, p.grams, l.qty, l.price_cents, "
        " (SELECT count(*) FROM picks k WHERE k.order_id = l.order_id "
        "  AND k.sku = l.sku AND k.status = 'accepted') AS picked "
        "FROM order_lines l JOIN products p ON p.sku = l.sku "
        "WHERE l.order_id = ? ORDER BY l.id", [order_id])]


def order_picks(db, order_id):
    """Every pick recorded for the order, newest first, reset ones too."""
    return [dict(r) for r in db.execute(
        "SELECT k.id, k.serial, k.sku, k.lot_id, k.device_id, k.status, "
        " k.reason, k.scanned_at, k.recorded_at, t.expires_on "
        "FROM picks k LEFT JOIN lots t ON t.id = k.lot_id "
        "WHERE k.order_id = ? ORDER BY k.id DESC", [order_id])]


def order_notes(db, order_id):
    return [dict(r) for r in db.execute(
        "SELECT id, text, author, created_at FROM notes "
        "WHERE order_id = ? ORDER BY id", [order_id])]


def order_history(db, order_id):
    return [dict(r) for r in db.execute(
        "SELECT action, from_status, to_status, actor, at, detail "
        "FROM order_history WHERE order_id = ? ORDER BY id DESC",
        [order_id])]


def fully_picked(lines):
    return all(line["picked"] >= line["qty"] for line in lines)


# Sort keys offered on the Orders dashboard (the seed: by creation date by
# default, or by order ID or status).
SORTS = {
    "created": "o.created_at DESC, o.id DESC",
    "id": "o.id DESC",
    "status": "%s, o.created_at DESC" % (
        "CASE o.status " + " ".join(
            "WHEN '%s' THEN %d" % (s, i) for i, s in enumerate(states.STATUSES))
        + " END"),
}


def list_orders(db, status=None, search=None, sort="created", archived=False):
    """Orders for the dashboard.  archived: False (active only), True
    (archived only) or None (both).  search matches the order id, client
    name or email, carrier and tracking number."""
    where, params = [], []
    if archived is not None:
        where.append("o.archived = ?")
        params.append(1 if archived else 0)
    if status:
        where.append("o.status = ?")
        params.append(status)
    if search:
        term = search.strip()
        like = "%" + term.lstrip("#") + "%"
        where.append("(CAST(o.id AS TEXT) = ? OR c.name LIKE ? OR "
                     "c.email LIKE ? OR o.carrier LIKE ? OR o.tracking LIKE ?)")
        params += [term.lstrip("#"), like, like, like, like]
    sql = (
        "SELECT o.id, o.status, o.created_at, o.shipped_at, o.carrier, "
        " o.total_cents, o.archived, o.client_id, c.name AS client_name, "
        " (SELECT sum(l.qty * p.grams) FROM order_lines l JOIN products p "
        "  ON p.sku = l.sku WHERE l.order_id = o.id) AS grams, "
        " (SELECT sum(l.qty) FROM order_lines l "
        "  WHERE l.order_id = o.id) AS units "
        "FROM orders o JOIN clients c ON c.id = o.client_id")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY " + SORTS.get(sort, SORTS["created"])
    return [dict(r) for r in db.execute(sql, params)]


def order_detail(db, order_id):
    """Everything the order page and GET /api/orders/<id> show."""
    order = require_order(db, order_id)
    lines = order_lines(db, order_id)
    client = db.execute("SELECT id, name, dob, email, phone, address "
                        "FROM clients WHERE id = ?",
                        [order["client_id"]]).fetchone()
    return {
        "order": order,
        "client": dict(client),
        "lines": lines,
        "fully_picked": fully_picked(lines),
        "picks": order_picks(db, order_id),
        "notes": order_notes(db, order_id),
        "history": order_history(db, order_id),
        "actions": [a.name for a in states.allowed_actions(order["status"])],
    }


# ----------------------------------------------------------------- writes
def create_order(db, client_id, lines, actor="system", status=states.OPEN,
                 notes=(), carrier=None, created_at=None, order_id=None,
                 source="csr", verified=True):
    """Create an order; lines: [(sku, qty)] or [{"sku", "qty"}].  Returns
    the new order id (`order_id` picks it, e.g. for demo data).  Prices
    come from the product list."""
    if status not in states.STATUSES:
        raise BadInput("Unknown status %r" % status)
    wanted = []
    for line in lines:
        sku, qty = (line["sku"], line["qty"]) if isinstance(line, dict) \
            else line
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            raise BadInput("Quantity for %s must be a whole number >= 1" % sku)
        wanted.append((sku, qty))
    if not wanted:
        raise BadInput("An order needs at least one line")
    if len({sku for sku, _ in wanted}) != len(wanted):
        raise BadInput("Each product may appear on one line only")
    with transaction(db):
        if db.execute("SELECT 1 FROM clients WHERE id = ?",
                      [client_id]).fetchone() is None:
            raise BadInput("Unknown client %r" % client_id)
        prices = {}
        for sku, _ in wanted:
            row = db.execute("SELECT price_cents FROM products WHERE sku = ?",
                             [sku]).fetchone()
            if row is None:
                raise BadInput("Unknown product %r" % sku)
            prices[sku] = row["price_cents"] or 0
        at = created_at or now()
        placed = status not in (states.OPEN, states.AWAITING_PAYMENT,
                                states.CANCELLED)
        row = {
            "client_id": client_id, "status": status, "created_at": at,
            "placed_at": at if placed else None,
            "placed_by": actor, "carrier": carrier,
            "total_cents": sum(prices[s] * q for s, q in wanted),
            "subtotal_cents": sum(prices[s] * q for s, q in wanted),
            "shipping_cents": 0, "discount_cents": 0, "coverage_cents": 0,
            "source": source, "verified": 1 if verified else 0,
        }
        if order_id is not None:
            row["id"] = order_id
        order_id = db["orders"].insert(row).last_pk
        db["order_lines"].insert_all(
            {"order_id": order_id, "sku": sku, "qty": qty,
             "price_cents": prices[sku]} for sku, qty in wanted)
        for text in notes:
            db["notes"].insert({"order_id": order_id, "text": text,
                                "author": actor, "created_at": at})
        _history(db, order_id, "create", None, status, actor, at=at)
    return order_id


def add_note(db, order_id, text, author):
    """Attach a note; guns show it as an alert to acknowledge, so the
    order's snapshot revision goes up.  Returns the note id."""
    text = _clean(text, "Note", NOTE_MAX)
    with transaction(db):
        order = require_order(db, order_id)
        states.require(order["status"], "add_note")
        note_id = db["notes"].insert({
            "order_id": order_id, "text": text, "author": author or "",
            "created_at": now()}).last_pk
        _history(db, order_id, "add_note", order["status"], order["status"],
                 author, detail=text[:80])
        bump_rev(db, order_id)
    return note_id


def apply_action(db, order_id, action, actor, params=None):
    """Do one Order Menu action.  params: the action's fields, e.g.
    {"carrier", "tracking"} for select_shipping, {"text"} for add_note.
    Returns {"order_id", "action", "from",
    "to", "message", "deleted"}.  Raises OrderNotFound, IllegalAction
    (status does not allow it), ActionRefused (order not ready) or
    BadInput (missing parameter); none of them leaves a change behind."""
    params = params or {}
    if action == "add_note":
        note_id = add_note(db, order_id, params.get("text"), actor)
        status = get_order(db, order_id)["status"]
        return _result(order_id, action, status, status,
                       "Note added.", note_id=note_id)
    with transaction(db):
        order = require_order(db, order_id)
        before = order["status"]
        act = states.require(before, action)
        after = states.target(before, action)
        if action == "pick":
            # Picking happens on the guns; the server has nothing to do.
            return _result(order_id, action, before, after,
                           "Scan this order's QR code with a scanner gun "
                           "to pick its bottles.")
        effect = _EFFECTS.get(action, _record_only)
        message, detail, gun_visible = effect(db, order, actor, params)
        deleted = action == "delete"
        if not deleted:
            if after != before:
                db["orders"].update(order_id, {"status": after})
                if _releases_picks(before, after):
                    count = _release_picks(db, order_id, "picked")
                    if count:
                        detail = _join(detail, "%d picked bottle(s) returned "
                                       "to inventory" % count)
                gun_visible = True
            _history(db, order_id, action, before, after, actor, detail)
            if gun_visible:
                bump_rev(db, order_id)
    if not message:
        message = ("%s: the order is now %s." % (
            act.label, states.STATUS_LABELS[after]) if after != before
            else "%s recorded in the order history." % act.label)
    return _result(order_id, action, before, after, message, deleted=deleted)


def archive_all(db, status, actor):
    """The dashboard's Archive Shipped / Archive Delivered: archive every
    unarchived order in `status`.  Returns how many were archived."""
    states.require(status, "archive")
    with transaction(db):
        ids = [r["id"] for r in db.execute(
            "SELECT id FROM orders WHERE status = ? AND archived = 0",
            [status])]
        for order_id in ids:
            apply_action(db, order_id, "archive", actor)
    return len(ids)


def _result(order_id, action, before, after, message, **extra):
    out = {"order_id": order_id, "action": action, "from": before,
           "to": after, "message": message, "deleted": False}
    out.update(extra)
    return out


def _releases_picks(before, after):
    # Bottles picked for an order that will now never ship are still on
    # the shelf: put them back in stock instead of leaving them reserved.
    return states.awaiting_fulfilment(before) and after != states.SHIPPED \
        and not states.awaiting_fulfilment(after)


def _release_picks(db, order_id, bottle_status=None):
    """Mark accepted picks 'reset' and return their bottles to stock.
    bottle_status limits it to bottles in that status.  Returns count."""
    cond = "" if bottle_status is None else " AND b.status = ?"
    args = [order_id] + ([] if bottle_status is None else [bottle_status])
    serials = [r["serial"] for r in db.execute(
        "SELECT k.serial FROM picks k JOIN bottles b ON b.serial = k.serial "
        "WHERE k.order_id = ? AND k.status = 'accepted'" + cond, args)]
    for serial in serials:
        db.execute("UPDATE picks SET status = 'reset' WHERE serial = ? "
                   "AND order_id = ? AND status = 'accepted'",
                   [serial, order_id])
        db.execute("UPDATE bottles SET status = 'in_stock', order_id = NULL "
                   "WHERE serial = ?", [serial])
    return len(serials)


# Effects: (db, order, actor, params) -> (message, history detail,
# whether guns must see it).  Status changes are applied by apply_action.
def _place(db, order, actor, params):
    db["orders"].update(order["id"], {"placed_at": now(), "placed_by": actor})
    return "Order placed: it can now be picked with a scanner gun.", None, True


def _confirm_payment(db, order, actor, params):
    db["orders"].update(order["id"], {"placed_at": now()})
    return "Payment confirmed: order placed.", None, True


def _select_shipping(db, order, actor, params):
    carrier = _clean(params.get("carrier"), "Carrier", CARRIER_MAX)
    tracking = _optional(params.get("tracking"), "Tracking number",
                         TRACKING_MAX)
    db["orders"].update(order["id"], {"carrier": carrier,
                                      "tracking": tracking})
    return ("Shipping set to %s." % carrier,
            carrier + (" " + tracking if tracking else ""), False)


def _ship(db, order, actor, params):
    lines = order_lines(db, order["id"])
    short = ["%s (%d of %d)" % (l["sku"], l["picked"], l["qty"])
             for l in lines if l["picked"] < l["qty"]]
    if short:
        raise ActionRefused("Cannot ship: not every line is fully picked: "
                            + ", ".join(short))
    over = [l["sku"] for l in lines if l["picked"] > l["qty"]]
    if over:
        raise ActionRefused("Cannot ship: more bottles picked than ordered "
                            "for " + ", ".join(over) + "; reset picking.")
    tracking = _optional(params.get("tracking"), "Tracking number",
                         TRACKING_MAX)
    changes = {"shipped_at": now()}
    if tracking:
        changes["tracking"] = tracking
    db["orders"].update(order["id"], changes)
    db.execute("UPDATE bottles SET status = 'shipped' WHERE serial IN "
               "(SELECT serial FROM picks WHERE order_id = ? "
               " AND status = 'accepted')", [order["id"]])
    units = sum(l["qty"] for l in lines)
    return "Order shipped (%d bottles)." % units, "%d bottles" % units, True


def _reset_picking(db, order, actor, params):
    count = _release_picks(db, order["id"])
    return ("Picking reset: %d bottle(s) returned to inventory." % count,
            "%d bottle(s) returned to inventory" % count, True)


def _return_bottles(db, order, actor, params):
    # Returned bottles wait in quarantine for a destruction or restock
    # decision; they are not sellable stock yet.
    cur = db.execute("UPDATE bottles SET status = 'returned' WHERE serial IN "
                     "(SELECT serial FROM picks WHERE order_id = ? AND "
                     " status = 'accepted') AND status = 'shipped'",
                     [order["id"]])
    count = cur.rowcount
    return ("%d bottle(s) marked returned." % count,
            "%d bottle(s) returned" % count, False)


def _archive(db, order, actor, params):
    archived = 0 if order["archived"] else 1
    db["orders"].update(order["id"], {"archived": archived})
    word = "archived" if archived else "unarchived"
    return "Order %s." % word, word, False


def _delete(db, order, actor, params):
    order_id = order["id"]
    for table in ("picks", "notes", "order_lines", "order_history"):
        db.execute("DELETE FROM %s WHERE order_id = ?" % table, [order_id])
    db.execute("UPDATE bottles SET order_id = NULL WHERE order_id = ?",
               [order_id])
    db.execute("DELETE FROM orders WHERE id = ?", [order_id])
    return "Order %d deleted." % order_id, None, False


def _record_only(db, order, actor, params):
    # Labels and documents are produced outside Pickgun; the order keeps a
    # record of every request (a reprint with no record is a known gap).
    detail = params.get("detail")
    return None, detail[:200] if isinstance(detail, str) else None, False


_EFFECTS = {
    "place": _place,
    "confirm_payment": _confirm_payment,
    "select_shipping": _select_shipping,
    "ship": _ship,
    "reset_picking": _reset_picking,
    "return_bottles": _return_bottles,
    "archive": _archive,
    "delete": _delete,
}


# ---------------------------------------------------------------- helpers
def _history(db, order_id, action, before, after, actor, detail=None,
             at=None):
    db["order_history"].insert({
        "order_id": order_id, "action": action, "from_status": before,
        "to_status": after, "actor": actor or "", "at": at or now(),
        "detail": detail})


# For other services (documents, records...) writing history rows.
record_history = _history


def _clean(value, what, limit):
    if value is not None and not isinstance(value, str):
        raise BadInput("%s must be text" % what)
    if not value or not value.strip():
        raise BadInput("%s must not be empty" % what)
    value = value.strip()
    if len(value) > limit:
        raise BadInput("%s is too long (at most %d characters)"
                       % (what, limit))
    return value


def _optional(value, what, limit):
    """An optional text field: None when missing or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _clean(value, what, limit)


def _join(a, b):
    return b if not a else a + "; " + b
