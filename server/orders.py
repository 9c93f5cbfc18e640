"""Order services shared by the web pages and the JSON API.

Every change runs in one write transaction: the status check against
order_states, the action's effect, the order_history row and, when a gun
would see the change, the snapshot revision bump.  A refused action
raises before anything is written, so it changes nothing."""
import contextlib
import re

from server import dashboard, fields
from server import order_states as states
from server.db import now, parse_id, write
from server.fields import BadInput
from server.snapshots import bump_rev
from server.wording import counted

NOTE_MAX = 500          # the gun shows notes as scrolling alerts
CARRIER_MAX = 40
TRACKING_MAX = 60


class OrderNotFound(LookupError):
    def __init__(self, order_id):
        super().__init__("Order %s not found" % order_id)
        self.order_id = order_id


class ActionRefused(Exception):
    """An action the status allows but the order is not ready for, e.g.
    shipping before every line is picked (HTTP 409, like IllegalAction)."""


@contextlib.contextmanager
def transaction(db):
    """A write transaction, or the caller's one if it already opened it,
    so services compose (the worker may call them inside its own)."""
    if db.conn.in_transaction:
        yield db
    else:
        with write(db):
            yield db


# Bottles that left the building with an order: shipped to the client,
# or back from them (returned, then possibly destroyed).  They were
# dispensed, whatever the order's status became.
DISPENSED_STATUSES = ("shipped", "returned", "destroyed")


# ------------------------------------------------------------------ reads
def get_order(db, order_id):
    """The order row joined with its client's name, as a dict, or None.
    "dispensed": whether any of its picked bottles left the building
    (DISPENSED_STATUSES), which order_states asks of the after-shipping
    records."""
    row = db.execute(
        "SELECT o.*, c.name AS client_name, EXISTS ("
        " SELECT 1 FROM picks k JOIN bottles b ON b.serial = k.serial "
        " WHERE k.order_id = o.id AND k.status = 'accepted' "
        " AND b.status IN (%s)) AS dispensed "
        "FROM orders o JOIN clients c ON c.id = o.client_id WHERE o.id = ?"
        % ",".join("?" * len(DISPENSED_STATUSES)),
        [*DISPENSED_STATUSES, order_id]).fetchone()
    if row is None:
        return None
    order = dict(row)
    order["dispensed"] = bool(order["dispensed"])
    return order


def require_order(db, order_id):
    order = get_order(db, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


def order_lines(db, order_id):
    """Lines with product name and how many bottles are picked so far."""
    return [dict(r) for r in db.execute(
        "SELECT l.id, l.sku, p.name, p.grams, l.qty, l.price_cents, "
        " (SELECT count(*) FROM picks k WHERE k.order_id = l.order_id "
        "  AND k.sku = l.sku AND k.status = 'accepted') AS picked "
        "FROM order_lines l JOIN products p ON p.sku = l.sku "
        "WHERE l.order_id = ? ORDER BY l.id", [order_id])]


def order_picks(db, order_id):
    """Every pick recorded for the order, newest first, reset ones too."""
    return [dict(r) for r in db.execute(
        "SELECT k.id, k.serial, k.sku, k.lot_id, k.device_id, k.status, "
        " k.reason, k.scanned_at, k.recorded_at, t.expires_on "
        "FROM picks k LEFT JOIN lots t ON t.id = k.lot_id "
        "WHERE k.order_id = ? ORDER BY k.id DESC", [order_id])]


def order_notes(db, order_id):
    return [dict(r) for r in db.execute(
        "SELECT id, text, author, created_at, severity FROM notes "
        "WHERE order_id = ? ORDER BY id", [order_id])]


def order_history(db, order_id):
    return [dict(r) for r in db.execute(
        "SELECT action, from_status, to_status, actor, at, detail "
        "FROM order_history WHERE order_id = ? ORDER BY id DESC",
        [order_id])]


def fully_picked(lines):
    """Every line has its bottles; an order without lines has nothing
    picked, so it is not."""
    return bool(lines) and all(line["picked"] >= line["qty"]
                               for line in lines)


# Actions that make no sense for an order without items: there is
# nothing to verify, pay for, pick or ship.
NEEDS_ITEMS = ("verify", "take_payment", "confirm_payment", "pick", "ship")
ADD_AN_ITEM = "Add an item first"


def not_ready(status, lines):
    """{action: what it waits for} for the actions `status` allows that an
    order with `lines` is not ready for.  The one rule apply_action
    enforces and the pages show (a disabled button with the reason)."""
    if lines:
        return {}
    return {a: ADD_AN_ITEM for a in NEEDS_ITEMS if states.can(status, a)}


# Which after-shipping record each records table holds (server.records).
_RECORD_TABLES = {"add_complaint": "complaints",
                  "record_destruction": "destructions",
                  "return_grams": "returned_grams"}


def recorded(db, order_id):
    """The after-shipping record actions the order holds records of."""
    return {action for action, table in _RECORD_TABLES.items()
            if db.execute("SELECT 1 FROM %s WHERE order_id = ? LIMIT 1"
                          % table, [order_id]).fetchone()}


def refund_of(db, order_id):
    """The order's refund from its history, or None: {"by", "at",
    "reason", "amount_cents"}.  The amount is the one the refund recorded;
    refunds recorded before amounts were kept refunded the total paid."""
    row = db.execute(
        "SELECT h.actor, h.at, h.detail, o.total_cents FROM order_history h "
        "JOIN orders o ON o.id = h.order_id WHERE h.order_id = ? "
        "AND h.action = 'refund' ORDER BY h.id DESC LIMIT 1",
        [order_id]).fetchone()
    if row is None:
        return None
    detail = row["detail"] or ""
    amount = _REFUNDED.match(detail)
    reason = None
    if _REASON in detail:
        # The reason closes the detail (apply_action writes it last);
        # older rows went on with the bottles returned to stock.
        reason = _RELEASED_TAIL.sub("", detail.split(_REASON, 1)[1])
    return {"by": row["actor"], "at": row["at"], "reason": reason or None,
            "amount_cents": _cents(amount.group(1)) if amount
            else row["total_cents"] or 0}


# Sort keys offered on the Orders dashboard (server.dashboard): by
# creation date by default, or by order ID or status; each value says its
# default direction.
SORTS = {name: direction for name, (_, direction)
         in dashboard.SORTS.items()}


def list_orders(db, status=None, search=None, sort="created", archived=False,
                show=None, direction=None, limit=None, after=None):
    """Orders for the dashboard and GET /api/orders, as dicts (id, status,
    client_id, client_name, created_at, shipped_at, carrier, total_cents,
    archived, verified, grams, units...).

    archived: False (active only), True (archived only) or None (both);
    show: a dashboard filter ("active", "unverified", "archived") instead.
    search matches client name, order id, tracking number and bottle
    serials (full-text; at most dashboard.SEARCH_CAP matches).  sort:
    a SORTS key, direction "asc"/"desc" (the sort's default otherwise).
    limit: at most that many rows, the ones after the `after` cursor
    (dashboard.encode_cursor of the last row of the previous call)."""
    if show is None:
        show = {False: "active", True: "archived"}.get(archived)
    args = {"show": show or "", "status": status or "",
            "q": search or "", "sort": sort or "created",
            "dir": direction or "", "after": after or ""}
    query = dashboard.parse(args)
    if show is None:
        query.show = None
    query.limit = limit
    return dashboard.fetch(db, query).rows


def order_detail(db, order_id):
    """Everything the order page and GET /api/orders/<id> show."""
    order = require_order(db, order_id)
    lines = order_lines(db, order_id)
    client = db.execute("SELECT id, name, dob, email, phone, address, "
                        "ship_name, ship_address, registration_number "
                        "FROM clients WHERE id = ?",
                        [order["client_id"]]).fetchone()
    return {
        "order": order,
        "client": dict(client),
        "lines": lines,
        "fully_picked": fully_picked(lines),
        "picks": order_picks(db, order_id),
        "notes": order_notes(db, order_id),
        "history": order_history(db, order_id),
        "actions": [a.name for a in states.order_actions(order)],
        "not_ready": not_ready(order["status"], lines),
        "tabs": states.order_tabs(order, recorded(db, order_id)),
        "refund": refund_of(db, order_id),
    }


# ----------------------------------------------------------------- writes
def create_order(db, client_id, lines, actor="system", status=states.OPEN,
                 notes=(), carrier=None, created_at=None, order_id=None,
                 source="csr", verified=True, allow_empty=False,
                 coverage=True, shipping_rate_id=None, payment_method=None,
                 recurring_id=None, detail=None):
    """Create an order; lines: [(sku, qty)] or [{"sku", "qty"}].  Returns
    the new order id (`order_id` picks it, e.g. for demo data).  Prices
    come from the product list; totals from server.pricing (coverage=False
    leaves the client's coverage out, as orders recorded before coverage
    was tracked).  allow_empty: an Open order with no lines yet, for the
    CSR to fill on its Overview.  The order ships to the address on the
    client's registration document."""
    from server import pricing
    if status not in states.STATUSES:
        raise BadInput("Unknown status %s" % fields.shown(status))
    wanted = _parse_lines(lines)
    if not wanted and not (allow_empty and status == states.OPEN):
        # Only an Open order may wait for its items; placed or paid, an
        # order has something to pick.
        raise BadInput("An order needs at least one line")
    if payment_method is not None and (
            not isinstance(payment_method, str)
            or payment_method not in states.PAYMENT_METHODS):
        raise BadInput("Unknown payment method %s"
                       % fields.shown(payment_method))
    with transaction(db):
        client = db.execute("SELECT * FROM clients WHERE id = ?",
                            [client_id]).fetchone()
        if client is None:
            raise BadInput("Unknown client %s" % fields.shown(client_id))
        prices = _prices(db, [sku for sku, _ in wanted])
        rate = _rate(db, shipping_rate_id) if shipping_rate_id is not None \
            else None
        at = created_at or now()
        placed = status not in (states.OPEN, states.AWAITING_PAYMENT,
                                states.CANCELLED)
        if rate is not None:
            carrier = rate["carrier"]
        money = pricing.totals(
            [{"qty": q, "price_cents": prices[s]} for s, q in wanted],
            rate["price_cents"] if rate is not None else 0, 0,
            client["coverage_percent"] if coverage else None,
            client["coverage_max_cents"] if coverage else None)
        row = {
            "client_id": client_id, "status": status, "created_at": at,
            "placed_at": at if placed else None,
            "placed_by": actor, "carrier": carrier,
            "source": source, "verified": 1 if verified else 0,
            "shipping_rate_id": rate["id"] if rate is not None else None,
            "payment_method": payment_method, "recurring_id": recurring_id,
            "ship_address": client["ship_address"] or client["address"],
        }
        row.update(money)
        if order_id is not None:
            row["id"] = order_id
        order_id = db["orders"].insert(row).last_pk
        db["order_lines"].insert_all(
            {"order_id": order_id, "sku": sku, "qty": qty,
             "price_cents": prices[sku]} for sku, qty in wanted)
        for text in notes:
            db["notes"].insert({"order_id": order_id, "text": text,
                                "author": actor, "created_at": at})
        _history(db, order_id, "create", None, status, actor, detail, at=at)
    return order_id


QTY_MAX = 100           # bottles of one product on one order


def _parse_qty(value, sku, allow_zero=False):
    """A quantity from JSON (int) or a form (digits); BadInput otherwise."""
    return fields.whole(value, "Quantity for %s" % sku,
                        0 if allow_zero else 1, QTY_MAX)


def _parse_lines(lines):
    """[(sku, qty)] from [(sku, qty)] or [{"sku", "qty"}], validated."""
    if not isinstance(lines, (list, tuple)):
        raise BadInput("Lines must be a list of {sku, qty}")
    wanted = []
    for line in lines:
        if isinstance(line, dict):
            sku, qty = line.get("sku"), line.get("qty")
        elif isinstance(line, (list, tuple)) and len(line) == 2:
            sku, qty = line
        else:
            raise BadInput("Each line needs a sku and a qty")
        if not isinstance(sku, str) or not sku.strip():
            raise BadInput("Each line needs a product (sku)")
        sku = clean_sku(sku)
        wanted.append((sku, _parse_qty(qty, sku)))
    if len({sku for sku, _ in wanted}) != len(wanted):
        raise BadInput("Each product may appear on one line only")
    return wanted


SKU_MAX = 40


def clean_sku(value):
    """A product code as sent: text, short, nothing unprintable."""
    return fields.text(value, "Product (sku)", SKU_MAX)


def _prices(db, skus):
    prices = {}
    for sku in skus:
        row = db.execute("SELECT price_cents FROM products WHERE sku = ?",
                         [sku]).fetchone()
        if row is None:
            raise BadInput("Unknown product %s" % fields.shown(sku))
        prices[sku] = row["price_cents"] or 0
    return prices


def _rate(db, rate_id):
    """An active shipping rate by id (int or digits), else BadInput."""
    number = parse_id(rate_id)
    row = None
    if number is not None:
        row = db.execute("SELECT * FROM shipping_rates WHERE id = ? "
                         "AND active = 1", [number]).fetchone()
    if row is None:
        raise BadInput("Unknown shipping rate %s" % fields.shown(rate_id))
    return dict(row)


def add_note(db, order_id, text, author, severity="ack"):
    """Attach a note; guns show it as an alert, so the order's snapshot
    revision goes up.  severity: "ack" (the associate must acknowledge it
    before picking, the default) or "info" (shown, nothing to
    acknowledge).  Returns the note id."""
    text = _clean(text, "Note", NOTE_MAX)
    if severity is None:
        severity = "ack"
    if severity not in ("ack", "info"):
        raise BadInput("Note severity must be 'ack' (must acknowledge) or "
                       "'info' (information)")
    with transaction(db):
        order = require_order(db, order_id)
        states.require(order["status"], "add_note")
        note_id = db["notes"].insert({
            "order_id": order_id, "text": text, "author": author or "",
            "severity": severity, "created_at": now()}).last_pk
        _history(db, order_id, "add_note", order["status"], order["status"],
                 author, detail=("[info] " if severity == "info" else "")
                 + text[:80])
        bump_rev(db, order_id)
    return note_id


def apply_action(db, order_id, action, actor, params=None):
    """Do one Order Menu action.  params: the action's fields, e.g.
    {"carrier", "tracking"} for select_shipping, {"text"} for add_note.
    Returns {"order_id", "action", "from",
    "to", "message", "deleted"}.  Raises OrderNotFound, IllegalAction
    (status does not allow it), ActionRefused (order not ready) or
    BadInput (missing parameter); none of them leaves a change behind."""
    params = params or {}
    if action == "add_note":
        note_id = add_note(db, order_id, params.get("text"), actor,
                           params.get("severity"))
        status = get_order(db, order_id)["status"]
        return _result(order_id, action, status, status,
                       "Note added.", note_id=note_id)
    with transaction(db):
        order = require_order(db, order_id)
        before = order["status"]
        act = states.order_require(order, action)
        after = states.target(before, action)
        if action in DONE_ELSEWHERE:
            raise BadInput("%s is done %s, not as an Order Menu action."
                           % (act.label, DONE_ELSEWHERE[action]))
        waits_for = not_ready(before, order_lines(db, order_id)).get(action)
        if waits_for:
            raise ActionRefused("%s: the order has no items. %s."
                                % (act.label, waits_for))
        reason = _optional(params.get("reason"), "Reason", REASON_MAX)
        if action == "pick":
            # Picking happens on the guns; the server has nothing to do.
            return _result(order_id, action, before, after,
                           "Scan this order's QR code with a scanner gun "
                           "to pick its bottles.")
        effect = _EFFECTS.get(action, _record_only)
        outcome = effect(db, order, actor, params)
        message, detail, gun_visible = outcome[:3]
        if len(outcome) > 3:
            # The effect decides where the order goes (Take Payment: by
            # order_states.payment_target).
            after = outcome[3]
        deleted = action == "delete"
        if not deleted:
            if after != before:
                db["orders"].update(order_id, {"status": after})
                if _releases_picks(before, after):
                    count = _release_picks(db, order_id, "picked")
                    if count:
                        detail = _join(detail, "%s returned to inventory"
                                       % counted(count, "picked bottle",
                                                 "picked bottles"))
                gun_visible = True
            if reason:
                # Last, so the reason reads back whole (refund_of).
                detail = _join(detail, _REASON + reason)
            _history(db, order_id, action, before, after, actor, detail)
            if gun_visible:
                bump_rev(db, order_id)
    if not message:
        message = ("%s: the order is now %s." % (
            act.label, states.STATUS_LABELS[after]) if after != before
            else "%s recorded in the order history." % act.label)
    return _result(order_id, action, before, after, message, deleted=deleted)


# Actions with a service and form of their own (they record their own
# history); apply_action refuses them rather than log an empty entry.
DONE_ELSEWHERE = {
    "upload_document": "from the Documents section",
    "generate_documents": "from the Documents section",
    "print_shipping_label": "from the Documents section",
    "reprint_patient_labels": "by the label reprint, which returns the PDF",
    "reprint_bottle_labels": "by the label reprint, which returns the PDF",
    "add_complaint": "on the Complaints tab",
    "record_destruction": "on the Destruction tab",
    "return_grams": "on the Returned Grams tab",
}
REASON_MAX = 200
DETAIL_MAX = 200


def archive_all(db, status, actor):
    """The dashboard's Archive Shipped / Archive Delivered: archive every
    unarchived order in `status`.  Returns how many were archived."""
    states.require(status, "archive")
    with transaction(db):
        ids = [r["id"] for r in db.execute(
            "SELECT id FROM orders WHERE status = ? AND archived = 0",
            [status])]
        for order_id in ids:
            apply_action(db, order_id, "archive", actor)
    return len(ids)


def _result(order_id, action, before, after, message, **extra):
    out = {"order_id": order_id, "action": action, "from": before,
           "to": after, "message": message, "deleted": False}
    out.update(extra)
    return out


def _releases_picks(before, after):
    # Bottles picked for an order that will now never ship are still on
    # the shelf: put them back in stock instead of leaving them reserved.
    return states.awaiting_fulfilment(before) and after != states.SHIPPED \
        and not states.awaiting_fulfilment(after)


def _picked_serials(db, order_id, bottle_status=None):
    """Serials of the order's accepted picks, optionally only those whose
    bottle is in `bottle_status` ('picked', 'shipped'...)."""
    cond = "" if bottle_status is None else " AND b.status = ?"
    args = [order_id] + ([] if bottle_status is None else [bottle_status])
    return [r["serial"] for r in db.execute(
        "SELECT k.serial FROM picks k JOIN bottles b ON b.serial = k.serial "
        "WHERE k.order_id = ? AND k.status = 'accepted'" + cond, args)]


def _release_picks(db, order_id, bottle_status=None):
    """Mark accepted picks 'reset' and return their bottles to stock.
    bottle_status limits it to bottles in that status.  Returns count."""
    serials = _picked_serials(db, order_id, bottle_status)
    for serial in serials:
        db.execute("UPDATE picks SET status = 'reset' WHERE serial = ? "
                   "AND order_id = ? AND status = 'accepted'",
                   [serial, order_id])
        db.execute("UPDATE bottles SET status = 'in_stock', order_id = NULL "
                   "WHERE serial = ?", [serial])
    return len(serials)


# Effects: (db, order, actor, params) -> (message, history detail,
# whether guns must see it).  Status changes are applied by apply_action.
def _unshippable(lines):
    """Why an order with these lines cannot ship yet, or None."""
    short = ["%s (%d of %d)" % (l["sku"], l["picked"], l["qty"])
             for l in lines if l["picked"] < l["qty"]]
    if short:
        return "not every line is fully picked: " + ", ".join(short)
    over = [l["sku"] for l in lines if l["picked"] > l["qty"]]
    if over:
        return ("more bottles picked than ordered for %s; use %s"
                % (", ".join(over), states.label("reset_picking")))
    return None


def _ship(db, order, actor, params):
    lines = order_lines(db, order["id"])
    problem = _unshippable(lines)
    if problem:
        raise ActionRefused("Cannot ship: %s." % problem)
    # Shipping records carrier, tracking and date; the carrier defaults
    # to the one chosen with the shipping rate.
    carrier = _optional(params.get("carrier"), "Carrier", CARRIER_MAX) \
        or order["carrier"]
    tracking = _optional(params.get("tracking"), "Tracking number",
                         TRACKING_MAX) or order["tracking"]
    changes = {"shipped_at": now(), "carrier": carrier, "tracking": tracking}
    db["orders"].update(order["id"], changes)
    db.execute("UPDATE bottles SET status = 'shipped' WHERE serial IN "
               "(SELECT serial FROM picks WHERE order_id = ? "
               " AND status = 'accepted')", [order["id"]])
    units = sum(l["qty"] for l in lines)
    detail = counted(units, "bottle")
    if carrier:
        detail += ", " + carrier + (" " + tracking if tracking else "")
    return "Order shipped (%s)." % counted(units, "bottle"), detail, True


def _mark_delivered(db, order, actor, params):
    db["orders"].update(order["id"], {"delivered_at": now()})
    return None, None, True


def _reset_picking(db, order, actor, params):
    count = _release_picks(db, order["id"])
    bottles = counted(count, "bottle")
    return ("Picking reset: %s returned to inventory." % bottles,
            "%s returned to inventory" % bottles, True)


def _return_bottles(db, order, actor, params):
    # Returned bottles wait in quarantine for a destruction or restock
    # decision; they are not sellable stock yet.
    cur = db.execute("UPDATE bottles SET status = 'returned' WHERE serial IN "
                     "(SELECT serial FROM picks WHERE order_id = ? AND "
                     " status = 'accepted') AND status = 'shipped'",
                     [order["id"]])
    count = cur.rowcount
    bottles = counted(count, "bottle")
    return ("%s marked returned." % bottles, "%s returned" % bottles, False)


def _refund(db, order, actor, params):
    # The whole payment goes back; the history keeps the amount, which
    # the Payment section shows (refund_of).
    paid = order["total_cents"] or 0
    method = states.PAYMENT_METHODS.get(order["payment_method"])
    return ("Refunded %s to the client: the order is now %s." % (
        _money(paid), states.STATUS_LABELS[states.REFUNDED]),
        _REFUNDED_TEXT % _money(paid) + (" by " + method.lower()
                                          if method else ""), True)


def _archive(db, order, actor, params):
    archived = 0 if order["archived"] else 1
    db["orders"].update(order["id"], {"archived": archived})
    word = "archived" if archived else "unarchived"
    message = ("Order #%d archived: the dashboard lists it under Archived."
               if archived else "Order #%d unarchived: the dashboard lists "
               "it among active orders again.") % order["id"]
    return message, word, False


def _delete(db, order, actor, params):
    order_id = order["id"]
    if _has_documents(db, order_id):
        # Uploaded records are kept: cancel the order instead.
        raise ActionRefused("Cannot delete: the order has uploaded "
                            "documents; cancel it instead.")
    for table in ("picks", "notes", "order_lines", "order_history"):
        db.execute("DELETE FROM %s WHERE order_id = ?" % table, [order_id])
    db.execute("UPDATE bottles SET order_id = NULL WHERE order_id = ?",
               [order_id])
    db.execute("DELETE FROM orders WHERE id = ?", [order_id])
    return "Order #%d deleted." % order_id, None, False


def _has_documents(db, order_id):
    return db.execute("SELECT 1 FROM documents WHERE order_id = ?",
                      [order_id]).fetchone() is not None


def _record_only(db, order, actor, params):
    # Labels and documents are produced outside Pickgun; the order keeps a
    # record of every request (a reprint with no record is a known gap).
    detail = _optional(params.get("detail"), "Detail", DETAIL_MAX)
    return None, detail, False


_EFFECTS = {
    "ship": _ship,
    "mark_delivered": _mark_delivered,
    "reset_picking": _reset_picking,
    "return_bottles": _return_bottles,
    "refund": _refund,
    "archive": _archive,
    "delete": _delete,
}


# -------------------------------------------------------- before acting
def effect_text(db, order, action):
    """What `action` will do to `order`, in a sentence or two, for a page
    to say before the CSR does it.  It asks the rules the effects above
    follow (_releases_picks, _unshippable, _has_documents...), so the page
    says what the action does.  IllegalAction if the status does not
    allow it."""
    before = order["status"]
    after = states.target(before, action)
    order_id = order["id"]
    said = []
    if after != before:
        said.append("The order moves to %s." % states.STATUS_LABELS[after])
    if action == "ship":
        problem = _unshippable(order_lines(db, order_id))
        if problem:
            said.append("It cannot ship yet: %s." % problem)
        else:
            count = len(_picked_serials(db, order_id))
            said.append("Its %s %s recorded as shipped, with the carrier, "
                        "the tracking number and today's date." % (
                            _bottles(count), "is" if count == 1 else "are"))
    elif action in ("refuse", "cancel", "refund"):
        if _releases_picks(before, after):
            count = len(_picked_serials(db, order_id, "picked"))
            said.append("Its %s go%s back to inventory." % (
                _bottles(count, "picked"), "es" if count == 1 else "")
                if count else "No bottle has been picked for it: stock "
                "does not change.")
        elif before == states.SHIPPED:
            count = len(_picked_serials(db, order_id))
            said.append("Its %s stay%s recorded as shipped." % (
                _bottles(count, "shipped"), "s" if count == 1 else ""))
        if action == "refund":
            said.append("Pickgun records that the order's %s goes back "
                        "to the client; it moves no money itself." % _money(
                            order["total_cents"]))
    elif action == "reset_picking":
        count = len(_picked_serials(db, order_id))
        shipped = len(_picked_serials(db, order_id, "shipped"))
        if not count:
            said.append("No bottle is picked for it: only the order history "
                        "records the reset.")
        else:
            said.append("Every bottle picked for it (%d%s) goes back to "
                        "inventory as in stock; the order stays %s%s." % (
                            count, ", %d of them shipped" % shipped
                            if shipped else "", states.STATUS_LABELS[before],
                            ", to be picked again"
                            if states.awaiting_fulfilment(before) else ""))
    elif action == "return_bottles":
        count = len(_picked_serials(db, order_id, "shipped"))
        said.append("Its %s %s marked returned and wait%s in quarantine for "
                    "destruction or restocking; the order stays %s." % (
                        _bottles(count, "shipped"),
                        "is" if count == 1 else "are",
                        "s" if count == 1 else "",
                        states.STATUS_LABELS[before]) if count else
                    "No bottle of this order is recorded as shipped: none "
                    "will be marked returned.")
    elif action == "delete":
        if _has_documents(db, order_id):
            said.append("It has uploaded documents, so it cannot be "
                        "deleted: cancel it instead.")
        else:
            said.append("Order #%d, its items, notes and history are "
                        "removed for good. This cannot be undone." % order_id)
    if not said:
        said.append("%s is recorded in the order history." % states.label(
            action, order))
    return " ".join(said)


def _bottles(count, kind=""):
    return "%d %sbottle%s" % (count, kind + " " if kind else "",
                              "" if count == 1 else "s")


def _money(cents):
    return "$%s" % format((cents or 0) / 100, ",.2f")


# ---------------------------------------------------------------- helpers
def _history(db, order_id, action, before, after, actor, detail=None,
             at=None):
    db["order_history"].insert({
        "order_id": order_id, "action": action, "from_status": before,
        "to_status": after, "actor": actor or "", "at": at or now(),
        "detail": detail})


# For other services (documents, records...) writing history rows.
record_history = _history


_clean = fields.text
_optional = fields.optional_text


def _join(a, b):
    return b if not a else a + "; " + b


def _money(cents):
    return "$%s" % format((cents or 0) / 100, ",.2f")


def _cents(text):
    return round(float(text.replace(",", "")) * 100)


# How history details word a refund and a reason, and read them back.
_REFUNDED_TEXT = "Refunded %s"
_REFUNDED = re.compile(r"Refunded \$([0-9,]+\.[0-9]{2})\b")
_REASON = "Reason: "
_RELEASED_TAIL = re.compile(r"; [0-9]+ picked bottle\(s\) returned to "
                            r"inventory$")


# Creating an order (items, shipping, discount, payment) has its own
# module; its effects join the table here.  Imported last: it uses the
# names above.
from server.order_entry import ENTRY_EFFECTS  # noqa: E402

_EFFECTS.update(ENTRY_EFFECTS)
