"""Creating an order: by a CSR (an Open order to fill on its Overview, or
a complete one), from the Client Portal, a recurring order or the demo
data.  Its first history row says who created it."""
from server.core import fields
from server.core.db import now, transaction
from server.core.errors import BadInput
from server.core.history import record_history
from server.orders import pricing
from server.orders import states
from server.orders.items import parse_lines, shipping_rate, unit_prices


def create_order(db, client_id, lines, actor="system", status=states.OPEN,
                 notes=(), carrier=None, created_at=None, order_id=None,
                 source="csr", verified=True, allow_empty=False,
                 coverage=True, shipping_rate_id=None, payment_method=None,
                 recurring_id=None, detail=None):
    """Create an order; lines: [(sku, qty)] or [{"sku", "qty"}].  Returns
    the new order id (`order_id` picks it, e.g. for demo data).  Prices
    come from the product list; totals from server.orders.pricing
    (coverage=False leaves the client's coverage out, as orders recorded
    before coverage was tracked).  allow_empty: an Open order with no lines
    yet, for the CSR to fill on its Overview.  The order ships to the
    address on the client's registration document."""
    if status not in states.STATUSES:
        raise BadInput("Unknown status %s" % fields.shown(status))
    wanted = parse_lines(lines)
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
        prices = unit_prices(db, [sku for sku, _ in wanted])
        rate = (shipping_rate(db, shipping_rate_id)
                if shipping_rate_id is not None else None)
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
        record_history(db, order_id, "create", None, status, actor, detail,
                       at=at)
    return order_id

