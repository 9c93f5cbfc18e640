"""The Lots page: every lot with its product, dates, status and bottles;
a lot's page with its history and, for supervisors and above, putting it
on hold, recalling it or releasing it (server.orders.lots decides which
change each status allows); and a recalled lot's recall report as a
page, a CSV and a PDF (server.orders.recall)."""
import re

from flask import Blueprint, Response, abort, flash, redirect, request, url_for

from server.core.db import get_db
from server.core.errors import ActionRefused, BadInput
from server.documents.recall_pdf import recall_pdf
from server.orders import lots, recall
from server.web import auth
from server.web.pages import View, page

bp = Blueprint("lots", __name__, url_prefix="/lots")

MANAGE = "manage_lots"
# Bottles the recall report's page lists; the CSV and the PDF list all
# (a recall can reach tens of thousands: a page that size helps nobody).
PAGE_ROWS = 1000


def _lot_or_404(db, lot_id):
    try:
        return lots.get_lot(db, lot_id)
    except lots.LotNotFound as e:
        abort(404, str(e))


@page(bp, "/", "lots/list.html")
def index():
    """Every lot, soonest expiry first; ?status= and ?sku= filter."""
    auth.require("view")
    db = get_db()
    status = request.args.get("status") or None
    sku = request.args.get("sku") or None
    try:
        rows = lots.list_lots(db, status=status, sku=sku)
    except BadInput as e:
        abort(400, str(e))
    return View({"lots": rows, "status": status, "sku": sku},
                {"statuses": lots.STATUS_LABELS,
                 "products": lots.products(db)})


@page(bp, "/<lot_id>", "lots/lot.html")
def lot(lot_id, status=200, reason=""):
    """The lot, its history, and the changes its status allows."""
    auth.require("view")
    found = _lot_or_404(get_db(), lot_id)
    return View({"lot": found},
                {"reason_max": lots.REASON_MAX, "typed": reason,
                 "statuses": lots.STATUS_LABELS,
                 "manage_needs": auth.needs(MANAGE)}, status)


@bp.post("/<lot_id>/<action>")
def change(lot_id, action):
    """Put on hold, recall or release, with the form's reason."""
    # The role first: a refusal does not tell which lots exist.
    auth.require(MANAGE)
    if action not in lots.TRANSITIONS:
        abort(404, "No such lot action")
    db = get_db()
    _lot_or_404(db, lot_id)
    reason = request.form.get("reason", "")
    try:
        to = lots.change_status(db, lot_id, action, reason, auth.actor())
    except BadInput as e:
        flash(str(e), "error")
        return lot(lot_id=lot_id, status=400, reason=reason[:lots.REASON_MAX])
    except ActionRefused as e:
        flash(str(e), "error")
        return redirect(url_for(".lot", lot_id=lot_id), 303)
    flash("Lot %s: %s." % (lot_id, lots.STATUS_LABELS[to].lower()),
          "success")
    return redirect(url_for(".lot", lot_id=lot_id), 303)


def _report(lot_id):
    db = get_db()
    _lot_or_404(db, lot_id)
    try:
        return recall.recall_report(db, lot_id, auth.actor())
    except ActionRefused as e:
        abort(409, str(e))


@page(bp, "/<lot_id>/recall", "lots/recall.html")
def recall_report(lot_id):
    """Every order and client that received bottles of a recalled lot."""
    auth.require("view")
    report = _report(lot_id)
    report["rows"] = report["rows"][:PAGE_ROWS]
    return View({"report": report})


def _filename(lot_id, ext):
    return "recall-%s.%s" % (re.sub(r"[^A-Za-z0-9-]", "_", lot_id), ext)


@bp.get("/<lot_id>/recall.csv")
def recall_csv(lot_id):
    auth.require("view")
    text = recall.recall_csv(_report(lot_id))
    return Response(text.encode("utf-8-sig"), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="%s"'
        % _filename(lot_id, "csv"), "Cache-Control": "no-store"})


@bp.get("/<lot_id>/recall.pdf")
def recall_pdf_view(lot_id):
    auth.require("view")
    pdf = recall_pdf(_report(lot_id))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="%s"'
        % _filename(lot_id, "pdf"), "Cache-Control": "no-store"})
