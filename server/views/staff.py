"""Staff accounts page (administrators): add accounts, change roles,
reset passwords, deactivate.  Accounts are never deleted, so order
history keeps naming real people.  A new password or a deactivation
ends the account's sessions (server.sessions); a new role applies to
them at their next request."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.security import generate_password_hash

from server import auth, fields, sessions, sign_in
from server.db import get_db, write

bp = Blueprint("staff", __name__, url_prefix="/staff")

PASSWORD_MAX = 200
NAME_MAX = 80


@bp.get("/")
def index(http_status=200):
    auth.require("manage_staff")
    rows = [dict(r) for r in get_db().execute(
        "SELECT id, username, name, role, active, created_at, last_login "
        "FROM staff ORDER BY active DESC, username")]
    return render_template("staff/list.html", staff=rows), http_status


@bp.post("/")
def add():
    auth.require("manage_staff")
    form = request.form
    try:
        name = fields.optional_text(form.get("name"), "Full name", NAME_MAX)
        if len(form.get("password") or "") > PASSWORD_MAX:
            raise fields.BadInput("Password must be at most %d characters"
                                  % PASSWORD_MAX)
        auth.create_staff(get_db(), form.get("username"), form.get("password"),
                          form.get("role"), name)
    except (auth.AuthError, fields.BadInput) as e:
        # The form shown again with what was typed (but the password).
        flash(str(e), "error")
        return index(http_status=400)
    flash("Account %s created." % form.get("username", "").strip().lower(),
          "success")
    return redirect(url_for(".index"))


@bp.post("/<id:staff_id>")
def update(staff_id):
    """One change per form: role, active flag or a new password."""
    auth.require("manage_staff")
    db = get_db()
    form = request.form
    row = db.execute("SELECT id, username FROM staff WHERE id = ?",
                     [staff_id]).fetchone()
    if row is None:
        flash("No such account.", "error")
        return redirect(url_for(".index"))
    me = auth.current_staff()["id"] == staff_id
    changes, errors = {}, []
    if "role" in form:
        if form["role"] not in auth.ROLES:
            errors.append("Unknown role.")
        elif me and form["role"] != "admin":
            errors.append("You cannot take the administrator role from "
                          "yourself.")
        else:
            changes["role"] = form["role"]
    if "active" in form:
        if me:
            errors.append("You cannot deactivate your own account.")
        else:
            changes["active"] = 1 if form["active"] == "1" else 0
    if "password" in form:
        if not auth.PASSWORD_MIN <= len(form["password"]) <= PASSWORD_MAX:
            errors.append("Password must be %d to %d characters."
                          % (auth.PASSWORD_MIN, PASSWORD_MAX))
        else:
            changes["password_hash"] = generate_password_hash(
                form["password"])
    if errors:
        # One refused change refuses the form: nothing is half applied.
        flash(" ".join(errors), "error")
    elif changes:
        with write(db):
            db["staff"].update(staff_id, changes)
            if changes.get("active") == 0:
                sessions.end_all(db, sign_in.STAFF, staff_id)
        if me and "password_hash" in changes:
            # The new password ends this account's other sessions; the
            # one that changed it goes on.
            sessions.begin(sign_in.STAFF, staff_id)
            auth.csrf_token()
        flash("Account %s updated." % row["username"], "success")
    return redirect(url_for(".index"))
