"""Orders dashboard and Order Profile pages for CSRs."""
import qrcode
import qrcode.image.svg
from flask import (Blueprint, abort, flash, redirect, render_template,
                   request, url_for)
from markupsafe import Markup

from server import auth
from server import order_states as states
from server import orders
from server.db import get_db
from shared import wire

bp = Blueprint("orders", __name__, url_prefix="/orders")

# Actions the Order Menu shows as links to a part of the page instead of
# a button, because they need more than one click.
ACTION_ANCHORS = {"add_note": "notes", "pick": "qr"}
# Actions whose button sits in a small form with these fields.
ACTION_FIELDS = {
    "select_shipping": [("carrier", "Carrier", True),
                        ("tracking", "Tracking number", False)],
}


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


@bp.app_template_filter("money")
def money(cents):
    return "$%s" % format((cents or 0) / 100, ",.2f")


@bp.app_template_filter("status_label")
def status_label(status):
    return states.STATUS_LABELS.get(status, status)


@bp.app_template_filter("reason_text")
def reason_text(reason):
    return wire.reason_text(reason) if reason else ""


@bp.app_template_filter("grams")
def grams(value):
    return ("%.1f g" % value) if value else ""


@bp.get("/")
def index():
    status = request.args.get("status") or None
    if status not in states.STATUSES:
        status = None
    show = request.args.get("show", "active")
    archived = {"active": False, "archived": True}.get(show)
    sort = request.args.get("sort", "created")
    search = request.args.get("q", "").strip()
    rows = orders.list_orders(get_db(), status=status, search=search or None,
                              sort=sort, archived=archived)
    return render_template(
        "orders/list.html", orders=rows, bulk_archive=BULK_ARCHIVE, status=status, show=show,
        sort=sort if sort in orders.SORTS else "created", q=search,
        statuses=states.STATUS_LABELS)


@bp.post("/archive/<status>")
def archive_all(status):
    if status not in BULK_ARCHIVE:
        abort(404)
    auth.require("archive_all")
    count = orders.archive_all(get_db(), status, actor())
    flash("Archived %d order%s in status %s." % (
        count, "" if count == 1 else "s", status_label(status)), "success")
    return redirect(url_for(".index"))


def _detail_or_404(order_id):
    try:
        return orders.order_detail(get_db(), order_id)
    except orders.OrderNotFound:
        abort(404, "Order %d not found" % order_id)


@bp.get("/<int:order_id>")
def profile(order_id):
    detail = _detail_or_404(order_id)
    status = detail["order"]["status"]
    tabs = states.tabs(status)
    tab = request.args.get("tab") or "overview"
    if tab not in dict(tabs):
        # A tab this status does not have (e.g. an old link): the overview.
        tab = "overview"
    return render_template(
        "orders/profile.html", d=detail, o=detail["order"], tabs=tabs,
        tab=tab,
        code=wire.order_code(order_id), qr=qr_svg(wire.order_code(order_id)),
        menu=states.allowed_actions(status), anchors=ACTION_ANCHORS,
        fields=ACTION_FIELDS)


@bp.get("/<int:order_id>/live")
def live(order_id):
    """Lines and picks only: the profile page polls this to show picks
    as the guns record them."""
    detail = _detail_or_404(order_id)
    return render_template("orders/_live.html", d=detail, o=detail["order"])


@bp.post("/<int:order_id>/actions/<name>")
def act(order_id, name):
    auth.require(name)
    try:
        result = orders.apply_action(get_db(), order_id, name, actor(),
                                     request.form.to_dict())
    except orders.OrderNotFound:
        abort(404, "Order %d not found" % order_id)
    except (states.IllegalAction, orders.ActionRefused,
            orders.BadInput) as e:
        flash(str(e), "error")
        return redirect(url_for(".profile", order_id=order_id))
    flash(result["message"], "success")
    if result["deleted"]:
        return redirect(url_for(".index"))
    if name == "reprint_bottle_labels":
        # The request is in the history; the page now offers the PDF,
        # whose download is recorded too (server.labels).
        return redirect(url_for(".profile", order_id=order_id,
                                labels="ready"))
    return redirect(url_for(".profile", order_id=order_id))


@bp.post("/<int:order_id>/notes")
def add_note(order_id):
    auth.require("add_note")
    try:
        orders.add_note(get_db(), order_id, request.form.get("text"),
                        actor())
    except orders.OrderNotFound:
        abort(404, "Order %d not found" % order_id)
    except (states.IllegalAction, orders.BadInput) as e:
        flash(str(e), "error")
    else:
        flash("Note added: scanner guns will show it as an alert.",
              "success")
    return redirect(url_for(".profile", order_id=order_id) + "#notes")
