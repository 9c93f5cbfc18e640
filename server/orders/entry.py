"""Creating an order on its Overview: items (with the discount),
shipping, verification and payment — the Order Menu effects of an Open
order, and Confirm Payment.  server.orders.actions runs them (status
check, history, snapshot revision) like every other action."""
from server.clients import allowance as client_allowance
from server.core import fields
from server.core.db import now
from server.core.errors import ActionRefused, BadInput
from server.core.wording import money as _money
from server.orders import pricing
from server.orders import states
from server.orders.effects import Done
from server.orders.items import (CARRIER_MAX, QTY_MAX, TRACKING_MAX,
                                 clean_sku, parse_lines, parse_qty,
                                 shipping_rate, unit_prices)
from server.orders.queries import order_lines

_clean = fields.text
_optional = fields.optional_text


def _confirm_payment(db, order, actor, params):
    at = now()
    db["orders"].update(order["id"], {"placed_at": at, "paid_at": at})
    method = states.PAYMENT_METHODS.get(order.get("payment_method"))
    return Done("Payment confirmed: order placed.",
                "%s received" % method if method else None, True)


REFERENCE_MAX = 60
DISCOUNT_REASON_MAX = 120


def _take_payment(db, order, actor, params):
    """Card: placed at once; cash, money order or cheque: awaiting payment
    until Confirm Payment.  Needs items (queries.not_ready), shipping, a
    verified order and grams within the client's 30-day allowance."""
    method = params.get("method") or params.get("payment_method")
    if not isinstance(method, str) or method not in states.PAYMENT_METHODS:
        raise BadInput("Payment method: choose one of " + ", ".join(
            states.PAYMENT_METHODS))
    after = states.payment_target(order["status"], method)
    reference = _optional(params.get("reference")
                          or params.get("payment_reference"),
                          "Payment reference", REFERENCE_MAX)
    order_id = order["id"]
    # An order without items never gets here (queries.not_ready).
    if order["shipping_rate_id"] is None and not order["carrier"]:
        raise ActionRefused("Cannot take payment: select a shipping rate "
                            "first.")
    if not order["verified"]:
        raise ActionRefused("Cannot take payment: the order is unverified; "
                            "verify it first.")
    grams = client_allowance.order_grams(db, order_id)
    problem = client_allowance.allowance_problem(db, order["client_id"], grams,
                                        exclude_order=order_id)
    if problem:
        raise ActionRefused("Cannot take payment: " + problem)
    money = pricing.store_totals(db, order_id)
    at = now()
    changes = {"payment_method": method, "payment_reference": reference}
    if after == states.PLACED:
        changes.update(paid_at=at, placed_at=at, placed_by=actor)
        message = ("Paid by %s (%s): order placed." % (
            states.PAYMENT_METHODS[method].lower(),
            _money(money["total_cents"])))
    else:
        message = ("%s of %s to receive: the order is awaiting payment "
                   "until you confirm it." % (
                       states.PAYMENT_METHODS[method],
                       _money(money["total_cents"])))
    db["orders"].update(order_id, changes)
    detail = "%s %s" % (states.PAYMENT_METHODS[method],
                        _money(money["total_cents"]))
    if reference:
        detail += " ref " + reference
    return Done(message, detail, True, status=after)


def _verify(db, order, actor, params):
    if order["verified"]:
        raise ActionRefused("The order is already verified.")
    db["orders"].update(order["id"], {"verified": 1})
    return Done("Order verified.", "verified")


def _edit_lines(db, order, actor, params):
    """Add, remove or change the quantity of items, and set the discount.
    params: {"lines": [{"sku", "qty"}]} replaces every line; {"sku",
    "qty", "op": "set"|"add"} changes one (qty 0 removes it); {"discount"
    (dollars) or "discount_cents", "discount_reason"} sets the discount."""
    order_id = order["id"]
    current = {line["sku"]: line["qty"] for line in order_lines(db, order_id)}
    wanted = dict(current)
    touched_lines = False
    if params.get("lines") is not None:
        wanted = dict(parse_lines(params["lines"]))
        touched_lines = True
    elif params.get("sku") not in (None, ""):
        sku = clean_sku(params["sku"])
        op = params.get("op") or "set"
        if op not in ("set", "add"):
            raise BadInput("op must be 'set' or 'add'")
        if params.get("qty") in (None, ""):
            raise BadInput("Quantity for %s is missing" % sku)
        qty = parse_qty(params["qty"], sku, allow_zero=(op == "set"))
        if op == "add":
            qty += wanted.get(sku, 0)
            if qty > QTY_MAX:
                raise BadInput("Quantity for %s must be a whole number from "
                               "1 to %d" % (sku, QTY_MAX))
        if qty:
            wanted[sku] = qty
        else:
            wanted.pop(sku, None)
            if sku not in current:
                raise BadInput("%s is not on this order" % sku)
        touched_lines = True
    discount = None
    if any(params.get(k) not in (None, "") for k in
           ("discount", "discount_cents")) or "discount_reason" in params:
        discount = _amount(params, "discount", "Discount") or 0
    if not touched_lines and discount is None:
        raise BadInput("Nothing to change: give items or a discount")

    prices = unit_prices(db, [s for s in wanted if s not in current])
    details = []
    for sku, qty in wanted.items():
        if sku not in current:
            db["order_lines"].insert({"order_id": order_id, "sku": sku,
                                      "qty": qty, "price_cents": prices[sku]})
            details.append("+%s x%d" % (sku, qty))
        elif current[sku] != qty:
            db.execute("UPDATE order_lines SET qty = ? WHERE order_id = ? "
                       "AND sku = ?", [qty, order_id, sku])
            details.append("%s x%d (was %d)" % (sku, qty, current[sku]))
    for sku in current:
        if sku not in wanted:
            db.execute("DELETE FROM order_lines WHERE order_id = ? AND "
                       "sku = ?", [order_id, sku])
            details.append("-%s" % sku)
    if discount is not None:
        reason = _optional(params.get("discount_reason"), "Discount reason",
                           DISCOUNT_REASON_MAX)
        if discount and not reason:
            raise BadInput("Give a reason for the discount")
        subtotal = pricing.order_totals(db, order_id)["subtotal_cents"]
        if discount > subtotal:
            raise BadInput("The discount (%s) cannot exceed the subtotal (%s)"
                           % (_money(discount), _money(subtotal)))
        db["orders"].update(order_id, {
            "discount_cents": discount,
            "discount_reason": reason if discount else None})
        details.append("discount %s%s" % (
            _money(discount), " (%s)" % reason if reason else ""))
    money = pricing.store_totals(db, order_id)
    if not details:
        return Done("Nothing changed.")
    message = "Items updated: total due %s." % _money(money["total_cents"])
    if not touched_lines:
        message = "Discount set: total due %s." % _money(money["total_cents"])
    lines_changed = any(not d.startswith("discount") for d in details)
    return Done(message, "; ".join(details)[:200], lines_changed)


def _select_shipping(db, order, actor, params):
    """A shipping rate from the rate table ({"shipping_rate_id"}), or a
    carrier arranged outside Pickgun ({"carrier", "shipping"} typed in);
    tracking optional either way."""
    tracking = _optional(params.get("tracking"), "Tracking number",
                         TRACKING_MAX)
    rate_id = params.get("shipping_rate_id")
    if rate_id not in (None, ""):
        rate = shipping_rate(db, rate_id)
        # The orders columns to set: text, cents and ids, None for NULL.
        changes: dict[str, object] = {
            "carrier": rate["carrier"], "shipping_rate_id": rate["id"],
            "shipping_cents": rate["price_cents"]}
        label = "%s %s" % (rate["carrier"], rate["service"])
    else:
        carrier = _clean(params.get("carrier"), "Carrier", CARRIER_MAX)
        charge = _amount(params, "shipping", "Shipping charge")
        changes = {"carrier": carrier}
        if charge is not None:
            changes["shipping_cents"] = charge
            changes["shipping_rate_id"] = None
        elif carrier != order["carrier"] or order["shipping_rate_id"] is None:
            # A carrier typed in: no rate from the table, no charge unless
            # one was typed.  The same carrier again keeps its rate.
            changes.update(shipping_rate_id=None,
                           shipping_cents=order["shipping_cents"]
                           if order["shipping_rate_id"] is None else 0)
        label = carrier
    changes["tracking"] = tracking
    db["orders"].update(order["id"], changes)
    money = pricing.store_totals(db, order["id"])
    return Done("Shipping set to %s (%s)." % (
        label, _money(money["shipping_cents"])),
        label + (" " + tracking if tracking else ""))


def _amount(params, name, what):
    """Cents from `name`_cents (whole cents) or `name` (dollars), None
    when neither is given."""
    try:
        if params.get(name + "_cents") not in (None, ""):
            return pricing.parse_cents(params[name + "_cents"], what)
        if params.get(name) not in (None, ""):
            return pricing.parse_money(params[name], what)
    except ValueError as e:
        raise BadInput(str(e)) from None
    return None


EFFECTS = {
    "confirm_payment": _confirm_payment,
    "take_payment": _take_payment,
    "verify": _verify,
    "edit_lines": _edit_lines,
    "select_shipping": _select_shipping,
}
