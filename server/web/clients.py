"""Clients list and Client Profile pages for CSRs; also the data the
Order Overview tab needs to create an order (products, shipping rates,
the client's allowance and coverage)."""
import math

from flask import (Blueprint, abort, flash, redirect, request, url_for)

from server.clients import allowance as client_allowance
from server.clients import profiles
from server.core import errors
from server.orders import create as order_create
from server.web import auth
from server.web.pages import View, page
from server.orders import recurring
from server.core import fields
from server.orders import states
from server.core.db import get_db, parse_int

bp = Blueprint("clients", __name__, url_prefix="/clients")

PAGE_MAX = 10 ** 6
PROFILE_TABS = [("details", "Details"), ("orders", "Orders"),
                ("recurring", "Recurring orders")]


def _client_or_404(client_id):
    client = profiles.get_client(get_db(), client_id)
    if client is None:
        abort(404, "Client %d not found" % client_id)
    return client


@page(bp, "/", "clients/list.html")
def index():
    """Clients, searched by name, email or phone, a page at a time."""
    auth.require("view")
    q = request.args.get("q", "").strip()
    # A page number that makes no sense shows the first page.
    page_no = parse_int(request.args.get("page", "1"), 1, PAGE_MAX) or 1
    rows, total = profiles.search_clients(get_db(), q or None, page_no)
    pages = max(math.ceil(total / profiles.PAGE_SIZE), 1)
    return View({"clients": rows, "total": total, "q": q, "page": page_no,
                 "pages": pages})


@page(bp, "/<id:client_id>", "clients/profile.html")
def profile(client_id, form=None, status=200):
    """The Client Profile on ?tab=; a refused edit shows it again with
    what was typed (`form`)."""
    auth.require("view")
    db = get_db()
    client = _client_or_404(client_id)
    tab = request.args.get("tab", "details")
    if tab not in dict(PROFILE_TABS):
        tab = "details"
    return View(
        data={"c": client, "tab": tab,
              "client_changes": profiles.client_history(db, client_id),
              "allowance": client_allowance.allowance(db, client_id),
              "orders": profiles.client_orders(db, client_id),
              "recurring": recurring.list_recurring(db,
                                                    client_id=client_id)},
        display={"tabs": PROFILE_TABS, "fields": profiles.FIELDS,
                 "field_labels": {name: label for name, label, *_
                                  in profiles.FIELDS},
                 "form": form, "methods": states.PAYMENT_METHODS,
                 "password_limits": (fields.PASSWORD_MIN,
                                     fields.PASSWORD_MAX)},
        status=status)


@bp.post("/<id:client_id>")
def edit(client_id):
    auth.require("edit_client")
    _client_or_404(client_id)
    try:
        changed = profiles.update_client(get_db(), client_id,
                                        request.form.to_dict(), auth.actor())
    except errors.BadInput as e:
        flash(str(e), "error")
        # Show what was typed, so nothing has to be typed again.
        return profile(client_id=client_id, form=request.form.to_dict(),
                       status=400)
    flash("Client details saved%s." % (
        ": " + ", ".join(c.replace("_", " ") for c in changed)
        if changed else " (nothing changed)"), "success")
    return redirect(url_for(".profile", client_id=client_id))


@bp.post("/<id:client_id>/orders")
def new_order(client_id):
    """Create new order: an Open order with no items yet, on its
    Overview, where the CSR adds items, shipping and payment."""
    auth.require("create_order")
    _client_or_404(client_id)
    order_id = order_create.create_order(get_db(), client_id, [],
                                   actor=auth.actor(), allow_empty=True,
                                   source="csr", verified=True)
    flash("Order #%d created: add items, select shipping, then take "
          "payment." % order_id, "success")
    return redirect(url_for("orders.profile", order_id=order_id))
