"""Order snapshots for the guns.  Every change a gun must see (a pick, a
note, picking reset, a status change) bumps orders.rev inside the same
transaction; the MQTT worker publishes each order whose rev is ahead of
published_rev.  The database is the outbox, so no change is lost if the
worker or the broker is down when it happens."""
import time

from server import order_states
from server.db import now
from shared import wire

_FULFILMENT = [s for s in order_states.STATUSES
               if order_states.awaiting_fulfilment(s)]


def bump_rev(db, order_id):
    db.execute("UPDATE orders SET rev = rev + 1 WHERE id = ?", [order_id])


def order_snapshot(db, order_id):
    """The retained snapshot payload (a dict) for one order, or None."""
    order = db.execute(
        "SELECT o.id, o.rev, o.status, c.name AS client FROM orders o "
        "JOIN clients c ON c.id = o.client_id WHERE o.id = ?",
        [order_id]).fetchone()
    if order is None:
        return None
    lines = [
        {"sku": r["sku"], "name": r["name"], "qty": r["qty"], "got": r["got"]}
        for r in db.execute(
            "SELECT l.sku, p.name, l.qty, (SELECT count(*) FROM picks k "
            " WHERE k.order_id = l.order_id AND k.sku = l.sku "
            " AND k.status = 'accepted') AS got "
            "FROM order_lines l JOIN products p ON p.sku = l.sku "
            "WHERE l.order_id = ? ORDER BY l.id", [order_id])
    ]
    # notes.severity 'info' -> an information note ("s": "i"); 'ack',
    # NULL or anything else -> must-acknowledge (no "s", as before).
    notes = [wire.note(r["id"], r["text"], r["severity"] == "info")
             for r in db.execute(
                 "SELECT id, text, severity FROM notes WHERE order_id = ? "
                 "ORDER BY id", [order_id])]
    picked = [r["serial"] for r in db.execute(
        "SELECT serial FROM picks WHERE order_id = ? AND status = 'accepted' "
        "ORDER BY id", [order_id])]
    return wire.snapshot(order["id"], order["rev"], order["status"],
                         order["client"], lines, notes, picked)


def unpublished(db, limit=200):
    """Orders whose latest revision has not been published yet."""
    return [r["id"] for r in db.execute(
        "SELECT id FROM orders WHERE rev != published_rev ORDER BY id "
        "LIMIT ?", [limit])]


def mark_published(db, order_id, rev):
    db.execute("UPDATE orders SET published_rev = ?, published_at = ? "
               "WHERE id = ? AND published_rev < ?",
               [rev, now(), order_id, rev])


# A closed order's retained snapshot stays on the broker this long after
# its last change (so a gun that was away for a while still learns the
# order closed), then is cleared: otherwise every gun would receive every
# order ever placed each time it connects.
CLEAR_AFTER_DAYS = 7


def clearable(db, cutoff, limit=200):
    """[(order id, rev)] of orders out of fulfilment whose last snapshot
    was published before `cutoff` (timestamp text) and is still
    retained on the broker."""
    marks = ",".join("?" * len(_FULFILMENT))
    return [(r[0], r[1]) for r in db.execute(
        "SELECT id, rev FROM orders WHERE cleared_rev < rev "
        "AND published_at < ? AND rev = published_rev "
        "AND status NOT IN (%s) ORDER BY published_at LIMIT ?" % marks,
        [cutoff] + _FULFILMENT + [limit])]


def mark_cleared(db, order_id, rev):
    """The broker dropped the retained snapshot of `order_id` at `rev`."""
    db.execute("UPDATE orders SET cleared_rev = ? WHERE id = ? AND rev = ?",
               [rev, order_id, rev])


def clear_cutoff(days=CLEAR_AFTER_DAYS):
    return time.strftime("%Y-%m-%d %H:%M:%S",
                         time.gmtime(time.time() - days * 86400))
