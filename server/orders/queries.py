"""Reading orders: one order with its lines, picks, notes and history,
the order page's whole detail, the dashboard's lists, and what the Order
Menu asks before offering an action (not_ready, recorded, refund_of)."""
import re

from server.core.errors import OrderNotFound
from server.orders import dashboard
from server.orders import states
from server.orders.picks import PICKED_COUNT
from server.orders.states import DISPENSED_STATUSES


def get_order(db, order_id):
    """The order row joined with its client's name, as a dict, or None.
    "dispensed": whether any of its picked bottles left the building
    (DISPENSED_STATUSES), which order_states asks of the after-shipping
    records."""
    row = db.execute(
        "SELECT o.*, c.name AS client_name, EXISTS ("
        " SELECT 1 FROM picks k JOIN bottles b ON b.serial = k.serial "
        " WHERE k.order_id = o.id AND k.status = 'accepted' "
        " AND b.status IN (%s)) AS dispensed "
        "FROM orders o JOIN clients c ON c.id = o.client_id WHERE o.id = ?"
        % ",".join("?" * len(DISPENSED_STATUSES)),
        [*DISPENSED_STATUSES, order_id]).fetchone()
    if row is None:
        return None
    order = dict(row)
    order["dispensed"] = bool(order["dispensed"])
    return order


def require_order(db, order_id):
    order = get_order(db, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


# The name pages give the associate a gun's event names (staff row `s`,
# joined on the row's staff_id): their full name, else their username.
STAFF_NAME = "coalesce(nullif(s.name, ''), s.username)"


def order_lines(db, order_id):
    """Lines with product name and how many bottles are picked so far."""
    return [dict(r) for r in db.execute(
        "SELECT l.id, l.sku, p.name, p.grams, l.qty, l.price_cents, "
        + PICKED_COUNT + " AS picked "
        "FROM order_lines l JOIN products p ON p.sku = l.sku "
        "WHERE l.order_id = ? ORDER BY l.id", [order_id])]


def order_picks(db, order_id):
    """Every pick recorded for the order, newest first, reset ones too.
    staff_id and staff_name: who was signed in on the gun (None when
    nobody was: the gun alone is known)."""
    return [dict(r) for r in db.execute(
        "SELECT k.id, k.serial, k.sku, k.lot_id, k.device_id, k.status, "
        " k.reason, k.scanned_at, k.recorded_at, t.expires_on, "
        " k.staff_id, " + STAFF_NAME + " AS staff_name "
        "FROM picks k LEFT JOIN lots t ON t.id = k.lot_id "
        "LEFT JOIN staff s ON s.id = k.staff_id "
        "WHERE k.order_id = ? ORDER BY k.id DESC", [order_id])]


def order_notes(db, order_id):
    return [dict(r) for r in db.execute(
        "SELECT id, text, author, created_at, severity FROM notes "
        "WHERE order_id = ? ORDER BY id", [order_id])]


def order_history(db, order_id):
    """Newest first.  A gun's rows (actor: the gun) carry staff_id and
    staff_name when an associate was signed in on it."""
    return [dict(r) for r in db.execute(
        "SELECT h.action, h.from_status, h.to_status, h.actor, h.at, "
        " h.detail, h.staff_id, " + STAFF_NAME + " AS staff_name "
        "FROM order_history h LEFT JOIN staff s ON s.id = h.staff_id "
        "WHERE h.order_id = ? ORDER BY h.id DESC", [order_id])]


def fully_picked(lines):
    """Every line has its bottles; an order without lines has nothing
    picked, so it is not."""
    return bool(lines) and all(line["picked"] >= line["qty"]
                               for line in lines)


# Actions that make no sense for an order without items: there is
# nothing to verify, pay for, pick or ship.
NEEDS_ITEMS = ("verify", "take_payment", "confirm_payment", "pick", "ship")
ADD_AN_ITEM = "Add an item first"


def not_ready(status, lines):
    """{action: what it waits for} for the actions `status` allows that an
    order with `lines` is not ready for.  The one rule apply_action
    enforces and the pages show (a disabled button with the reason)."""
    if lines:
        return {}
    return {a: ADD_AN_ITEM for a in NEEDS_ITEMS if states.can(status, a)}


# Which after-shipping record each records table holds (server.orders.records).
_RECORD_TABLES = {"add_complaint": "complaints",
                  "record_destruction": "destructions",
                  "return_grams": "returned_grams"}


def recorded(db, order_id):
    """The after-shipping record actions the order holds records of."""
    return {action for action, table in _RECORD_TABLES.items()
            if db.execute("SELECT 1 FROM %s WHERE order_id = ? LIMIT 1"
                          % table, [order_id]).fetchone()}


def refund_of(db, order_id):
    """The order's refund from its history, or None: {"by", "at",
    "reason", "amount_cents"}.  The amount is the one the refund recorded;
    refunds recorded before amounts were kept refunded the total paid."""
    row = db.execute(
        "SELECT h.actor, h.at, h.detail, o.total_cents FROM order_history h "
        "JOIN orders o ON o.id = h.order_id WHERE h.order_id = ? "
        "AND h.action = 'refund' ORDER BY h.id DESC LIMIT 1",
        [order_id]).fetchone()
    if row is None:
        return None
    detail = row["detail"] or ""
    amount = _REFUNDED.match(detail)
    reason = None
    if REASON in detail:
        # The reason closes the detail (apply_action writes it last);
        # older rows went on with the bottles returned to stock.
        reason = _RELEASED_TAIL.sub("", detail.split(REASON, 1)[1])
    return {"by": row["actor"], "at": row["at"], "reason": reason or None,
            "amount_cents": _cents(amount.group(1)) if amount
            else row["total_cents"] or 0}


# Sort keys offered on the Orders dashboard (server.orders.dashboard): by
# creation date by default, or by order ID or status; each value says its
# default direction.
SORTS = {name: direction for name, (_, direction)
         in dashboard.SORTS.items()}


def list_orders(db, status=None, search=None, sort="created", archived=False,
                show=None, direction=None, limit=None, after=None):
    """Orders for the dashboard and GET /api/orders, as dicts (id, status,
    client_id, client_name, created_at, shipped_at, carrier, total_cents,
    archived, verified, grams, units...).

    archived: False (active only), True (archived only) or None (both);
    show: a dashboard filter ("active", "unverified", "archived") instead.
    search matches client name, order id, tracking number and bottle
    serials (full-text; at most order_search.SEARCH_CAP matches).  sort:
    a SORTS key, direction "asc"/"desc" (the sort's default otherwise).
    limit: at most that many rows, the ones after the `after` cursor
    (dashboard.encode_cursor of the last row of the previous call)."""
    if show is None:
        show = {False: "active", True: "archived"}.get(archived)
    args = {"show": show or "", "status": status or "",
            "q": search or "", "sort": sort or "created",
            "dir": direction or "", "after": after or ""}
    query = dashboard.parse(args)
    if show is None:
        query.show = None
    query.limit = limit
    return dashboard.fetch(db, query).rows


def order_detail(db, order_id):
    """Everything the order page and GET /api/orders/<id> show."""
    order = require_order(db, order_id)
    lines = order_lines(db, order_id)
    client = db.execute("SELECT id, name, dob, email, phone, address, "
                        "ship_name, ship_address, registration_number "
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
        "actions": [a.name for a in states.order_actions(order)],
        "not_ready": not_ready(order["status"], lines),
        "tabs": states.order_tabs(order, recorded(db, order_id)),
        "refund": refund_of(db, order_id),
    }


def _cents(text):
    return round(float(text.replace(",", "")) * 100)


# How history details word a refund and a reason (orders.actions writes
# them), and read them back (refund_of).
REFUNDED_TEXT = "Refunded %s"
_REFUNDED = re.compile(r"Refunded \$([0-9,]+\.[0-9]{2})\b")
REASON = "Reason: "
_RELEASED_TAIL = re.compile(r"; [0-9]+ picked bottle\(s\) returned to "
                            r"inventory$")
