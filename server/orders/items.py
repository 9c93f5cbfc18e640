"""What an order's items and shipping may be: quantities, product codes,
prices from the product list, shipping rates from the rate table.  Each
parser refuses anything else with BadInput naming the field."""
from server.core import fields
from server.core.db import parse_id
from server.core.errors import BadInput

NOTE_MAX = 500          # the gun shows notes as scrolling alerts
CARRIER_MAX = 40
TRACKING_MAX = 60
QTY_MAX = 100           # bottles of one product on one order


def parse_qty(value, sku, allow_zero=False):
    """A quantity from JSON (int) or a form (digits); BadInput otherwise."""
    return fields.whole(value, "Quantity for %s" % sku,
                        0 if allow_zero else 1, QTY_MAX)


def parse_lines(lines):
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
        wanted.append((sku, parse_qty(qty, sku)))
    if len({sku for sku, _ in wanted}) != len(wanted):
        raise BadInput("Each product may appear on one line only")
    return wanted


SKU_MAX = 40


def clean_sku(value):
    """A product code as sent: text, short, nothing unprintable."""
    return fields.text(value, "Product (sku)", SKU_MAX)


def unit_prices(db, skus):
    prices = {}
    for sku in skus:
        row = db.execute("SELECT price_cents FROM products WHERE sku = ?",
                         [sku]).fetchone()
        if row is None:
            raise BadInput("Unknown product %s" % fields.shown(sku))
        prices[sku] = row["price_cents"] or 0
    return prices


def shipping_rate(db, rate_id):
    """An active shipping rate by id (int or digits), else BadInput."""
    number = parse_id(rate_id)
    row = None
    if number is not None:
        row = db.execute("SELECT * FROM shipping_rates WHERE id = ? "
                         "AND active = 1", [number]).fetchone()
    if row is None:
        raise BadInput("Unknown shipping rate %s" % fields.shown(rate_id))
    return dict(row)

