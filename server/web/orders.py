"""Orders dashboard and Order Profile pages for CSRs."""
import qrcode
import qrcode.constants
import qrcode.image.svg
from flask import (Blueprint, abort, flash, redirect, render_template,
                   request, url_for)
from markupsafe import Markup

from server.core import errors
from server.orders import actions as order_actions
from server.orders import effects
from server.orders import items as order_items
from server.orders import pricing
from server.orders import queries
from server.web import auth
from server.web.pages import View, page
from server.web.profile import profile_context
from server.orders import dashboard, order_search
from server.documents.labels import ship_to as ship_to_rule
from server.orders import states
from server.core.db import get_db
from server.core import wording
from server.core.wording import counted
from shared import wire

bp = Blueprint("orders", __name__, url_prefix="/orders")

# How the Order Menu offers each action.  Actions done elsewhere on the
# profile are links there (a "#section" of the overview, or a tab); the
# rest post to `act`, some after a step of their own.  Which actions
# appear is order_states' decision, never this table's; the role (auth)
# only disables them.
MENU_LINKS = {
    "add_note": "#notes", "pick": "#qr", "edit_lines": "#items",
    "select_shipping": "#shipping", "take_payment": "#payment",
    "generate_documents": "#documents", "upload_document": "#documents",
    "print_shipping_label": "#documents",
    "add_complaint": "complaints", "record_destruction": "destruction",
    "return_grams": "returned_grams",
}
# Reprints answer with the PDF itself (server/web/fulfilment.py).
MENU_REPRINTS = {"reprint_patient_labels": "patient",
                 "reprint_bottle_labels": "bottle"}
# Actions that ask first, each in a step of its own headed by its name:
# what it will do (effects.effect_text), then its fields as (name, label,
# required, longest), then a button named after it.  "reason" is the
# history's "why".
MENU_STEPS = {
    "ship": [("carrier", "Carrier", True, order_items.CARRIER_MAX),
             ("tracking", "Tracking number", True, order_items.TRACKING_MAX)],
    "refuse": [("reason", "Why is the order refused?", False,
                order_actions.REASON_MAX)],
    "cancel": [("reason", "Why does the client cancel?", False,
                order_actions.REASON_MAX)],
    "refund": [("reason", "Why is the order refunded?", False,
                order_actions.REASON_MAX)],
    "reset_picking": [("reason", "Why return the picked bottles?", False,
                       order_actions.REASON_MAX)],
    "return_bottles": [],
    "delete": [],
}


def menu_items(order, not_ready=None):
    """The Order Menu for `order`: every action its status (and what it
    dispensed) allows, each with how the page offers it; one the signed-in
    staff member's role may not use is disabled, with what it needs
    (auth.needs), and so is one the order is not ready for, with why
    (`not_ready`: queries.not_ready)."""
    db = get_db()
    # The step whose form was posted (and refused), if any.
    posted_step = ((request.view_args or {}).get("name")
                   if request.endpoint == "orders.act"
                   and request.method == "POST" else None)
    items = []
    for a in states.order_actions(order):
        if a.name == "verify" and order["verified"]:
            continue        # nothing left to verify
        item = {"name": a.name, "label": states.label(a.name, order),
                "needs": auth.needs(a.name),
                "why": (not_ready or {}).get(a.name),
                "danger": bool(a.confirm), "primary": bool(a.target)}
        items.append(item)
        if item["needs"] or item["why"]:
            continue        # shown disabled: no link, no form
        link = MENU_LINKS.get(a.name)
        if link is not None:
            tab = None if link.startswith("#") else link
            item["href"] = url_for("orders.profile", order_id=order["id"],
                                   tab=tab) + (link if tab is None else "")
            continue
        if a.name in MENU_REPRINTS:
            item["post"] = url_for("fulfilment.reprint_labels",
                                   order_id=order["id"],
                                   which=MENU_REPRINTS[a.name])
            continue
        item["post"] = url_for("orders.act", order_id=order["id"],
                               name=a.name)
        if a.name in MENU_STEPS:
            # A form refused for its content comes back open, with what
            # was typed in it (and in no other step).
            item["open"] = posted_step == a.name
            item["effect"] = effects.effect_text(db, order, a.name)
            item["fields"] = [
                {"name": name, "label": label, "required": required,
                 "max": longest, "id": "%s-%s" % (a.name, name),
                 "value": request.form.get(name, "") if item["open"]
                 else order.get(name) or ""}
                for name, label, required, longest in MENU_STEPS[a.name]]
    return items


# The Orders Menu of the dashboard: archive all orders in these statuses.
BULK_ARCHIVE = [states.SHIPPED, states.DELIVERED]


actor = auth.actor


def qr_svg(text):
    """The QR code of `text` as inline SVG markup (scales with CSS)."""
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage,
                      error_correction=qrcode.constants.ERROR_CORRECT_M,
                      border=4)
    svg = img.to_string(encoding="unicode")
    svg = svg[svg.index("<svg"):]
    # Drop the fixed millimetre size so the stylesheet sets it, and keep
    # module edges sharp for scanners reading it off a screen.
    head, rest = svg.split(">", 1)
    head = head.replace('width="', 'data-w="').replace('height="', 'data-h="')
    return Markup('%s class="qr" role="img" aria-label="QR code %s" '
                  'shape-rendering="crispEdges">%s'
                  % (head, Markup.escape(text), rest))


@bp.app_template_global("ship_to")
def ship_to(order, client):
    # One rule for the page, the shipping label and the receipts.
    return ship_to_rule(order, client)


@bp.app_template_filter("dollars")
def dollars(cents):
    """Cents as a form field's dollars ("12.50")."""
    return pricing.dollars(cents)


@bp.app_template_filter("money")
def money(cents):
    return wording.money(cents)


# The one name of each action on every page: {{ action_label('refund') }}
# or {{ 'refund' | action_label }}; action_label('archive', o) says
# "Archive Order" or "Unarchive Order" for what it will do.
bp.add_app_template_global(states.label, "action_label")
bp.add_app_template_filter(states.label, "action_label")


@bp.app_template_filter("status_label")
def status_label(status):
    return states.STATUS_LABELS.get(status, status)


@bp.app_template_filter("reason_text")
def reason_text(reason):
    return wire.reason_text(reason) if reason else ""


@bp.app_template_filter("counted")
def counted_filter(n, noun, plural_form=None):
    return counted(n, noun, plural_form)


@bp.app_template_filter("grams")
def grams(value):
    return ("%.1f g" % value) if value else ""


@page(bp, "/", "orders/list.html")
def index():
    """The dashboard: one page of orders, filtered, searched, sorted."""
    query = dashboard.parse(request.args)
    found = dashboard.fetch(get_db(), query)

    def link(**changes):
        """This dashboard's URL with `changes`; paging starts over
        unless a cursor is given."""
        params = {"show": query.show, "status": query.status, "q": query.q,
                  "sort": query.sort, "dir": query.dir}
        params.update(changes)
        if params.get("sort") != query.sort and "dir" not in changes:
            params["dir"] = None
        if params.get("show") == "active":
            params["show"] = None
        if params.get("sort") == "created":
            params["sort"] = None
        sort = params.get("sort") or "created"
        if params.get("dir") == dashboard.SORTS[sort][1]:
            params["dir"] = None
        return url_for(".index", **{k: v for k, v in params.items()
                                    if v not in (None, "")})

    return View(
        data={"orders": found.rows, "count": found.count,
              "capped": found.capped,
              "query": {"show": query.show, "status": query.status,
                        "q": query.q, "sort": query.sort, "dir": query.dir,
                        "page": query.page},
              "next_cursor": found.next_cursor,
              "prev_cursor": found.prev_cursor},
        display={"link": link, "shows": dashboard.SHOWS,
                 "sorts": dashboard.SORTS, "bulk_archive": BULK_ARCHIVE,
                 "statuses": states.STATUS_LABELS,
                 "page_size": dashboard.PAGE_SIZE,
                 "search_cap": order_search.SEARCH_CAP})


@bp.post("/archive/<status>")
def archive_all(status):
    auth.require("archive_all")
    if status not in BULK_ARCHIVE:
        abort(404)
    count = order_actions.archive_all(get_db(), status, actor())
    flash("Archived %s in status %s." % (
        counted(count, "order"), status_label(status)), "success")
    return redirect(url_for(".index"))


def _detail_or_404(order_id):
    try:
        return queries.order_detail(get_db(), order_id)
    except errors.OrderNotFound:
        abort(404, "Order %d not found" % order_id)


@page(bp, "/<id:order_id>", "orders/profile.html")
def profile(order_id, tab=None, status=200):
    """The Order Profile on `tab` (?tab= on a plain view).  A form refused
    on a tab shows it again from its POST (status 400/409), so what was
    typed stays."""
    if tab is None and request.method == "GET":
        tab = request.args.get("tab")
    try:
        context = profile_context(get_db(), order_id, tab or "overview",
                                  menu_items)
    except errors.OrderNotFound:
        abort(404, "Order %d not found" % order_id)
    return View(data=context,
                display={"o": context["d"]["order"],
                         "qr": qr_svg(context["code"])},
                status=status)


@bp.get("/<id:order_id>/live")
def live(order_id):
    """Lines and picks only: the profile page polls this to show picks
    as the guns record them."""
    detail = _detail_or_404(order_id)
    return render_template("orders/_live.html", d=detail, o=detail["order"])


@bp.post("/<id:order_id>/actions/<name>")
def act(order_id, name):
    if name not in states.ACTIONS:
        abort(404, "No such action")
    auth.require(name)
    try:
        result = order_actions.apply_action(get_db(), order_id, name, actor(),
                                     request.form.to_dict())
    except errors.OrderNotFound:
        abort(404, "Order %d not found" % order_id)
    except errors.BadInput as e:
        # The form shown again with what was typed; nothing saved.
        flash(str(e), "error")
        return profile(order_id=order_id, status=400)
    except (states.IllegalAction, errors.ActionRefused) as e:
        flash(str(e), "error")
        return redirect(url_for(".profile", order_id=order_id))
    flash(result["message"], "success")
    if result["deleted"]:
        return redirect(url_for(".index"))
    return redirect(url_for(".profile", order_id=order_id))


@bp.post("/<id:order_id>/notes")
def add_note(order_id):
    auth.require("add_note")
    try:
        severity = request.form.get("severity") or "ack"
        order_actions.add_note(get_db(), order_id, request.form.get("text"),
                        actor(), severity)
    except errors.OrderNotFound:
        abort(404, "Order %d not found" % order_id)
    except errors.BadInput as e:
        flash(str(e), "error")
        return profile(order_id=order_id, status=400)
    except states.IllegalAction as e:
        flash(str(e), "error")
    else:
        flash("Note added: scanner guns will show it as an alert%s." % (
            " to acknowledge" if severity == "ack" else " (information)"),
            "success")
    return redirect(url_for(".profile", order_id=order_id) + "#notes")
