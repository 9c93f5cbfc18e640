"""Picks: the bottles scanned for an order.  The one place that says how
a pick is recorded (the pick row; an accepted one also reserves the
bottle for the order and bumps the order's revision, so guns see it) and
how an order line's accepted picks are counted.

The worker's ingest writes a whole batch at once (one executemany per
table, one revision bump per changed order), so it takes the SQL text
from here (INSERT_PICK, RESERVE_BOTTLE) rather than `record_pick`; the
demo data and the tests call `record_pick`."""
from server.core.history import bump_rev

# How many accepted picks an order line has: an SQL expression for a
# SELECT over order_lines aliased `l`.
PICKED_COUNT = (
    "(SELECT count(*) FROM picks k WHERE k.order_id = l.order_id "
    "AND k.sku = l.sku AND k.status = 'accepted')")

# The columns of a pick row, in the order INSERT_PICK takes them.
# staff_id: who was signed in on the gun (wire "by"), None if nobody.
PICK_ROW = ("order_id", "serial", "sku", "lot_id", "device_id",
            "event_id", "scanned_at", "recorded_at", "status", "reason",
            "staff_id")
INSERT_PICK = "INSERT INTO picks (%s) VALUES (%s)" % (
    ", ".join(PICK_ROW), ",".join("?" * len(PICK_ROW)))

# An accepted pick puts the bottle in the order's bag: (order_id, serial).
RESERVE_BOTTLE = ("UPDATE bottles SET status = 'picked', order_id = ? "
                  "WHERE serial = ?")


def record_pick(db, order_id: int | None, serial: str | None,
                sku: str | None, lot_id: str | None, device: str | None,
                scanned_at: str | None, recorded_at: str,
                status: str = "accepted", reason: str | None = None,
                event_id: int | None = None,
                staff_id: int | None = None) -> None:
    """One scanned bottle, inside the caller's transaction: the pick row;
    if `status` is "accepted", the bottle reserved for the order and the
    order's revision bumped (a rejected scan changes neither)."""
    row = [order_id, serial, sku, lot_id, device, event_id, scanned_at,
           recorded_at, status, reason]
    if staff_id is not None:
        # Only then: demo data seeded on a database before staff_id
        # (migrations' tests do) still records its picks.
        row.append(staff_id)
    db.execute("INSERT INTO picks (%s) VALUES (%s)" % (
        ", ".join(PICK_ROW[:len(row)]), ",".join("?" * len(row))), row)
    if status == "accepted":
        db.execute(RESERVE_BOTTLE, [order_id, serial])
        bump_rev(db, order_id)
