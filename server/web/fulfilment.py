"""Fulfilment pages: the printable picking list and the label PDFs.

Every label handed out is recorded in the order history
(server.documents.labels): plain prints as "print_labels", the Order
Menu's reprints and the shipping label as their own actions, checked
against the order's status.
So each is a POST from a button of the order page (with the session's
CSRF token) answered with the PDF: a link, an image or a prefetch
elsewhere cannot add a print to the history, and a GET changes nothing.
A refused request flashes why and records nothing."""
from flask import (Blueprint, Response, abort, current_app, flash, redirect,
                   request, url_for)

from server.documents import labels
from server.documents import prints
from server.web import auth
from server.orders import picking
from server.core.db import get_db
from server.web.orders import actor, qr_svg
from server.web.pages import View, page
from shared import wire

bp = Blueprint("fulfilment", __name__, url_prefix="/orders")


@page(bp, "/picking-list", "orders/picking_list.html")
def picking_list():
    """Orders awaiting fulfilment, oldest first, with what to pick."""
    entries = picking.picking_list(get_db())
    for entry in entries:
        entry["code"] = wire.order_code(entry["order"]["id"])
    return View({"entries": entries},
                {"qr": {e["code"]: qr_svg(e["code"]) for e in entries}})


@bp.post("/<id:order_id>/labels.pdf")
def bottle_labels(order_id):
    """The bottle labels of the order's picks; every print is recorded
    in the order history, so reprints are never silent."""
    db = get_db()
    layout = request.form.get("layout") or labels.ROLL
    try:
        serials = labels.order_serials(db, order_id)
        pdf = prints.issue_bottle_labels(db, serials, actor(), layout)
    except labels.UnknownOrder:
        abort(404, "Order %d not found" % order_id)
    except labels.LabelError as e:      # nothing picked, an unknown layout
        return _refused(order_id, e, "picks")
    return _pdf(pdf, "order-%d-bottle-labels.pdf" % order_id)


@bp.post("/<id:order_id>/order-label.pdf")
def order_label(order_id):
    """The order's own label (QR, number, client) for the tote or slip."""
    try:
        pdf = prints.issue_order_label(get_db(), order_id, actor())
    except labels.UnknownOrder:
        abort(404, "Order %d not found" % order_id)
    return _pdf(pdf, "order-%d-label.pdf" % order_id)


@bp.post("/<id:order_id>/patient-labels.pdf")
def patient_labels(order_id):
    """One patient label per dispensed bottle (client, registration,
    product, lot, expiry, dispensing date, bottle QR code)."""
    auth.require("print_labels")
    try:
        pdf = prints.issue_patient_labels(get_db(), order_id, actor())
    except labels.UnknownOrder:
        abort(404, "Order %d not found" % order_id)
    except labels.LabelError as e:
        return _refused(order_id, e)
    return _pdf(pdf, "order-%d-patient-labels.pdf" % order_id)


# The Order Menu's reprints, as one click: the PDF comes back and the
# reprint is in the history with its serials.
REPRINTS = {"patient": "reprint_patient_labels",
            "bottle": "reprint_bottle_labels"}


@bp.post("/<id:order_id>/labels/reprint/<which>")
def reprint_labels(order_id, which):
    action = REPRINTS.get(which)
    if action is None:
        abort(404)
    auth.require(action)
    db = get_db()
    try:
        if which == "patient":
            pdf = prints.issue_patient_labels(db, order_id, actor(), action)
        else:
            pdf = prints.reprint_bottle_labels(
                db, order_id, actor(),
                request.form.get("layout") or labels.ROLL)
    except labels.UnknownOrder:
        abort(404, "Order %d not found" % order_id)
    except labels.LabelError as e:
        return _refused(order_id, e)
    return _pdf(pdf, "order-%d-%s-labels.pdf" % (order_id, which))


@bp.post("/<id:order_id>/shipping-label.pdf")
def shipping_label(order_id):
    """The 4 x 6 in shipping label of a shipped order: a download to
    print, or shown in the browser with view=1 (recorded as viewed)."""
    auth.require("print_shipping_label")
    view = request.form.get("view") == "1"
    try:
        pdf = prints.issue_shipping_label(
            get_db(), order_id, actor(), labels.producer(current_app.config),
            how="viewed" if view else "printed")
    except labels.UnknownOrder:
        abort(404, "Order %d not found" % order_id)
    except labels.LabelError as e:
        return _refused(order_id, e)
    return _pdf(pdf, "order-%d-shipping-label.pdf" % order_id, inline=view)


def _refused(order_id, error, section="documents"):
    flash(str(error), "error")
    return redirect(url_for("orders.profile", order_id=order_id)
                    + "#" + section, 303)


def _pdf(data, filename, inline=False):
    # no-store: a cached copy would be a reprint the history never sees.
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": '%s; filename="%s"' % (
            "inline" if inline else "attachment", filename),
        "Cache-Control": "no-store",
        # A PDF shown in the browser needs the viewer plugin; nothing else.
        "Content-Security-Policy": "default-src 'none'; object-src 'self'; "
                                   "frame-ancestors 'none'"})
