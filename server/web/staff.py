"""Staff accounts page (administrators): add accounts, change roles,
reset passwords, deactivate.  Accounts are never deleted, so order
history keeps naming real people.  A new password or a deactivation
ends the account's sessions (server.sessions); a new role applies to
them at their next request."""
from flask import Blueprint, flash, redirect, request, url_for

from server.web import auth
from server.web.pages import View, page
from server.staff import sessions
from server.staff import sign_in
from server.staff import accounts as staff
from server.core import fields
from server.core.db import get_db

bp = Blueprint("staff", __name__, url_prefix="/staff")


@page(bp, "/", "staff/list.html")
def index(status=200):
    """Every staff account, active first (never a password)."""
    auth.require("manage_staff")
    return View({"staff": staff.list_accounts(get_db())}, {"limits": {
        "username": staff.USERNAME_MAX, "name": staff.NAME_MAX,
        "password_min": fields.PASSWORD_MIN,
        "password_max": fields.PASSWORD_MAX}}, status)


@bp.post("/")
def add():
    auth.require("manage_staff")
    form = request.form
    try:
        staff.create(get_db(), form.get("username"), form.get("password"),
                     form.get("role"), form.get("name"))
    except fields.BadInput as e:
        # The form shown again with what was typed (but the password).
        flash(str(e), "error")
        return index(status=400)
    flash("Account %s created." % staff.username(form.get("username")),
          "success")
    return redirect(url_for(".index"))


@bp.post("/<id:staff_id>")
def update(staff_id):
    """One change per form: role, active flag or a new password."""
    auth.require("manage_staff")
    db = get_db()
    form = request.form
    me = auth.current_staff()["id"]
    try:
        username = staff.change(
            db, staff_id, me, new_role=form.get("role"),
            active=form["active"] == "1" if "active" in form else None,
            secret=form.get("password"))
    except staff.StaffNotFound:
        flash("No such account.", "error")
        return redirect(url_for(".index"))
    except fields.BadInput as e:
        # One refused change refuses the form: nothing is half applied.
        flash(str(e), "error")
        return redirect(url_for(".index"))
    if me == staff_id and "password" in form:
        # The new password ends this account's other sessions; the one
        # that changed it goes on.
        sessions.begin(sign_in.STAFF, staff_id)
        auth.csrf_token()
    flash("Account %s updated." % username, "success")
    return redirect(url_for(".index"))
