"""Order money: the one function that turns lines, shipping, a discount
and the client's coverage policy into the totals every page shows and
the orders table stores.  Everything is in cents."""
from decimal import Decimal, InvalidOperation

from server.core.db import parse_int

MONEY_MAX_CENTS = 10_000_000        # $100,000: anything above is a typo


def totals(lines, shipping_cents=0, discount_cents=0, coverage_percent=None,
           coverage_max_cents=None):
    """lines: [{"qty", "price_cents"}].  Returns subtotal, shipping,
    discount (never above the subtotal), coverage (the policy's percent of
    subtotal - discount, capped at coverage_max_cents when set) and total
    due (subtotal + shipping - discount - coverage), all in cents."""
    subtotal = sum(int(line["qty"]) * int(line["price_cents"] or 0)
                   for line in lines)
    shipping = max(int(shipping_cents or 0), 0)
    discount = min(max(int(discount_cents or 0), 0), subtotal)
    base = subtotal - discount
    percent = min(max(int(coverage_percent or 0), 0), 100)
    coverage = (base * percent + 50) // 100      # half a cent rounds up
    if coverage_max_cents is not None:
        coverage = min(coverage, max(int(coverage_max_cents), 0))
    return {
        "subtotal_cents": subtotal,
        "shipping_cents": shipping,
        "discount_cents": discount,
        "coverage_cents": coverage,
        "total_cents": subtotal + shipping - discount - coverage,
    }


def order_totals(db, order_id):
    """totals() of a stored order, from its lines, its shipping and
    discount columns and its client's coverage policy."""
    order = db.execute(
        "SELECT o.shipping_cents, o.discount_cents, c.coverage_percent, "
        " c.coverage_max_cents FROM orders o JOIN clients c "
        " ON c.id = o.client_id WHERE o.id = ?", [order_id]).fetchone()
    lines = db.execute("SELECT qty, price_cents FROM order_lines "
                       "WHERE order_id = ?", [order_id]).fetchall()
    return totals(lines, order["shipping_cents"], order["discount_cents"],
                  order["coverage_percent"], order["coverage_max_cents"])


def store_totals(db, order_id):
    """Recompute and store an order's totals (call inside the write
    transaction that changed its lines, shipping or discount)."""
    t = order_totals(db, order_id)
    db["orders"].update(order_id, t)
    return t


def parse_money(value, what="Amount"):
    """Dollars -> cents: typed ("12.50", "$1,200") or a JSON number
    (12.5).  At most two decimals, not negative, at most MONEY_MAX_CENTS;
    ValueError with a readable message otherwise."""
    amount = _dollars(value)
    if amount is None:
        raise ValueError("%s must be an amount in dollars, e.g. 12.50"
                         % what)
    if amount < 0:
        raise ValueError("%s must not be negative" % what)
    if amount * 100 > MONEY_MAX_CENTS:
        raise ValueError("%s is too large (at most %s)"
                         % (what, "$" + dollars(MONEY_MAX_CENTS)))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("%s: at most two decimals (cents)" % what)
    return int(amount * 100)


def parse_cents(value, what="Amount"):
    """Whole cents (a JSON integer or digits), 0 to MONEY_MAX_CENTS."""
    cents = parse_int(value, 0, MONEY_MAX_CENTS)
    if cents is None:
        raise ValueError("%s must be a whole number of cents from 0 to %d"
                         % (what, MONEY_MAX_CENTS))
    return cents


_MONEY_TEXT_MAX = 40


def _dollars(value):
    """The finite Decimal an amount names, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    if isinstance(value, int):
        return Decimal(value)
    text = value if isinstance(value, str) else repr(value)
    text = text.strip().replace("$", "").replace(",", "").strip()
    if not text or len(text) > _MONEY_TEXT_MAX or not text.isascii():
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def dollars(cents):
    """Cents as the plain amount a form field shows: 1250 -> '12.50'."""
    return "" if cents is None else "%d.%02d" % divmod(int(cents), 100)
