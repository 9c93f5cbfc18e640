"""The Order Profile's record tabs (Complaints, Destruction, Returned
Grams) and the note acknowledgements of the Notes section; their JSON API
is in server.web.api.

Pages flash errors and redirect back to the tab."""
import datetime

from flask import Blueprint, abort, flash, redirect, request, url_for

from server.orders import complaints as record_complaints
from server.orders import destruction as record_destruction
from server.orders import records
from server.orders import returned_grams as record_returned_grams
from server.core import errors as core_errors
from server.web import auth
from server.orders import states
from server.core.db import get_db
from server.web.orders import profile
from server.core import wording
from server.core.wording import counted

bp = Blueprint("records", __name__)

_REFUSED = (states.IllegalAction, core_errors.ActionRefused,
            core_errors.BadInput)


# ------------------------------------------------------ template globals
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
    return wording.grams(value or 0) + " g"


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
        return profile(order_id=order_id, tab=tab, status=code)
    else:
        flash(success(result), "success")
    return _back(order_id, tab)


@bp.post("/orders/<id:order_id>/complaints")
def add_complaint(order_id):
    return _page(
        order_id, "complaints", "add_complaint",
        lambda: record_complaints.add_complaint(get_db(), order_id,
                                      request.form.to_dict(), auth.actor()),
        lambda c: "Complaint #%d logged%s." % (
            c["id"], ": adverse reaction, report it as the regulations "
            "require" if c["regulated"] else ""))


@bp.post("/orders/<id:order_id>/complaints/<id:complaint_id>/resolve")
def resolve_complaint(order_id, complaint_id):
    return _page(
        order_id, "complaints", "add_complaint",
        lambda: record_complaints.resolve_complaint(
            get_db(), order_id, complaint_id,
            request.form.get("resolution"), auth.actor()),
        lambda c: "Complaint #%d resolved." % c["id"])


@bp.post("/orders/<id:order_id>/destructions")
def add_destruction(order_id):
    fields = {**request.form.to_dict(),
              "serials": request.form.getlist("serials")}
    return _page(
        order_id, "destruction", "record_destruction",
        lambda: record_destruction.record_destruction(
            get_db(), order_id, fields, auth.actor()),
        lambda d: "Destruction #%d recorded: %s destroyed." % (
            d["id"], counted(len(d["bottles"]), "bottle")))


@bp.post("/orders/<id:order_id>/destructions/<id:destruction_id>/undo")
def undo_destruction(order_id, destruction_id):
    return _page(
        order_id, "destruction", "record_destruction",
        lambda: record_destruction.undo_destruction(
            get_db(), order_id, destruction_id, request.form.get("reason"),
            auth.actor()),
        lambda d: "Destruction #%d undone: its bottles are back as they "
        "were." % d["id"])


@bp.post("/orders/<id:order_id>/returned-grams")
def add_returned_grams(order_id):
    return _page(
        order_id, "returned_grams", "return_grams",
        lambda: record_returned_grams.return_grams(get_db(), order_id,
                                     request.form.to_dict(), auth.actor()),
        lambda r: "%s credited back to the client's prescription." %
        grams_text(r["grams"]))
