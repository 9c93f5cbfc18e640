"""Client Portal: a registered client signs in with their email and
portal password, sees their orders and places new ones.  Its sign-in is
its own (sign_in.PORTAL), separate from staff sign-in, with the same
rules (server.sessions, server.sign_in); its forms carry the same CSRF
token, checked here since the staff check skips portal pages."""
import functools

from flask import (Blueprint, abort, flash, g, redirect,
                   render_template, request, session, url_for)

from server.clients import allowance as client_allowance
from server.clients import profiles
from server.core import errors
from server.web import auth
from server.staff import sessions
from server.staff import sign_in
from server.clients import portal
from server.core.db import get_db

bp = Blueprint("portal", __name__, url_prefix=auth.PORTAL_PREFIX)


def signed_in_client():
    """The signed-in client's row, or None; read once per request (also
    for the portal's error pages, which no portal view serves)."""
    if "portal_client" not in g:
        account = sessions.current(sign_in.PORTAL)
        g.portal_client = None if account is None else profiles.get_client(
            get_db(), account["id"])
    return g.portal_client


@bp.before_request
def _before():
    signed_in_client()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        auth.check_csrf()


def client_required(view):
    @functools.wraps(view)
    def inner(*args, **kwargs):
        if g.portal_client is None:
            return redirect(url_for(".login"))
        return view(*args, **kwargs)
    return inner


@bp.app_context_processor
def _portal_globals():
    return {"portal_client": signed_in_client}


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        try:
            client = sign_in.check(get_db(), sign_in.PORTAL,
                                   request.form.get("email"),
                                   request.form.get("password"))
        except sign_in.LockedOut as e:
            flash(str(e), "error")
            return render_template("portal/login.html"), 429
        if client is None:
            flash("Wrong email or password.", "error")
            return render_template("portal/login.html"), 401
        sessions.begin(sign_in.PORTAL, client["id"])
        auth.csrf_token()
        return redirect(url_for(".index"))
    if g.portal_client is not None:
        return redirect(url_for(".index"))
    return render_template("portal/login.html")


@bp.post("/logout")
def logout():
    """Sign out here and everywhere else this client is signed in."""
    if g.portal_client is not None:
        sessions.end_all(get_db(), sign_in.PORTAL, g.portal_client["id"])
    session.clear()
    flash("Signed out.", "success")
    return redirect(url_for(".login"))


@bp.get("/")
@client_required
def index():
    db = get_db()
    c = g.portal_client
    return render_template("portal/index.html", c=c,
                           orders=portal.client_orders(db, c["id"]),
                           allowance=client_allowance.allowance(db, c["id"]))


@bp.route("/orders/new", methods=["GET", "POST"])
@client_required
def new_order():
    db = get_db()
    c = g.portal_client
    values = {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            order_id = portal.place_order(db, c["id"], values)
        except errors.BadInput as e:
            flash(str(e), "error")
        else:
            flash("Order #%d received. Customer service will verify it and "
                  "contact you for shipping and payment." % order_id,
                  "success")
            return redirect(url_for(".order", order_id=order_id))
    return render_template("portal/new_order.html", c=c, values=values,
                           products=portal.products(db),
                           allowance=client_allowance.allowance(
                               db, c["id"])), \
        400 if request.method == "POST" else 200


@bp.get("/orders/<id:order_id>")
@client_required
def order(order_id):
    detail = portal.client_order(get_db(), g.portal_client["id"], order_id)
    if detail is None:
        abort(404, "Order %d not found" % order_id)
    return render_template("portal/order.html", c=g.portal_client,
                           o=detail["order"], lines=detail["lines"])
