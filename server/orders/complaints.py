"""Complaints about an order: logged and resolved on its Complaints tab,
each through the action runner (server.orders.actions.run), gated like
Log Complaint (an after-shipping record)."""
from server.core.db import now
from server.core.errors import ActionRefused
from server.core.fields import choice as _choice
from server.core.fields import text as _text
from server.orders.actions import run
from server.orders.effects import Done
from server.orders.queries import require_order
from server.orders.records import (NAME_MAX, TEXT_MAX, RecordNotFound,
                                   date_field, short)


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
        received_on = date_field(values.get("received_on"), "Received on",
                                 order)
        complaint_id = db["complaints"].insert({
            "order_id": order_id, "category": category,
            "description": description, "reported_by": reported_by,
            "received_on": received_on, "status": "open",
            "created_by": actor or "", "created_at": now()}).last_pk
        return Done(detail=short(
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
        return Done(detail=short("#%d %s: %s" % (
            complaint["id"], complaint["category_label"], text)),
            result=complaint["id"])

    done, _, _ = run(db, order_id, "resolve_complaint", actor, effect,
                     gate="add_complaint")
    return get_complaint(db, order_id, done.result)


