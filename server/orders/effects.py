"""What each Order Menu action does to an order, and says it will do
before the CSR does it (effect_text).

An effect is (db, order, actor, form) -> Done.  It runs inside the
runner's transaction (server.orders.actions), after the status check; the
runner moves the status, writes the history row and bumps the revision.
An effect raises BadInput or ActionRefused before it writes anything."""
from server.core import fields
from server.core.db import now
from server.core.errors import ActionRefused, BadInput
from server.core.wording import counted, money
from server.orders import states
from server.orders.items import CARRIER_MAX, NOTE_MAX, TRACKING_MAX
from server.orders.queries import REFUNDED_TEXT, order_lines

DETAIL_MAX = 200


class Done:
    """What an effect did.  message: what the page says (None: the
    runner's default); detail: the history row's detail; gun_visible:
    whether guns must see the change (the revision goes up); status: where
    the order goes when the effect decides it (Take Payment), else the
    state machine's target; result: what the caller gets back (a record,
    a PDF...); deleted: the order is gone (no history row)."""
    __slots__ = ("message", "detail", "gun_visible", "status", "result",
                 "deleted")

    def __init__(self, message=None, detail=None, gun_visible=False,
                 status=None, result=None, deleted=False):
        self.message = message
        self.detail = detail
        self.gun_visible = gun_visible
        self.status = status
        self.result = result
        self.deleted = deleted


def releases_picks(before, after):
    # Bottles picked for an order that will now never ship are still on
    # the shelf: put them back in stock instead of leaving them reserved.
    return states.awaiting_fulfilment(before) and after != states.SHIPPED \
        and not states.awaiting_fulfilment(after)


def _picked_serials(db, order_id, bottle_status=None):
    """Serials of the order's accepted picks, optionally only those whose
    bottle is in `bottle_status` ('picked', 'shipped'...)."""
    cond = "" if bottle_status is None else " AND b.status = ?"
    args = [order_id] + ([] if bottle_status is None else [bottle_status])
    return [r["serial"] for r in db.execute(
        "SELECT k.serial FROM picks k JOIN bottles b ON b.serial = k.serial "
        "WHERE k.order_id = ? AND k.status = 'accepted'" + cond, args)]


def release_picks(db, order_id, bottle_status=None):
    """Mark accepted picks 'reset' and return their bottles to stock.
    bottle_status limits it to bottles in that status.  Returns count."""
    serials = _picked_serials(db, order_id, bottle_status)
    for serial in serials:
        db.execute("UPDATE picks SET status = 'reset' WHERE serial = ? "
                   "AND order_id = ? AND status = 'accepted'",
                   [serial, order_id])
        db.execute("UPDATE bottles SET status = 'in_stock', order_id = NULL "
                   "WHERE serial = ?", [serial])
    return len(serials)


# ------------------------------------------------------------ effects
def _unshippable(lines):
    """Why an order with these lines cannot ship yet, or None."""
    short = ["%s (%d of %d)" % (line["sku"], line["picked"], line["qty"])
             for line in lines if line["picked"] < line["qty"]]
    if short:
        return "not every line is fully picked: " + ", ".join(short)
    over = [line["sku"] for line in lines if line["picked"] > line["qty"]]
    if over:
        return ("more bottles picked than ordered for %s; use %s"
                % (", ".join(over), states.label("reset_picking")))
    return None


def _ship(db, order, actor, params):
    lines = order_lines(db, order["id"])
    problem = _unshippable(lines)
    if problem:
        raise ActionRefused("Cannot ship: %s." % problem)
    # Shipping records carrier, tracking and date; the carrier defaults
    # to the one chosen with the shipping rate.
    carrier = fields.optional_text(params.get("carrier"), "Carrier",
                                   CARRIER_MAX) or order["carrier"]
    tracking = fields.optional_text(params.get("tracking"), "Tracking number",
                         TRACKING_MAX) or order["tracking"]
    changes = {"shipped_at": now(), "carrier": carrier, "tracking": tracking}
    db["orders"].update(order["id"], changes)
    db.execute("UPDATE bottles SET status = 'shipped' WHERE serial IN "
               "(SELECT serial FROM picks WHERE order_id = ? "
               " AND status = 'accepted')", [order["id"]])
    units = sum(line["qty"] for line in lines)
    detail = counted(units, "bottle")
    if carrier:
        detail += ", " + carrier + (" " + tracking if tracking else "")
    return Done("Order shipped (%s)." % counted(units, "bottle"), detail,
                True)


def _mark_delivered(db, order, actor, params):
    db["orders"].update(order["id"], {"delivered_at": now()})
    return Done(gun_visible=True)


def _reset_picking(db, order, actor, params):
    count = release_picks(db, order["id"])
    bottles = counted(count, "bottle")
    return Done("Picking reset: %s returned to inventory." % bottles,
                "%s returned to inventory" % bottles, True)


# Returning a bottle, the one rule for the Order Menu's Return Bottles
# and a bottle scanned back in at the gun (server.gunlink.ingest_returns,
# which runs it for a batch at once): a shipped bottle becomes 'returned'
# and waits in quarantine for a destruction or restock decision; it is
# not sellable stock yet.  Grams are not credited by it: that is the
# Returned Grams record's (server.orders.returned_grams), as before.
# Takes (serial,).
RETURN_BOTTLE = ("UPDATE bottles SET status = 'returned' "
                 "WHERE serial = ? AND status = 'shipped'")


def return_bottle(db, serial):
    """Return one shipped bottle to quarantine; True if it was shipped."""
    return db.execute(RETURN_BOTTLE, [serial]).rowcount == 1


def _return_bottles(db, order, actor, params):
    count = sum(return_bottle(db, serial) for serial in
                _picked_serials(db, order["id"], "shipped"))
    bottles = counted(count, "bottle")
    return Done("%s marked returned." % bottles, "%s returned" % bottles)


def _refund(db, order, actor, params):
    # The whole payment goes back; the history keeps the amount, which
    # the Payment section shows (refund_of).
    paid = order["total_cents"] or 0
    method = states.PAYMENT_METHODS.get(order["payment_method"])
    return Done("Refunded %s to the client: the order is now %s." % (
        money(paid), states.STATUS_LABELS[states.REFUNDED]),
        REFUNDED_TEXT % money(paid) + (" by " + method.lower()
                                       if method else ""), True)


def _archive(db, order, actor, params):
    archived = 0 if order["archived"] else 1
    db["orders"].update(order["id"], {"archived": archived})
    word = "archived" if archived else "unarchived"
    message = ("Order #%d archived: the dashboard lists it under Archived."
               if archived else "Order #%d unarchived: the dashboard lists "
               "it among active orders again.") % order["id"]
    return Done(message, word)


def _delete(db, order, actor, params):
    order_id = order["id"]
    if _has_documents(db, order_id):
        # Uploaded records are kept: cancel the order instead.
        raise ActionRefused("Cannot delete: the order has uploaded "
                            "documents; cancel it instead.")
    for table in ("picks", "notes", "order_lines", "order_history"):
        db.execute("DELETE FROM %s WHERE order_id = ?" % table, [order_id])
    db.execute("UPDATE bottles SET order_id = NULL WHERE order_id = ?",
               [order_id])
    db.execute("DELETE FROM orders WHERE id = ?", [order_id])
    return Done("Order #%d deleted." % order_id, deleted=True)


def _has_documents(db, order_id):
    return db.execute("SELECT 1 FROM documents WHERE order_id = ?",
                      [order_id]).fetchone() is not None


def record_only(db, order, actor, params):
    # Labels and documents are produced outside Pickgun; the order keeps a
    # record of every request (a reprint with no record is a known gap).
    detail = fields.optional_text(params.get("detail"), "Detail", DETAIL_MAX)
    return Done(detail=detail)


def add_note(db, order, actor, params):
    """A note for the guns to show: "ack" (the associate must acknowledge
    it before picking, the default) or "info" (shown, nothing to
    acknowledge)."""
    text, severity = note_fields(params.get("text"), params.get("severity"))
    note_id = db["notes"].insert({
        "order_id": order["id"], "text": text, "author": actor or "",
        "severity": severity, "created_at": now()}).last_pk
    return Done("Note added.", ("[info] " if severity == "info" else "")
                + text[:80], True, result={"note_id": note_id})


def note_fields(text, severity):
    """(text, severity) of a note, checked."""
    text = fields.text(text, "Note", NOTE_MAX)
    if severity is None:
        severity = "ack"
    if severity not in ("ack", "info"):
        raise BadInput("Note severity must be 'ack' (must acknowledge) or "
                       "'info' (information)")
    return text, severity


EFFECTS = {
    "ship": _ship,
    "mark_delivered": _mark_delivered,
    "reset_picking": _reset_picking,
    "return_bottles": _return_bottles,
    "refund": _refund,
    "archive": _archive,
    "delete": _delete,
}


# -------------------------------------------------------- before acting
def effect_text(db, order, action):
    """What `action` will do to `order`, in a sentence or two, for a page
    to say before the CSR does it.  It asks the rules the effects above
    follow (releases_picks, _unshippable, _has_documents...), so the page
    says what the action does.  IllegalAction if the status does not
    allow it."""
    before = order["status"]
    after = states.target(before, action)
    order_id = order["id"]
    said = []
    if after != before:
        said.append("The order moves to %s." % states.STATUS_LABELS[after])
    if action == "ship":
        problem = _unshippable(order_lines(db, order_id))
        if problem:
            said.append("It cannot ship yet: %s." % problem)
        else:
            count = len(_picked_serials(db, order_id))
            said.append("Its %s %s recorded as shipped, with the carrier, "
                        "the tracking number and today's date." % (
                            _bottles(count), "is" if count == 1 else "are"))
    elif action in ("refuse", "cancel", "refund"):
        if releases_picks(before, after):
            count = len(_picked_serials(db, order_id, "picked"))
            said.append("Its %s go%s back to inventory." % (
                _bottles(count, "picked"), "es" if count == 1 else "")
                if count else "No bottle has been picked for it: stock "
                "does not change.")
        elif before == states.SHIPPED:
            count = len(_picked_serials(db, order_id))
            said.append("Its %s stay%s recorded as shipped." % (
                _bottles(count, "shipped"), "s" if count == 1 else ""))
        if action == "refund":
            said.append("Pickgun records that the order's %s goes back "
                        "to the client; it moves no money itself." % money(
                            order["total_cents"]))
    elif action == "reset_picking":
        count = len(_picked_serials(db, order_id))
        shipped = len(_picked_serials(db, order_id, "shipped"))
        if not count:
            said.append("No bottle is picked for it: only the order history "
                        "records the reset.")
        else:
            said.append("Every bottle picked for it (%d%s) goes back to "
                        "inventory as in stock; the order stays %s%s." % (
                            count, ", %d of them shipped" % shipped
                            if shipped else "", states.STATUS_LABELS[before],
                            ", to be picked again"
                            if states.awaiting_fulfilment(before) else ""))
    elif action == "return_bottles":
        count = len(_picked_serials(db, order_id, "shipped"))
        said.append("Its %s %s marked returned and wait%s in quarantine for "
                    "destruction or restocking; the order stays %s." % (
                        _bottles(count, "shipped"),
                        "is" if count == 1 else "are",
                        "s" if count == 1 else "",
                        states.STATUS_LABELS[before]) if count else
                    "No bottle of this order is recorded as shipped: none "
                    "will be marked returned.")
    elif action == "delete":
        if _has_documents(db, order_id):
            said.append("It has uploaded documents, so it cannot be "
                        "deleted: cancel it instead.")
        else:
            said.append("Order #%d, its items, notes and history are "
                        "removed for good. This cannot be undone." % order_id)
    if not said:
        said.append("%s is recorded in the order history." % states.label(
            action, order))
    return " ".join(said)


def _bottles(count, kind=""):
    return "%d %sbottle%s" % (count, kind + " " if kind else "",
                              "" if count == 1 else "s")
