"""Label prints, each recorded in order_history: "print_labels" with its
serials (any status; stock bottles not picked yet have no order), or the
Order Menu action it answers (reprint_patient_labels,
reprint_bottle_labels, print_shipping_label) through the order action
runner, its status checked.  So a print or reprint always leaves a
record."""
from server.core.db import transaction
from server.core.errors import OrderNotFound
from server.core.history import record_history
from server.documents.labels import (ROLL, NotAllowed, UnknownOrder,
                                     _check_layout, _render_bottles,
                                     bottle_labels_pdf, bottles,
                                     dispensed_bottles, order_label_pdf,
                                     order_serials, patient_labels_pdf,
                                     shipping_label_pdf)
from server.orders import states
from server.orders.actions import run
from server.orders.effects import Done
from server.orders.queries import get_order, require_order
from shared import wire

PRINT_ACTION = "print_labels"


def issue_bottle_labels(db, serials, actor, layout=ROLL, deliver=None):
    """Render the labels of `serials`, record the print, and return the
    PDF bytes.  deliver(pdf) runs inside the recording transaction (e.g.
    writing the file): if it fails, no record is left."""
    _check_layout(layout)
    items = bottles(db, serials)
    pdf = _render_bottles(items, layout)
    with transaction(db):
        by_order = {}
        for item in items:
            by_order.setdefault(item["order_id"], []).append(item["serial"])
        for order_id, group in by_order.items():
            # Stock bottles not yet picked have no order: their row has
            # order_id NULL, still a record of the print.
            _record(db, order_id, actor, ", ".join(group))
        if deliver is not None:
            deliver(pdf)
    return pdf


def issue_order_label(db, order_id, actor, deliver=None):
    """Like issue_bottle_labels, for the order's own label."""
    pdf = order_label_pdf(db, order_id)
    with transaction(db):
        _record(db, order_id, actor,
                "order label " + wire.order_code(order_id))
        if deliver is not None:
            deliver(pdf)
    return pdf


def _record(db, order_id, actor, detail):
    # A print is no Order Menu action: any status, and stock bottles not
    # picked yet have no order at all.
    status = None
    if order_id is not None:
        status = db.execute("SELECT status FROM orders WHERE id = ?",
                            [order_id]).fetchone()["status"]
    record_history(db, order_id, PRINT_ACTION, status, status, actor, detail)


def issue_patient_labels(db, order_id, actor, action=PRINT_ACTION):
    """Render the order's patient labels and record the print, as
    "print_labels" or, for action="reprint_patient_labels", as that Order
    Menu action (its status is checked: Shipped or Delivered).  Returns
    the PDF bytes; a refused request writes nothing."""
    return _issue(db, order_id, actor, action,
                  lambda: patient_labels_pdf(db, order_id),
                  lambda: "patient labels: " + ", ".join(
                      b["serial"] for b in dispensed_bottles(db, order_id)))


def reprint_bottle_labels(db, order_id, actor, layout=ROLL):
    """The Order Menu's Reprint Bottle Labels: the order's bottle labels,
    recorded as that action (Shipped or Delivered only)."""
    _check_layout(layout)
    return _issue(db, order_id, actor, "reprint_bottle_labels",
                  lambda: bottle_labels_pdf(db, order_serials(db, order_id),
                                            layout),
                  lambda: ", ".join(order_serials(db, order_id)))


def issue_shipping_label(db, order_id, actor, producer_info=None,
                         how="printed"):
    """The shipping label of a shipped order, recorded as
    print_shipping_label (refused, unrecorded, before shipping)."""
    def detail():
        order = require_order(db, order_id)
        return "shipping label %s: %s %s" % (
            how, order.get("carrier") or "no carrier",
            order.get("tracking") or "no tracking")
    return _issue(db, order_id, actor, "print_shipping_label",
                  lambda: shipping_label_pdf(db, order_id, producer_info),
                  detail)


def _issue(db, order_id, actor, action, render, detail):
    """Render and record, as `action`: PRINT_ACTION in any status, an
    Order Menu reprint through the action runner (its status checked)."""
    if action == PRINT_ACTION:
        with transaction(db):
            if get_order(db, order_id) is None:
                raise UnknownOrder(order_id)
            pdf = render()
            _record(db, order_id, actor, detail()[:500])
        return pdf

    def effect(db, order, actor, form):
        pdf = render()
        return Done(detail=detail()[:500], result=pdf)

    try:
        done, _, _ = run(db, order_id, action, actor, effect)
    except OrderNotFound:
        raise UnknownOrder(order_id) from None
    except states.IllegalAction as e:
        raise NotAllowed(str(e)) from None
    return done.result
