"""A client's 30-day gram allowance, the rule Take Payment and the Client
Portal check an order against.

A prescription allows `allowance_grams` of cannabis per 30-day period.
Used = grams of the client's orders placed, shipped or delivered in the
last 30 days, plus the grams their other orders of the window dispensed
(bottles of a refused or refunded order that had shipped), minus the grams
credited back (returned_grams) for those same orders.  A credit is at most
what its order dispensed and counts in its order's window, so credits
never give back more than left the building in the window.  Remaining =
allowance - used."""
import datetime

from server.clients.profiles import require_client
from server.core.wording import grams
from server.orders import states
from server.orders.states import DISPENSED_STATUSES

WINDOW_DAYS = 30
# Orders that count against the allowance (the window is on placed_at).
USED_STATUSES = (states.PLACED, states.SHIPPED, states.DELIVERED)


def order_grams(db, order_id):
    """Grams of cannabis on an order (cannabis products: qty x grams)."""
    return db.execute(
        "SELECT coalesce(sum(l.qty * p.grams), 0) FROM order_lines l "
        "JOIN products p ON p.sku = l.sku "
        "WHERE l.order_id = ? AND p.cannabis = 1", [order_id]).fetchone()[0]


# Bottles that left the building with an order (DISPENSED_STATUSES): their
# grams were dispensed, whatever the order's status became.
_DISPENSED = (
    "SELECT coalesce(sum(p.grams), 0) FROM picks k "
    "JOIN bottles b ON b.serial = k.serial "
    "JOIN products p ON p.sku = b.sku "
    "WHERE k.status = 'accepted' AND p.cannabis = 1 "
    "AND b.status IN (" + ", ".join("'%s'" % status for status
                                    in DISPENSED_STATUSES) + ") "
    "AND k.order_id %s")


def dispensed_grams(db, order_id):
    """Grams of cannabis the order dispensed: its picked bottles that
    left the building (DISPENSED_STATUSES)."""
    return round(db.execute(_DISPENSED % "= ?", [order_id]).fetchone()[0]
                 or 0, 3)


def lines_grams(db, lines):
    """Grams of cannabis in [(sku, qty)] (unknown SKUs count nothing)."""
    total = 0.0
    for sku, qty in lines:
        row = db.execute("SELECT grams, cannabis FROM products WHERE sku = ?",
                         [sku]).fetchone()
        if row and row["cannabis"]:
            total += qty * (row["grams"] or 0)
    return total


def _window_start(today=None):
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    start = today - datetime.timedelta(days=WINDOW_DAYS - 1)
    return start.isoformat() + " 00:00:00", (
        today + datetime.timedelta(days=1)).isoformat() + " 00:00:00"


def allowance(db, client_id, today=None, exclude_order=None):
    """The client's 30-day allowance as of `today` (a date; default now):
    {allowance, used, ordered, returned, remaining, pending, expired,
    prescription_expires}.  `pending`: grams of orders awaiting payment
    (committed but not yet counted as used), except `exclude_order`."""
    client = require_client(db, client_id)
    start, end = _window_start(today)
    marks = ",".join("?" * len(USED_STATUSES))
    ordered = db.execute(
        "SELECT coalesce(sum(l.qty * p.grams), 0) FROM orders o "
        "JOIN order_lines l ON l.order_id = o.id "
        "JOIN products p ON p.sku = l.sku "
        "WHERE o.client_id = ? AND p.cannabis = 1 AND o.status IN (%s) "
        "AND coalesce(o.placed_at, o.created_at) >= ? "
        "AND coalesce(o.placed_at, o.created_at) < ?" % marks,
        [client_id, *USED_STATUSES, start, end]).fetchone()[0]
    # Orders no longer counted (refused, refunded...) still count what
    # they dispensed.
    others = ("IN (SELECT o.id FROM orders o WHERE o.client_id = ? "
              "AND o.status NOT IN (%s) "
              "AND coalesce(o.placed_at, o.created_at) >= ? "
              "AND coalesce(o.placed_at, o.created_at) < ?)" % marks)
    ordered += db.execute(_DISPENSED % others, [
        client_id, *USED_STATUSES, start, end]).fetchone()[0]
    # A credit gives back grams of its own order, so it counts in the
    # window that order counts in: returning an older order's grams frees
    # nothing in this one.
    returned = db.execute(
        "SELECT coalesce(sum(r.grams), 0) FROM returned_grams r "
        "JOIN orders o ON o.id = r.order_id WHERE o.client_id = ? "
        "AND coalesce(o.placed_at, o.created_at) >= ? "
        "AND coalesce(o.placed_at, o.created_at) < ?",
        [client_id, start, end]).fetchone()[0]
    pending = db.execute(
        "SELECT coalesce(sum(l.qty * p.grams), 0) FROM orders o "
        "JOIN order_lines l ON l.order_id = o.id "
        "JOIN products p ON p.sku = l.sku "
        "WHERE o.client_id = ? AND p.cannabis = 1 AND o.status = ? "
        "AND o.id IS NOT ?",
        [client_id, states.AWAITING_PAYMENT, exclude_order]).fetchone()[0]
    used = max(ordered - returned, 0.0)
    limit = client["allowance_grams"]
    expires = client["prescription_expires"]
    day = (today or datetime.datetime.now(datetime.timezone.utc).date())
    return {
        "allowance": limit,
        "ordered": round(ordered, 3),
        "returned": round(returned, 3),
        "used": round(used, 3),
        "remaining": None if limit is None else round(max(limit - used, 0.0),
                                                      3),
        "pending": round(pending, 3),
        "prescription_expires": expires,
        "expired": bool(expires) and expires < day.isoformat(),
        "window_start": start[:10],
    }


def allowance_problem(db, client_id, grams, today=None, exclude_order=None,
                      also_reserved=0.0):
    """Why `grams` more of cannabis would not fit the client's
    prescription, or None when it fits."""
    if not grams:
        return None
    a = allowance(db, client_id, today, exclude_order)
    if a["allowance"] is None:
        return "The client has no prescription on file (no gram allowance)."
    if a["expired"]:
        return "The client's prescription expired on %s." % (
            a["prescription_expires"])
    free = a["remaining"] - a["pending"] - also_reserved
    if grams > free + 1e-9:
        parts = "%s g used in the last %d days" % (_g(a["used"]),
                                                   WINDOW_DAYS)
        if a["pending"]:
            parts += ", %s g awaiting payment" % _g(a["pending"])
        if also_reserved:
            parts += ", %s g on open recurring orders" % _g(also_reserved)
        return ("%s g of cannabis exceeds the client's remaining allowance: "
                "%s g of %s g per %d days left (%s)." % (
                    _g(grams), _g(max(free, 0)), _g(a["allowance"]),
                    WINDOW_DAYS, parts))
    return None


def _g(value):
    return grams(value, 1)
