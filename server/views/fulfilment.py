"""Fulfilment pages: the printable picking list and the label PDFs."""
from flask import Blueprint, Response, abort, render_template, request

from server import labels, picking
from server.db import get_db
from server.views.orders import actor, qr_svg
from shared import wire

bp = Blueprint("fulfilment", __name__, url_prefix="/orders")


@bp.get("/picking-list")
def picking_list():
    entries = picking.picking_list(get_db())
    for entry in entries:
        order_id = entry["order"]["id"]
        entry["code"] = wire.order_code(order_id)
        entry["qr"] = qr_svg(entry["code"])
    return render_template("orders/picking_list.html", entries=entries)


@bp.get("/<int:order_id>/labels.pdf")
def bottle_labels(order_id):
    """The bottle labels of the order's picks; every download is recorded
    in the order history, so reprints are never silent."""
    db = get_db()
    layout = request.args.get("layout", labels.ROLL)
    try:
        serials = labels.order_serials(db, order_id)
        pdf = labels.issue_bottle_labels(db, serials, actor(), layout)
    except labels.UnknownOrder:
        abort(404, "Order %d not found" % order_id)
    except labels.NoBottles as e:
        abort(409, str(e))
    except labels.LabelError as e:      # e.g. an unknown ?layout=
        abort(400, str(e))
    return _pdf(pdf, "order-%d-bottle-labels.pdf" % order_id)


@bp.get("/<int:order_id>/order-label.pdf")
def order_label(order_id):
    """The order's own label (QR, number, client) for the tote or slip."""
    try:
        pdf = labels.issue_order_label(get_db(), order_id, actor())
    except labels.UnknownOrder:
        abort(404, "Order %d not found" % order_id)
    return _pdf(pdf, "order-%d-label.pdf" % order_id)


def _pdf(data, filename):
    # no-store: a cached copy would be a reprint the history never sees.
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="%s"' % filename,
        "Cache-Control": "no-store"})
