"""Lots: the Lots page's list, a lot's status and its append-only
history, and the flags of bottles picked from a lot no longer good.

A lot is 'released' (the default: its bottles may be picked), 'on_hold'
(nothing leaves until a supervisor releases it or recalls it) or
'recalled' (final: a recalled lot never goes back to stock; a lot
recalled by mistake is a new lot, relabelled, with its own record).
TRANSITIONS is the one place that says which change each status allows.
Every change needs a reason and writes one lot_history row (who, when,
from, to, why) in the same transaction; the schema refuses any update
or delete of that table (m021).  Whether a bottle of a lot may be picked
today (held, recalled, expired) is server.orders.lot_checks'."""
import datetime

from server.core import fields
from server.core.db import now, transaction
from server.core.errors import ActionRefused, BadInput
from server.core.history import bump_rev
from server.core.wording import counted
from server.orders import states
from server.orders.lot_checks import lot_refusal

RELEASED, ON_HOLD, RECALLED = "released", "on_hold", "recalled"
STATUS_LABELS = {RELEASED: "Released", ON_HOLD: "On hold",
                 RECALLED: "Recalled"}

# action: (label, statuses it applies to, status it leads to)
TRANSITIONS = {
    "hold": ("Put on Hold", (RELEASED,), ON_HOLD),
    "recall": ("Recall", (RELEASED, ON_HOLD), RECALLED),
    "release": ("Release", (ON_HOLD,), RELEASED),
}
REASON_MAX = 500

# How a refused lot reads in a flag ("2 bottles of lot L2311A, on hold").
REFUSAL_WORDS = {"lot_on_hold": "on hold", "lot_recalled": "recalled",
                 "expired": "expired"}

# The Lots page's counts: which bottle statuses each column adds up.
IN_STOCK, PICKED = ("in_stock",), ("picked",)
SHIPPED = states.DISPENSED_STATUSES          # left with an order
RETURNED = ("returned", "destroyed")         # ... and came back


class LotNotFound(LookupError):
    def __init__(self, lot_id):
        super().__init__("Lot %s not found" % fields.shown(lot_id))
        self.lot_id = lot_id


def today():
    return datetime.date.today().isoformat()


def actions_for(status):
    """[(action, label)] the lot's status allows, in TRANSITIONS order."""
    return [(name, label) for name, (label, allowed, _to)
            in TRANSITIONS.items() if status in allowed]


# ------------------------------------------------------------------ reads
_COUNTS = ", ".join(
    "(SELECT count(*) FROM bottles b WHERE b.lot_id = t.id AND b.status "
    "IN (%s)) AS %s" % (",".join("'%s'" % s for s in statuses), name)
    for name, statuses in (("in_stock", IN_STOCK), ("picked", PICKED),
                           ("shipped", SHIPPED), ("returned", RETURNED)))


def list_lots(db, status=None, sku=None, on=None):
    """Every lot, soonest expiry first, with its product, its counts of
    bottles (in_stock, picked, shipped, returned) and "refusal" (why no
    bottle of it may be picked on `on`, None if it may).  `status` and
    `sku` filter (None: all)."""
    on = on or today()
    where, args = [], []
    if status:
        where.append("t.status = ?")
        args.append(fields.choice(status, STATUS_LABELS, "Status"))
    if sku:
        where.append("t.sku = ?")
        args.append(sku)
    rows = db.execute(
        "SELECT t.id, t.sku, p.name AS product, t.packaged_on, t.expires_on, "
        "t.status, " + _COUNTS + " FROM lots t "
        "LEFT JOIN products p ON p.sku = t.sku " +
        ("WHERE " + " AND ".join(where) if where else "") +
        " ORDER BY t.expires_on, t.id", args)
    return [_with_refusal(db, dict(r), on) for r in rows]


def _with_refusal(db, lot, on):
    lot["status_label"] = STATUS_LABELS.get(lot["status"], lot["status"])
    refusal = lot_refusal(db, lot["id"], on)
    lot["refusal"] = refusal
    lot["refusal_label"] = REFUSAL_WORDS.get(refusal) if refusal else None
    return lot


def get_lot(db, lot_id, on=None):
    """The lot with its counts, history (oldest first) and the actions
    its status allows.  Raises LotNotFound."""
    row = db.execute(
        "SELECT t.id, t.sku, p.name AS product, t.packaged_on, t.expires_on, "
        "t.status, " + _COUNTS + " FROM lots t "
        "LEFT JOIN products p ON p.sku = t.sku WHERE t.id = ?",
        [lot_id]).fetchone()
    if row is None:
        raise LotNotFound(lot_id)
    lot = _with_refusal(db, dict(row), on or today())
    lot["history"] = lot_history(db, lot_id)
    lot["actions"] = actions_for(lot["status"])
    return lot


def lot_history(db, lot_id):
    return [dict(r) for r in db.execute(
        "SELECT id, from_status, to_status, reason, actor, at "
        "FROM lot_history WHERE lot_id = ? ORDER BY id", [lot_id])]


def products(db):
    """[(sku, name)] for the Lots page's product filter."""
    return [(r[0], r[1]) for r in db.execute(
        "SELECT DISTINCT t.sku, p.name FROM lots t "
        "LEFT JOIN products p ON p.sku = t.sku ORDER BY p.name, t.sku")]


# ------------------------------------------------------------ the changes
def change_status(db, lot_id, action, reason, actor):
    """Put the lot on hold, recall it or release it, with `reason`:
    one status change and one history row, or (BadInput, ActionRefused,
    LotNotFound) nothing at all.  Returns the lot's new status."""
    if action not in TRANSITIONS:
        raise BadInput("Unknown lot action %s (use %s)" % (
            fields.shown(action), ", ".join(TRANSITIONS)))
    label, allowed, target = TRANSITIONS[action]
    reason = fields.text(reason, "Reason", REASON_MAX)
    with transaction(db):
        row = db.execute("SELECT status, sku FROM lots WHERE id = ?",
                         [lot_id]).fetchone()
        if row is None:
            raise LotNotFound(lot_id)
        before = row["status"]
        if before not in allowed:
            raise ActionRefused(_refusal_text(lot_id, action, before))
        db.execute("UPDATE lots SET status = ? WHERE id = ?",
                   [target, lot_id])
        db.execute(
            "INSERT INTO lot_history (lot_id, from_status, to_status, "
            "reason, actor, at) VALUES (?, ?, ?, ?, ?, ?)",
            [lot_id, before, target, reason, actor, now()])
        # The guns' suggested lot of these orders' lines may change
        # (server.gunlink.snapshots): their snapshots go out again.
        for (order_id,) in db.execute(
                "SELECT DISTINCT l.order_id FROM order_lines l "
                "JOIN orders o ON o.id = l.order_id WHERE l.sku = ? "
                "AND o.status IN (%s)" % ",".join(
                    "?" * len(states.FULFILMENT)),
                [row["sku"], *states.FULFILMENT]).fetchall():
            bump_rev(db, order_id)
    return target


def _refusal_text(lot_id, action, status):
    if status == RECALLED:
        return ("Lot %s is recalled: a recall is final, it cannot be %s."
                % (lot_id, {"hold": "put on hold", "release": "released",
                            "recall": "recalled again"}[action]))
    if action == "release":
        return "Lot %s is not on hold: only a lot on hold is released." \
            % lot_id
    return "Lot %s is already %s." % (
        lot_id, STATUS_LABELS.get(status, str(status)).lower())


# ------------------------------------------------------------------ flags
def order_lot_flags(db, order_id, on=None):
    """Bottles picked for the order (not shipped yet) whose lot may no
    longer be picked: [{"lot_id", "refusal", "count", "serials", "text",
    "reason"}], text like "2 bottles of lot L2311A, on hold: reset
    picking", reason (for Reset Picking) like "Lot L2311A on hold"."""
    on = on or today()
    flags = []
    for r in db.execute(
            "SELECT b.lot_id, group_concat(b.serial, ' ') AS serials "
            "FROM picks k JOIN bottles b ON b.serial = k.serial "
            "WHERE k.order_id = ? AND k.status = 'accepted' "
            "AND b.status = 'picked' AND b.order_id = k.order_id "
            "GROUP BY b.lot_id ORDER BY b.lot_id", [order_id]):
        refusal = lot_refusal(db, r["lot_id"], on)
        if refusal is None:
            continue
        serials = sorted(r["serials"].split(" "))
        words = REFUSAL_WORDS.get(refusal, refusal)
        flags.append({
            "lot_id": r["lot_id"], "refusal": refusal,
            "count": len(serials), "serials": serials,
            "text": "%s of lot %s, %s: reset picking" % (
                counted(len(serials), "bottle"), r["lot_id"], words),
            "reason": "Lot %s %s" % (r["lot_id"], words)})
    return flags
