"""Grams credited back to the client's prescription for an order: at most
what the order dispensed less what is already credited, through the
action runner, gated like Return Grams (an after-shipping record)."""
from server.clients import allowance as client_allowance
from server.core.db import now
from server.core.errors import ActionRefused, BadInput
from server.core.fields import choice as _choice
from server.core.fields import optional_text as _optional
from server.core.wording import grams as fmt_grams
from server.orders.actions import run
from server.orders.effects import Done
from server.orders.queries import require_order
from server.orders.records import (TEXT_MAX, grams_field,
                                   short)


RETURN_REASONS = {
    "returned": "Returned by the client",
    "refused": "Order refused",
    "lost": "Lost or stolen in transit",
    "cancelled": "Order cancelled",
}


def grams_summary(db, order_id):
    """{"order_grams": cannabis grams ordered (qty x product grams over the
    cannabis lines), "dispensed_grams": cannabis in the order's bottles
    that left the building (client_allowance.dispensed_grams), "credited":
    grams already credited back, "available": what may still be credited,
    at most dispensed - credited}."""
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
        grams = grams_field(values.get("grams"), "Grams")
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
        return Done(detail=short("%s g credited to %s (%s)%s" % (
            fmt_grams(grams), order["client_name"], RETURN_REASONS[reason],
            ": " + comment if comment else "")), result=credit_id)

    done, _, _ = run(db, order_id, "return_grams", actor, effect, values)
    row = dict(db["returned_grams"].get(done.result))
    row["reason_label"] = RETURN_REASONS[row["reason"]]
    return row


