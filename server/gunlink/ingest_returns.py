"""Bottles scanned back in at the returns bench (`ret` events), for
server.gunlink.ingest: read what judging them needs for a whole batch at
once, judge each in the order docs/protocol.md gives (Rejection reasons),
and stage the rows an accepted or refused return writes.

An accepted return does what the Order Menu's Return Bottles does to that
one bottle (server.orders.effects.RETURN_BOTTLE: back to the order's
returned stock, quarantined for destruction or restock), records it in
gun_returns (the gun, its event, who was signed in), writes an
order_history row and bumps the order's revision, so its snapshot goes
out again.  Like the web form, it credits no grams: a Returned Grams
record does that, by hand (docs/back-office.md).  A refused return is
recorded in gun_returns with its reason, and acked like a refused pick."""
from server.orders import states as order_states
from server.orders.effects import RETURN_BOTTLE

CHUNK = 500            # values per "IN (...)" query

INSERT_RETURN = (
    "INSERT INTO gun_returns (order_id, serial, device_id, event_id, "
    "staff_id, scanned_at, recorded_at, status, reason) "
    "VALUES (?,?,?,?,?,?,?,?,?)")


class Returns:
    """What a batch knows of returns: read up front, then kept up to date
    as the batch accepts returns, so later events of it see them."""

    def __init__(self, sql):
        self.sql = sql
        self.loaded = set()        # serials read
        self.picked_on = set()     # (order id, serial) of accepted picks
        self.returned = set()      # (order id, serial) accepted returns

    def load(self, serials):
        missing = sorted({s for s in serials if s not in self.loaded})
        for i in range(0, len(missing), CHUNK):
            chunk = missing[i:i + CHUNK]
            marks = ",".join("?" * len(chunk))
            self.picked_on.update((r[0], r[1]) for r in self.sql(
                "SELECT order_id, serial FROM picks WHERE status = "
                "'accepted' AND serial IN (%s)" % marks, chunk))
            self.returned.update((r[0], r[1]) for r in self.sql(
                "SELECT order_id, serial FROM gun_returns WHERE status = "
                "'accepted' AND serial IN (%s)" % marks, chunk))
            self.loaded.update(chunk)

    def judge(self, order_status, order_id, bottle, row):
        """None if the return is accepted, else why not.  order_status:
        the order's (None: no such order); row: the bottle's, as the
        batch has it (None: no such bottle)."""
        serial, sku, lot = bottle
        if order_status is None:
            return "unknown_order"
        if not order_states.can(order_status, "return_bottles"):
            return "not_returnable"
        if row is None:
            return "unknown_bottle"
        if row["sku"] != sku or row["lot_id"] != lot:
            return "lot_mismatch"
        if (order_id, serial) not in self.picked_on:
            return "not_on_order"
        if (order_id, serial) in self.returned or row["status"] != "shipped":
            return "duplicate"         # back already (at a gun or the web)
        return None

    def stage(self, rows, event_id, e, reason, order_status, scanned_at,
              recorded_at):
        """The rows of return event `e` (judged: `reason`), into `rows`
        ("returns", "returned", "history"); True if it changed the
        order."""
        serial = e.bottle[0] if e.bottle else None   # a bad code: None
        rows["returns"].append((
            e.order if order_status else None, serial, e.device, event_id,
            e.by, scanned_at, recorded_at,
            "rejected" if reason else "accepted", reason))
        if reason:
            return False
        rows["returned"].append((serial,))
        rows["history"].append((
            e.order, "return_bottles", order_status, order_status, e.device,
            recorded_at, "bottle %s returned at the gun" % serial, e.by))
        self.returned.add((e.order, serial))
        return True


def write(many, rows):
    many(INSERT_RETURN, rows["returns"])
    many(RETURN_BOTTLE, rows["returned"])
