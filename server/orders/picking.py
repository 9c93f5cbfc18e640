"""The picking list: every order awaiting fulfilment, with the bottles to
fetch for each unfilled line.

Suggestions follow FEFO (first expiring, first out): in-stock bottles of
the lot that expires first, never of a lot on hold, recalled or expired
(server.orders.lot_checks).  good_lots() is that rule, for this list and
for the lot a gun's snapshot names (server.gunlink.snapshots).  One
bottle is suggested to one order only, oldest order first, so two
associates working from the same list do not walk to the same bottle."""
import datetime

from server.orders import states
from server.orders.lot_checks import lot_refusal
from server.orders.lots import order_lot_flags
from server.orders.queries import order_lines
from server.orders.queries import order_notes


# The picking list's order: oldest placed first (server.fleet.holds deals
# the guns' offline shares in the same order).
PICKING_ORDER = "COALESCE(o.placed_at, o.created_at), o.id"


def picking_order_ids(db):
    """Ids of the orders awaiting fulfilment, in the picking list's order."""
    wanted = list(states.FULFILMENT)
    return [r[0] for r in db.execute(
        "SELECT o.id FROM orders o WHERE o.status IN (%s) ORDER BY %s"
        % (",".join("?" * len(wanted)), PICKING_ORDER), wanted)]


# First expiring, first out: the order lots are picked from.
FEFO = "t.expires_on, t.packaged_on, t.id"


def good_lots(db, sku, today):
    """Ids of the lots of `sku` with a bottle in stock that may be picked
    on `today`, first expiring first."""
    return [r[0] for r in db.execute(
        "SELECT t.id FROM lots t WHERE t.sku = ? AND EXISTS ("
        " SELECT 1 FROM bottles b WHERE b.lot_id = t.id "
        " AND b.status = 'in_stock') ORDER BY " + FEFO, [sku])
        if lot_refusal(db, r[0], today) is None]


def suggested_lot(db, sku, today):
    """The lot to pick `sku` from now (good_lots' first), or None."""
    lots = good_lots(db, sku, today)
    return lots[0] if lots else None


def picking_list(db, today=None):
    """[{"order", "lines", "notes", "lot_flags"}] oldest placed first
    (lot_flags: server.orders.lots.order_lot_flags); each line has
    "missing" (bottles still to pick), "suggested" (bottle dicts with
    serial, lot_id, expires_on) and "short" (how many stock cannot cover)."""
    today = today or datetime.date.today().isoformat()
    wanted = list(states.FULFILMENT)
    if not wanted:
        return []
    rows = db.execute(
        "SELECT o.id, o.status, o.archived, o.placed_at, o.carrier, "
        " c.name AS client_name FROM orders o "
        "JOIN clients c ON c.id = o.client_id WHERE o.status IN (%s) "
        "ORDER BY %s" % (",".join("?" * len(wanted)), PICKING_ORDER),
        wanted)
    stock = _Stock(db, today)
    out = []
    for row in [dict(r) for r in rows]:
        lines = order_lines(db, row["id"])
        for line in lines:
            line["missing"] = max(line["qty"] - line["picked"], 0)
            line["suggested"] = stock.take(line["sku"], line["missing"])
            line["short"] = line["missing"] - len(line["suggested"])
        out.append({"order": row, "lines": lines,
                    "notes": order_notes(db, row["id"]),
                    "lot_flags": order_lot_flags(db, row["id"], today)})
    return out


class _Stock:
    """In-stock bottles of good lots per SKU in FEFO order, handed out
    once."""

    def __init__(self, db, today):
        self.db = db
        self.today = today
        self.queues = {}

    def take(self, sku, count):
        if sku not in self.queues:
            queue = []
            for lot_id in good_lots(self.db, sku, self.today):
                queue += [dict(r) for r in self.db.execute(
                    "SELECT b.serial, b.lot_id, t.expires_on FROM bottles b "
                    "JOIN lots t ON t.id = b.lot_id WHERE b.lot_id = ? "
                    "AND b.status = 'in_stock' AND b.sku = ? "
                    "ORDER BY b.serial", [lot_id, sku])]
            self.queues[sku] = queue
        queue = self.queues[sku]
        taken, self.queues[sku] = queue[:count], queue[count:]
        return taken
