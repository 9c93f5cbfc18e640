"""The Order Profile's records: who acknowledged each note on which gun,
complaints, destruction of bottles and grams credited back to the client.

Writes go through the action runner (server.orders.actions.run): one
write transaction holding the status check (server.orders.states), the
effect and the order_history row.  Complaints, destruction and returned grams
are after-shipping records: order_states offers them only for an order
in an after-shipping status that dispensed something (bottles that left
the building).  A refused request raises before anything is written:
OrderNotFound (404), RecordNotFound (404), BadInput (400), IllegalAction
(NothingDispensed among them) or ActionRefused (409)."""
import datetime

from server.clients import allowance as client_allowance
from server.core import fields
from server.core.db import now
from server.core.errors import ActionRefused, BadInput
from server.core.fields import choice as _choice
from server.core.fields import optional_text as _optional
from server.core.fields import text as _text
from server.core.wording import counted, timestamp
from server.core.wording import grams as fmt_grams
from server.orders import states
from server.orders.actions import run
from server.orders.effects import Done
from server.orders.queries import require_order

TEXT_MAX = 2000
NAME_MAX = 80
LOCATION_MAX = 120
MAX_GRAMS = 100_000.0
MAX_BOTTLES = 500
# A destruction's net weight may exceed the bottles' declared contents by
# this much (scale, residue), never more.
WEIGHT_TOLERANCE = 0.10


class RecordNotFound(LookupError):
    """A complaint (or other record) that is not on this order (404)."""


# ------------------------------------------------------------------ notes
# "ack": the gun stops until the associate acknowledges the note;
# "info": shown on the gun, nothing to acknowledge.
NOTE_SEVERITIES = {
    "ack": "Must acknowledge",
    "info": "Information",
}


def note_acks(db, order_id):
    """{note id: [acknowledgement]} for the order's notes, oldest first.

    An acknowledgement is a gun's accepted notes_ack event for this order
    whose "n" list names the note.  Guns have no sign-in and the event
    carries no user, so the gun is who acknowledged it: device_id and
    device_name, gun_at (the gun's clock, None when it was never set) and
    received_at (when the server recorded it)."""
    acks = {}
    for r in db.execute(
            "SELECT n.id AS note_id, e.id AS event_id, e.device_id, "
            " d.name AS device_name, e.gun_at, e.received_at, e.ep, e.seq "
            "FROM device_events e "
            "JOIN json_each(CASE WHEN json_valid(e.payload) "
            "     THEN e.payload ELSE '{}' END, '$.n') j "
            "JOIN notes n ON n.id = j.value AND n.order_id = e.order_id "
            "LEFT JOIN devices d ON d.id = e.device_id "
            "WHERE e.order_id = ? AND e.kind = 'notes_ack' "
            " AND e.outcome = 'accepted' AND j.type = 'integer' "
            "ORDER BY e.received_at, e.id", [order_id]):
        ack = dict(r)
        ack["gun_at"] = _gun_time(ack["gun_at"])
        acks.setdefault(ack.pop("note_id"), []).append(ack)
    return acks


def order_notes(db, order_id):
    """The order's notes with severity, its label and their acks."""
    acks = note_acks(db, order_id)
    notes = []
    for r in db.execute(
            "SELECT id, order_id, text, author, severity, created_at "
            "FROM notes WHERE order_id = ? ORDER BY id", [order_id]):
        note = dict(r)
        note["severity"] = note["severity"] or "ack"
        note["severity_label"] = NOTE_SEVERITIES.get(note["severity"],
                                                     note["severity"])
        note["acks"] = acks.get(note["id"], [])
        notes.append(note)
    return notes


def _gun_time(at):
    """The gun's clock (seconds since 1970) as stored text, None if unset."""
    if isinstance(at, str):
        return at or None
    try:
        return timestamp(at) \
            if at else None
    except (OverflowError, OSError, ValueError, TypeError):
        return None


# ------------------------------------------------------------- complaints
COMPLAINT_CATEGORIES = {
    "product_quality": "Product quality",
    "adverse_reaction": "Adverse reaction",
    "shipping_damage": "Shipping damage",
    "wrong_item": "Wrong item",
    "billing": "Billing",
    "other": "Other",
}
# Adverse reactions are regulated: the producer must report them (serious
# ones to Health Canada within 15 days), so the pages single them out.
REGULATED_CATEGORIES = frozenset(("adverse_reaction",))


def list_complaints(db, order_id):
    """The order's complaints, newest first (404 for an unknown order)."""
    require_order(db, order_id)
    return [_complaint(r) for r in db.execute(
        "SELECT * FROM complaints WHERE order_id = ? ORDER BY id DESC",
        [order_id])]


def get_complaint(db, order_id, complaint_id):
    row = db.execute("SELECT * FROM complaints WHERE id = ? AND order_id = ?",
                     [complaint_id, order_id]).fetchone()
    if row is None:
        raise RecordNotFound("Complaint %s not found on order %s"
                             % (complaint_id, order_id))
    return _complaint(row)


def _complaint(row):
    c = dict(row)
    c["category_label"] = COMPLAINT_CATEGORIES.get(c["category"],
                                                   c["category"])
    c["regulated"] = c["category"] in REGULATED_CATEGORIES
    return c


def add_complaint(db, order_id, values, actor):
    """Log a complaint: values {category, description, reported_by,
    received_on (YYYY-MM-DD)}.  Returns the complaint (dict)."""
    def effect(db, order, actor, values):
        category = _choice(values.get("category"), COMPLAINT_CATEGORIES,
                           "Category")
        description = _text(values.get("description"), "Description",
                            TEXT_MAX)
        reported_by = _text(values.get("reported_by"), "Reported by",
                            NAME_MAX)
        received_on = _date(values.get("received_on"), "Received on", order)
        complaint_id = db["complaints"].insert({
            "order_id": order_id, "category": category,
            "description": description, "reported_by": reported_by,
            "received_on": received_on, "status": "open",
            "created_by": actor or "", "created_at": now()}).last_pk
        return Done(detail=_short(
            "#%d %s, reported by %s on %s: %s" % (
                complaint_id, COMPLAINT_CATEGORIES[category], reported_by,
                received_on, description)), result=complaint_id)

    done, _, _ = run(db, order_id, "add_complaint", actor, effect, values)
    return get_complaint(db, order_id, done.result)


def resolve_complaint(db, order_id, complaint_id, resolution, actor):
    """Mark an open complaint resolved with how it was resolved."""
    def effect(db, order, actor, form):
        complaint = get_complaint(db, order_id, complaint_id)
        if complaint["status"] == "resolved":
            raise ActionRefused("Complaint #%d is already resolved"
                                % complaint["id"])
        text = _text(resolution, "Resolution", TEXT_MAX)
        db["complaints"].update(complaint["id"], {
            "status": "resolved", "resolution": text,
            "resolved_by": actor or "", "resolved_at": now()})
        return Done(detail=_short("#%d %s: %s" % (
            complaint["id"], complaint["category_label"], text)),
            result=complaint["id"])

    done, _, _ = run(db, order_id, "resolve_complaint", actor, effect,
                     gate="add_complaint")
    return get_complaint(db, order_id, done.result)


# ------------------------------------------------------------ destruction
DESTRUCTION_METHODS = {
    "incineration": "Incineration",
    "grinding_cat_litter": "Grinding, mixed with cat litter",
    "grinding_water_soil": "Grinding, mixed with water and soil",
    "composting": "Composting",
}


def order_bottles(db, order_id):
    """Every bottle picked for the order (accepted picks), with its
    status and, once destroyed, the destruction that recorded it."""
    return [dict(r) for r in db.execute(
        "SELECT b.serial, b.sku, p.name, b.lot_id, b.status, "
        " coalesce(p.grams, 0) AS grams, "
        " (SELECT destruction_id FROM destruction_bottles x "
        "  WHERE x.serial = b.serial AND x.undone = 0) AS destruction_id "
        "FROM picks k JOIN bottles b ON b.serial = k.serial "
        "JOIN products p ON p.sku = b.sku "
        "WHERE k.order_id = ? AND k.status = 'accepted' "
        "ORDER BY b.sku, b.serial", [order_id])]


def destructible_statuses(order_status):
    """Bottle statuses that may be destroyed for an order in this status.

    Returned bottles always.  While the order still allows Return Bottles
    (shipped, delivered), a bottle the client holds must be returned
    first; once the order is refused or refunded, its dispensed (shipped)
    bottles are back with the producer and may be destroyed directly."""
    if not states.can(order_status, "record_destruction"):
        return ()
    if states.can(order_status, "return_bottles"):
        return ("returned",)
    return ("returned", "shipped")


def destructible_bottles(db, order_id, order_status):
    allowed = destructible_statuses(order_status)
    return [b for b in order_bottles(db, order_id) if b["status"] in allowed]


def list_destructions(db, order_id):
    """The order's destructions, newest first, each with its bottles."""
    require_order(db, order_id)
    out = []
    for r in db.execute("SELECT * FROM destructions WHERE order_id = ? "
                        "ORDER BY id DESC", [order_id]):
        d = dict(r)
        d["method_label"] = DESTRUCTION_METHODS.get(d["method"], d["method"])
        d["bottles"] = [dict(b) for b in db.execute(
            "SELECT x.serial, b.sku, b.lot_id, p.name "
            "FROM destruction_bottles x JOIN bottles b ON b.serial = x.serial "
            "JOIN products p ON p.sku = b.sku WHERE x.destruction_id = ? "
            "ORDER BY x.serial", [d["id"]])]
        out.append(d)
    return out


def get_destruction(db, order_id, destruction_id):
    for d in list_destructions(db, order_id):
        if d["id"] == destruction_id:
            return d
    raise RecordNotFound("Destruction %s not found on order %s"
                         % (destruction_id, order_id))


def record_destruction(db, order_id, values, actor):
    """Record the destruction of some of the order's bottles: values
    {serials: [..], net_weight_grams, method, location, destroyed_on
    (YYYY-MM-DD), witness_1, witness_2}.  The bottles become 'destroyed'.
    Returns the destruction (dict, with its bottles)."""
    def effect(db, order, actor, values):
        serials = _serials(values.get("serials"))
        weight = _grams(values.get("net_weight_grams"), "Net weight")
        method = _choice(values.get("method"), DESTRUCTION_METHODS, "Method")
        location = _text(values.get("location"), "Location", LOCATION_MAX)
        destroyed_on = _date(values.get("destroyed_on"), "Destroyed on",
                             order)
        witness_1 = _text(values.get("witness_1"), "Witness 1", NAME_MAX)
        witness_2 = _text(values.get("witness_2"), "Witness 2", NAME_MAX)
        if _same_name(witness_1, witness_2):
            raise BadInput("The two witnesses must be two different people")

        bottles = {b["serial"]: b for b in order_bottles(db, order_id)}
        allowed = destructible_statuses(order["status"])
        unknown = [s for s in serials if s not in bottles]
        if unknown:
            raise BadInput("Not a bottle of this order: " + ", ".join(
                fields.shown(s) for s in unknown[:5]))
        destroyed = [s for s in serials if bottles[s]["status"] == "destroyed"]
        if destroyed:
            raise ActionRefused("Already destroyed: " + ", ".join(destroyed))
        waiting = [s for s in serials if bottles[s]["status"] not in allowed]
        if waiting:
            raise ActionRefused(
                "Only bottles returned to the producer can be destroyed "
                "(use Return Bottles first): %s" % ", ".join(
                    "%s is %s" % (s, bottles[s]["status"]) for s in waiting))
        _check_weight(weight, [bottles[s] for s in serials])

        destruction_id = db["destructions"].insert({
            "order_id": order_id, "destroyed_on": destroyed_on,
            "net_weight_grams": weight, "method": method,
            "location": location, "witness_1": witness_1,
            "witness_2": witness_2, "created_by": actor or "",
            "created_at": now()}).last_pk
        for serial in serials:
            # The unique index on destruction_bottles(serial) and the
            # status condition both stop a second destruction.
            db["destruction_bottles"].insert({
                "destruction_id": destruction_id, "serial": serial,
                "prior_status": bottles[serial]["status"]})
            cur = db.execute(
                "UPDATE bottles SET status = 'destroyed' WHERE serial = ? "
                "AND status = ?", [serial, bottles[serial]["status"]])
            if cur.rowcount != 1:
                raise ActionRefused("Bottle %s changed meanwhile; reload "
                                    "the page" % serial)
        return Done(detail=_short(
            "%s %s, %s g, %s at %s on %s; witnesses %s and %s" % (
                counted(len(serials), "bottle"), ", ".join(serials),
                fmt_grams(weight), DESTRUCTION_METHODS[method], location,
                destroyed_on, witness_1, witness_2)),
            result=destruction_id)

    done, _, _ = run(db, order_id, "record_destruction", actor, effect,
                     values)
    return get_destruction(db, order_id, done.result)


def weight_limit(bottles):
    """The most a destruction of `bottles` may weigh: their declared net
    contents (the product's grams, as its label says) plus
    WEIGHT_TOLERANCE for the scale and packaging residue."""
    declared = sum(b["grams"] or 0 for b in bottles)
    return declared, round(declared * (1 + WEIGHT_TOLERANCE), 3)


def _check_weight(weight, bottles):
    declared, limit = weight_limit(bottles)
    if weight > limit + 1e-9:
        raise BadInput(
            "Net weight: at most %s g for the bottles chosen (%s g "
            "declared, plus %d%% for weighing)" % (
                fmt_grams(limit), fmt_grams(declared),
                round(WEIGHT_TOLERANCE * 100)))


def undo_destruction(db, order_id, destruction_id, reason, actor):
    """Undo a destruction recorded by mistake: the record stays, marked
    undone with who, when and why, and its bottles return to the status
    they had before.  Returns the destruction."""
    def effect(db, order, actor, form):
        why = _text(reason, "Reason", TEXT_MAX)
        record = get_destruction(db, order_id, destruction_id)
        if record["undone_at"]:
            raise ActionRefused("Destruction #%d was already undone on %s."
                                % (destruction_id, record["undone_at"]))
        rows = db.execute("SELECT serial, prior_status FROM "
                          "destruction_bottles WHERE destruction_id = ?",
                          [destruction_id]).fetchall()
        for row in rows:
            cur = db.execute(
                "UPDATE bottles SET status = ? WHERE serial = ? "
                "AND status = 'destroyed'",
                [row["prior_status"] or "returned", row["serial"]])
            if cur.rowcount != 1:
                raise ActionRefused("Bottle %s is no longer destroyed; "
                                    "reload the page" % row["serial"])
        db.execute("UPDATE destruction_bottles SET undone = 1 "
                   "WHERE destruction_id = ?", [destruction_id])
        db["destructions"].update(destruction_id, {
            "undone_at": now(), "undone_by": actor or "",
            "undo_reason": why})
        return Done(detail=_short("#%d (%s): %s" % (
            destruction_id, ", ".join(r["serial"] for r in rows), why)))

    run(db, order_id, "undo_destruction", actor, effect,
        gate="record_destruction")
    return get_destruction(db, order_id, destruction_id)


# --------------------------------------------------------- returned grams
RETURN_REASONS = {
    "returned": "Returned by the client",
    "refused": "Order refused",
    "lost": "Lost or stolen in transit",
    "cancelled": "Order cancelled",
}


def grams_summary(db, order_id):
    """{"order_grams": cannabis grams ordered (qty x product grams over the
    cannabis lines), "dispensed_grams": cannabis in the order's bottles
    that left the building (client_allowance.dispensed_grams), "credited": grams
    already credited back, "available": what may still be credited, at
    most dispensed - credited}."""
    ordered = db.execute(
        "SELECT coalesce(sum(l.qty * p.grams), 0) FROM order_lines l "
        "JOIN products p ON p.sku = l.sku "
        "WHERE l.order_id = ? AND p.cannabis = 1", [order_id]).fetchone()[0]
    dispensed = client_allowance.dispensed_grams(db, order_id)
    credited = db.execute(
        "SELECT coalesce(sum(grams), 0) FROM returned_grams "
        "WHERE order_id = ?", [order_id]).fetchone()[0]
    ordered, credited = round(ordered or 0, 3), round(credited or 0, 3)
    return {"order_grams": ordered, "dispensed_grams": dispensed,
            "credited": credited,
            "available": max(round(dispensed - credited, 3), 0)}


def list_returned_grams(db, order_id):
    """The order's credits, oldest first, with the totals."""
    require_order(db, order_id)
    credits = []
    for r in db.execute("SELECT * FROM returned_grams WHERE order_id = ? "
                        "ORDER BY id", [order_id]):
        c = dict(r)
        c["reason_label"] = RETURN_REASONS.get(c["reason"], c["reason"])
        credits.append(c)
    return dict(grams_summary(db, order_id), credits=credits)


def return_grams(db, order_id, values, actor):
    """Credit grams back to the order's client: values {grams, reason,
    comment (optional)}.  One returned_grams row = grams credited back to
    that client, at most what the order dispensed less what is already
    credited: grams that never left the building were never counted
    against the allowance.  Returns the credit (dict)."""
    def effect(db, order, actor, values):
        summary = grams_summary(db, order_id)
        if summary["order_grams"] <= 0:
            raise ActionRefused("This order has no cannabis grams to credit")
        if summary["dispensed_grams"] <= 0:
            # It dispensed something (order_require), but no cannabis.
            raise ActionRefused(
                "None of this order's cannabis left the building, so no "
                "grams were dispensed and there is nothing to credit back")
        if summary["available"] <= 0:
            raise ActionRefused(
                "All %s g this order dispensed are already credited back"
                % fmt_grams(summary["dispensed_grams"]))
        reason = _choice(values.get("reason"), RETURN_REASONS, "Reason")
        grams = _grams(values.get("grams"), "Grams")
        comment = _optional(values.get("comment"), "Comment", TEXT_MAX)
        if grams > summary["available"] + 1e-9:
            raise BadInput(
                "At most %s g can still be credited for this order (%s g of "
                "cannabis dispensed, %s g already credited)" % (
                    fmt_grams(summary["available"]),
                    fmt_grams(summary["dispensed_grams"]),
                    fmt_grams(summary["credited"])))
        credit_id = db["returned_grams"].insert({
            "order_id": order_id, "client_id": order["client_id"],
            "grams": grams, "reason": reason, "comment": comment,
            "created_by": actor or "", "created_at": now()}).last_pk
        return Done(detail=_short("%s g credited to %s (%s)%s" % (
            fmt_grams(grams), order["client_name"], RETURN_REASONS[reason],
            ": " + comment if comment else "")), result=credit_id)

    done, _, _ = run(db, order_id, "return_grams", actor, effect, values)
    row = dict(db["returned_grams"].get(done.result))
    row["reason_label"] = RETURN_REASONS[row["reason"]]
    return row


# ---------------------------------------------------------------- input
def _grams(value, what):
    return fields.grams(value, what, MAX_GRAMS)


def _date(value, what, order):
    """A YYYY-MM-DD date, not in the future and not before the order."""
    day = fields.date(value, what, latest=datetime.date.max)
    # Stored times are UTC; allow a day either way for the local date.
    today = datetime.datetime.now(datetime.timezone.utc).date()
    if day > today + datetime.timedelta(days=1):
        raise BadInput("%s cannot be in the future" % what)
    created = (order.get("created_at") or "")[:10]
    try:
        earliest = datetime.date.fromisoformat(created) - \
            datetime.timedelta(days=1)
    except ValueError:
        earliest = None
    if earliest is not None and day < earliest:
        raise BadInput("%s cannot be before the order was created (%s)"
                       % (what, created))
    return day.isoformat()


SERIAL_MAX = 40


def _serials(value):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(s, str) for s in value):
        raise BadInput("Bottles must be a list of bottle serials")
    if len(value) > MAX_BOTTLES:
        raise BadInput("At most %d bottles per destruction" % MAX_BOTTLES)
    serials = []
    for s in value:
        s = s.strip().upper()
        if len(s) > SERIAL_MAX:
            raise BadInput("Not a bottle serial: %s" % fields.shown(s))
        if s and s not in serials:
            serials.append(s)
    if not serials:
        raise BadInput("Choose at least one bottle to destroy")
    return serials


def _same_name(a, b):
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _short(text, limit=200):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"

