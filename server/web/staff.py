"""Staff accounts page (administrators): add accounts, change roles,
reset passwords, deactivate, and issue, reissue or revoke badges (the
QR code an associate signs in to a gun with: server.staff.badges).
Issuing answers the badge card's PDF, the one time its code is shown.
Accounts are never deleted, so order history keeps naming real people.
A new password or a deactivation ends the account's sessions
(server.sessions); a new role applies to them at their next request."""
from flask import (Blueprint, Response, abort, current_app, flash,
                   redirect, request, url_for)

from server.web import auth
from server.web.pages import View, page
from server.documents import labels
from server.documents.badge_card import badge_card_pdf
from server.staff import badges
from server.staff import sessions
from server.staff import sign_in
from server.staff import accounts as staff
from server.core import fields
from server.core.db import get_db

bp = Blueprint("staff", __name__, url_prefix="/staff")


@page(bp, "/", "staff/list.html")
def index(status=200):
    """Every staff account, active first (never a password, nor a badge's
    code or hash: `badge` is its state, server.staff.badges.state)."""
    auth.require("manage_staff")
    accounts = staff.list_accounts(get_db())
    for account in accounts:
        account["has_badge"] = bool(account["has_badge"])
        account["badge"] = badges.state(account)
    return View({"staff": accounts}, {
        "badge_labels": badges.STATE_LABELS, "limits": {
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


@bp.post("/<id:staff_id>/badge")
def issue_badge(staff_id):
    """Issue (or reissue) the account's badge: the answer is its card, a
    PDF to print now; the code is never shown again."""
    auth.require("manage_staff")
    try:
        issued = badges.issue(get_db(), staff_id, auth.actor())
    except staff.StaffNotFound:
        abort(404, "No staff account %d" % staff_id)
    except badges.BadgeRefused as e:
        flash(str(e), "error")
        return redirect(url_for(".index"))
    account = issued["account"]
    pdf = badge_card_pdf(
        issued["code"], account["name"] or account["username"],
        staff.ROLES.get(account["role"], account["role"]), staff_id,
        account["badge_issued_at"],
        labels.producer(current_app.config)["name"])
    # no-store: the card holds the only copy of the code.
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="badge-%s.pdf"'
        % account["username"],
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; "
                                   "frame-ancestors 'none'"})


@bp.post("/<id:staff_id>/badge/revoke")
def revoke_badge(staff_id):
    """Revoke the account's badge: guns refuse it once they have the new
    roster."""
    auth.require("manage_staff")
    try:
        account = badges.revoke(get_db(), staff_id, auth.actor())
    except staff.StaffNotFound:
        abort(404, "No staff account %d" % staff_id)
    except badges.BadgeRefused as e:
        flash(str(e), "error")
        return redirect(url_for(".index"))
    flash("Badge of %s revoked: guns refuse it as soon as they have the "
          "new roster." % account["username"], "success")
    return redirect(url_for(".index"))
