"""The order's audit trail: the one writer of order_history rows, and the
revision the guns follow.  Services call both inside the transaction of
the change they record, so a change and its record land together."""
from server.core.db import now


def record_history(db, order_id, action, before, after, actor, detail=None,
                   at=None):
    """One order_history row: `action` took the order from status `before`
    to `after` (the same when it stays), done by `actor`."""
    db["order_history"].insert({
        "order_id": order_id, "action": action, "from_status": before,
        "to_status": after, "actor": actor or "", "at": at or now(),
        "detail": detail})


# The columns record_many takes, in order.  staff_id: the staff number a
# gun's event carried (wire "by"), None when nobody was signed in.
HISTORY_ROW = ("order_id", "action", "from_status", "to_status", "actor",
               "at", "detail", "staff_id")


def record_many(db, rows):
    """Many order_history rows at once, each a tuple in HISTORY_ROW's
    order: the worker's batches, where one statement for all matters."""
    db.conn.executemany(
        "INSERT INTO order_history (%s) VALUES (%s)" % (
            ", ".join(HISTORY_ROW), ",".join("?" * len(HISTORY_ROW))),
        rows)


def bump_rev(db, order_id):
    """A change a gun must see: the order's snapshot revision goes up, and
    the MQTT worker publishes the order again (server.gunlink.snapshots)."""
    db.execute("UPDATE orders SET rev = rev + 1 WHERE id = ?", [order_id])
