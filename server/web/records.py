"""The Order Profile's record tabs (Complaints, Destruction, Returned
Grams) and the note acknowledgements of the Notes section; their JSON API
is in server.web.api.

Pages flash errors and redirect back to the tab."""
import datetime

from flask import Blueprint, abort, flash, redirect, request, url_for

from server.core import errors as core_errors
from server.orders import queries
from server.web import auth
from server.orders import records
from server.orders import states
from server.core.db import get_db
from server.web.orders import render_profile
from server.core.wording import counted

bp = Blueprint("records", __name__)

_REFUSED = (states.IllegalAction, core_errors.ActionRefused, core_errors.BadInput)


# ------------------------------------------------------ template globals
@bp.app_template_global()
def note_records(order_id):
    """The order's notes with severity and who acknowledged them where."""
    return records.order_notes(get_db(), order_id)


@bp.app_template_global()
def complaint_records(order_id):
    return {"complaints": records.list_complaints(get_db(), order_id),
            "categories": records.COMPLAINT_CATEGORIES}


@bp.app_template_global()
def destruction_records(order_id):
    db = get_db()
    order = queries.require_order(db, order_id)
    allowed = records.destructible_statuses(order["status"])
    bottles = records.order_bottles(db, order_id)
    for b in bottles:
        b["destructible"] = b["status"] in allowed
    return {"destructions": records.list_destructions(db, order_id),
            "bottles": bottles,
            "destructible": [b for b in bottles if b["destructible"]],
            "methods": records.DESTRUCTION_METHODS,
            "tolerance_percent": round(records.WEIGHT_TOLERANCE * 100),
            "return_first": states.can(order["status"], "return_bottles")}


@bp.app_template_global()
def returned_grams_records(order_id):
    return dict(records.list_returned_grams(get_db(), order_id),
                reasons=records.RETURN_REASONS)


@bp.app_template_global()
def typed(name, default=""):
    """What was typed in field `name` of a form refused and shown again
    (see _page); `default` on a plain page view."""
    if request.method == "POST":
        return request.form.get(name, default)
    return default


@bp.app_template_global()
def typed_list(name):
    return request.form.getlist(name) if request.method == "POST" else []


@bp.app_template_global()
def records_today():
    return datetime.date.today().isoformat()


@bp.app_template_global()
def grams_text(value):
    return records.fmt_grams(value or 0) + " g"


# ------------------------------------------------------------------ pages
def _back(order_id, tab):
    return redirect(url_for("orders.profile", order_id=order_id, tab=tab)
                    + "#tab-" + tab)


def _page(order_id, tab, action, do, success):
    """Run a record service for a page's form: 404 for an unknown order
    or record, a flashed error (nothing changed) for a refused one."""
    auth.require(action)
    try:
        result = do()
    except (core_errors.OrderNotFound, records.RecordNotFound) as e:
        abort(404, str(e))
    except _REFUSED as e:
        # Shown again with what was typed (request.form), nothing saved.
        flash(str(e), "error")
        code = 409 if isinstance(e, (states.IllegalAction,
                                     core_errors.ActionRefused)) else 400
        return render_profile(order_id, tab, code)
    else:
        flash(success(result), "success")
    return _back(order_id, tab)


@bp.post("/orders/<id:order_id>/complaints")
def add_complaint(order_id):
    return _page(
        order_id, "complaints", "add_complaint",
        lambda: records.add_complaint(get_db(), order_id,
                                      request.form.to_dict(), auth.actor()),
        lambda c: "Complaint #%d logged%s." % (
            c["id"], ": adverse reaction, report it as the regulations "
            "require" if c["regulated"] else ""))


@bp.post("/orders/<id:order_id>/complaints/<id:complaint_id>/resolve")
def resolve_complaint(order_id, complaint_id):
    return _page(
        order_id, "complaints", "add_complaint",
        lambda: records.resolve_complaint(
            get_db(), order_id, complaint_id,
            request.form.get("resolution"), auth.actor()),
        lambda c: "Complaint #%d resolved." % c["id"])


@bp.post("/orders/<id:order_id>/destructions")
def add_destruction(order_id):
    fields = request.form.to_dict()
    fields["serials"] = request.form.getlist("serials")
    return _page(
        order_id, "destruction", "record_destruction",
        lambda: records.record_destruction(get_db(), order_id, fields,
                                           auth.actor()),
        lambda d: "Destruction #%d recorded: %s destroyed." % (
            d["id"], counted(len(d["bottles"]), "bottle")))


@bp.post("/orders/<id:order_id>/destructions/<id:destruction_id>/undo")
def undo_destruction(order_id, destruction_id):
    return _page(
        order_id, "destruction", "record_destruction",
        lambda: records.undo_destruction(
            get_db(), order_id, destruction_id, request.form.get("reason"),
            auth.actor()),
        lambda d: "Destruction #%d undone: its bottles are back as they "
        "were." % d["id"])


@bp.post("/orders/<id:order_id>/returned-grams")
def add_returned_grams(order_id):
    return _page(
        order_id, "returned_grams", "return_grams",
        lambda: records.return_grams(get_db(), order_id,
                                     request.form.to_dict(), auth.actor()),
        lambda r: "%s credited back to the client's prescription." %
        grams_text(r["grams"]))
