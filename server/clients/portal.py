"""Client Portal services: a registered client's own orders, and the
orders they place, which arrive Open and unverified (source 'portal')
for a CSR to verify, ship and take payment."""
from server.clients import profiles
from server.core import errors
from server.orders import create
from server.orders import queries
from server.core import fields


def client_orders(db, client_id):
    return profiles.client_orders(db, client_id)


def client_order(db, client_id, order_id):
    """The client's own order detail, or None (someone else's or none)."""
    order = queries.get_order(db, order_id)
    if order is None or order["client_id"] != client_id:
        return None
    return {"order": order, "lines": queries.order_lines(db, order_id)}


def products(db):
    return [dict(r) for r in db.execute(
        "SELECT sku, name, grams, price_cents, cannabis FROM products "
        "ORDER BY name")]


def place_order(db, client_id, form):
    """An order from the portal's form (qty_<SKU> fields; blank or 0 =
    none of it).  Returns the new order id; BadInput changes nothing."""
    known = {p["sku"] for p in products(db)}
    lines = []
    for key, value in form.items():
        if not key.startswith("qty_"):
            continue
        sku = key[4:]
        if isinstance(value, str):
            value = value.strip()
        if value in ("", "0", 0, None):
            continue
        if sku not in known:
            raise errors.BadInput("Unknown product %s" % fields.shown(sku))
        lines.append((sku, value))
    if not lines:
        raise errors.BadInput("Choose at least one product and quantity.")
    client = profiles.require_client(db, client_id)
    return create.create_order(
        db, client_id, lines, actor="portal:%s" % (client["email"] or
                                                   client_id),
        source="portal", verified=False)
