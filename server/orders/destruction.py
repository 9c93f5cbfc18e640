"""Destruction of an order's returned bottles, with its witnesses and net
weight, and undoing one recorded by mistake: each through the action
runner, gated like Record Destruction (an after-shipping record)."""
from server.core import fields
from server.core.db import now
from server.core.errors import ActionRefused, BadInput
from server.core.fields import choice as _choice
from server.core.fields import text as _text
from server.core.wording import counted
from server.core.wording import grams as fmt_grams
from server.orders import states
from server.orders.actions import run
from server.orders.effects import Done
from server.orders.queries import require_order
from server.orders.records import (LOCATION_MAX, NAME_MAX, TEXT_MAX,
                                   WEIGHT_TOLERANCE, RecordNotFound,
                                   date_field, grams_field, same_name,
                                   serials_field, short)


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
        serials = serials_field(values.get("serials"))
        weight = grams_field(values.get("net_weight_grams"), "Net weight")
        method = _choice(values.get("method"), DESTRUCTION_METHODS, "Method")
        location = _text(values.get("location"), "Location", LOCATION_MAX)
        destroyed_on = date_field(values.get("destroyed_on"), "Destroyed on",
                             order)
        witness_1 = _text(values.get("witness_1"), "Witness 1", NAME_MAX)
        witness_2 = _text(values.get("witness_2"), "Witness 2", NAME_MAX)
        if same_name(witness_1, witness_2):
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
        return Done(detail=short(
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
        return Done(detail=short("#%d (%s): %s" % (
            destruction_id, ", ".join(r["serial"] for r in rows), why)))

    run(db, order_id, "undo_destruction", actor, effect,
        gate="record_destruction")
    return get_destruction(db, order_id, destruction_id)


