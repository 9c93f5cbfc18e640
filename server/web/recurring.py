"""Recurring Orders tab: every client's recurring monthly orders; CSRs
create, edit, pause and resume them (from here or the Client Profile)."""
from flask import (Blueprint, abort, flash, redirect, render_template,
                   request, url_for)

from server.clients import profiles
from server.core import errors
from server.web import auth
from server.web.pages import View, page
from server.orders import recurring, recurring_run
from server.orders import states
from server.core.db import get_db, parse_id

bp = Blueprint("recurring", __name__, url_prefix="/recurring")


@page(bp, "/", "recurring/list.html")
def index():
    """Every client's recurring orders: all, active or paused."""
    auth.require("view")
    show = request.args.get("show", "all")
    active = {"active": True, "paused": False}.get(show)
    return View({"rows": recurring.list_recurring(get_db(), active=active),
                 "show": show}, {"methods": states.PAYMENT_METHODS})


def _choices(db):
    return {
        "products": [dict(r) for r in db.execute(
            "SELECT sku, name, grams, price_cents, cannabis FROM products "
            "ORDER BY name")],
        "rates": [dict(r) for r in db.execute(
            "SELECT * FROM shipping_rates WHERE active = 1 "
            "ORDER BY price_cents, id")],
        "methods": states.PAYMENT_METHODS,
        "split_grams": recurring_run.SPLIT_GRAMS,
    }


def _form_values(rec=None, form=None):
    """Field values for the form: what was typed, else the stored ones."""
    if form is not None:
        return form
    if rec is None:
        return {"day_of_month": "1", "active": "1"}
    values = {"day_of_month": rec["day_of_month"],
              "shipping_rate_id": rec["shipping_rate_id"],
              "payment_method": rec["payment_method"],
              "active": "1" if rec["active"] else ""}
    for line in rec["lines"]:
        values["qty_" + line["sku"]] = line["qty"]
    return values


@bp.route("/new", methods=["GET", "POST"])
def new():
    auth.require("manage_recurring")
    db = get_db()
    client_id = parse_id(request.values.get("client_id", ""))
    if client_id is None:
        abort(404, "Choose a client first (from the client's profile).")
    client = profiles.get_client(db, client_id)
    if client is None:
        abort(404, "Client %d not found" % client_id)
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            rid = recurring.create_recurring(db, client_id, form,
                                             auth.actor())
        except errors.BadInput as e:
            flash(str(e), "error")
            return render_template("recurring/edit.html", rec=None,
                                   client=client, values=form,
                                   **_choices(db)), 400
        rec = recurring.get_recurring(db, rid)
        # Not None: create_recurring has just inserted it.
        next_run = rec["next_run"]  # pyright: ignore[reportOptionalSubscript]
        flash("Recurring order #%d created: first order on %s."
              % (rid, next_run), "success")
        return redirect(url_for("clients.profile", client_id=client_id,
                                tab="recurring"))
    return render_template("recurring/edit.html", rec=None, client=client,
                           values=_form_values(), **_choices(db))


@bp.route("/<id:recurring_id>", methods=["GET", "POST"])
def edit(recurring_id):
    # The role first: a refusal does not tell which ids exist.
    auth.require("view" if request.method == "GET" else "manage_recurring")
    db = get_db()
    rec = recurring.get_recurring(db, recurring_id)
    if rec is None:
        abort(404, "Recurring order %d not found" % recurring_id)
    client = profiles.get_client(db, rec["client_id"])
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            recurring.update_recurring(db, recurring_id, form, auth.actor())
        except errors.BadInput as e:
            flash(str(e), "error")
            return render_template("recurring/edit.html", rec=rec,
                                   client=client, values=form,
                                   runs=recurring.recurring_runs(
                                       db, recurring_id),
                                   **_choices(db)), 400
        flash("Recurring order #%d saved." % recurring_id, "success")
        return redirect(url_for(".edit", recurring_id=recurring_id))
    return render_template("recurring/edit.html", rec=rec, client=client,
                           values=_form_values(rec),
                           runs=recurring.recurring_runs(db, recurring_id),
                           **_choices(db))


@bp.post("/<id:recurring_id>/active")
def set_active(recurring_id):
    auth.require("manage_recurring")
    db = get_db()
    rec = recurring.get_recurring(db, recurring_id)
    if rec is None:
        abort(404, "Recurring order %d not found" % recurring_id)
    active = request.form.get("active") == "1"
    recurring.set_active(db, recurring_id, active)
    flash("Recurring order #%d %s." % (
        recurring_id, "resumed" if active else "paused"), "success")
    back = request.form.get("back")
    if back == "client":
        return redirect(url_for("clients.profile", client_id=rec["client_id"],
                                tab="recurring"))
    return redirect(url_for(".index"))
