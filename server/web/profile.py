"""The Order Profile's whole context, built in one function: the order's
detail, its tabs and Order Menu, the side column's documents and notes,
and what the tab shown needs.  The templates only display it: no template
global reads the database."""
from flask import current_app

from server.documents import labels
from server.clients import allowance as client_allowance
from server.clients import profiles
from server.documents import kinds, receipts
from server.documents import store as documents
from server.orders import complaints, destruction, queries, records
from server.orders.lots import order_lot_flags
from server.orders import returned_grams, states
from shared import wire


def profile_context(db, order_id, tab, menu):
    """Everything orders/profile.html shows for the order on `tab` (the
    Overview when the status has no such tab), as plain values (the
    page's .json twin serves them).  menu(order, not_ready) is the page's
    Order Menu.  Raises OrderNotFound."""
    detail = queries.order_detail(db, order_id)
    order = detail["order"]
    tabs = detail["tabs"]
    if tab not in dict(tabs):
        # A tab this status does not have (e.g. an old link): the overview.
        tab = "overview"
    producer = labels.producer(current_app.config)
    offers = None
    if "generate_documents" in detail["actions"] or tab == "receipts":
        # What Generate may offer, by the same check that refuses it.
        offers = receipts.offers(db, order_id, producer)
    code = wire.order_code(order_id)
    build = _TABS.get(tab)
    return {
        "d": detail, "tabs": tabs, "tab": tab, "code": code,
        "menu": menu(order, detail["not_ready"]),
        "profile": {
            "documents": documents.list_documents(db, order_id),
            "offers": offers,
            "notes": records.order_notes(db, order_id),
            # Bottles picked from a lot on hold, recalled or expired.
            "lot_flags": order_lot_flags(db, order_id),
            "tab": build(db, order, producer) if build else None,
        },
    }


def overview(db, order, producer):
    """Beyond the order detail: money, shipping rate, the client's
    coverage and allowance, and for an Open order the products and rates
    to choose from."""
    client = profiles.get_client(db, order["client_id"]) or {}
    rate = None
    if order.get("shipping_rate_id") is not None:
        row = db.execute("SELECT * FROM shipping_rates WHERE id = ?",
                         [order["shipping_rate_id"]]).fetchone()
        rate = dict(row) if row else None
    is_open = order["status"] == states.OPEN
    return {
        "client": client,
        "money": {k: order.get(k) or 0 for k in (
            "subtotal_cents", "shipping_cents", "discount_cents",
            "coverage_cents", "total_cents")},
        "rate": rate,
        "grams": client_allowance.order_grams(db, order["id"]),
        "allowance": client_allowance.allowance(
            db, order["client_id"], exclude_order=order["id"]),
        "products": [dict(r) for r in db.execute(
            "SELECT sku, name, grams, price_cents, cannabis FROM products "
            "ORDER BY name")] if is_open else [],
        "rates": [dict(r) for r in db.execute(
            "SELECT * FROM shipping_rates WHERE active = 1 "
            "ORDER BY price_cents, id")] if is_open else [],
        "methods": states.PAYMENT_METHODS,
        "instant": states.INSTANT_PAYMENT,
        "can": {a: states.order_can(order, a) for a in (
            "edit_lines", "select_shipping", "take_payment",
            "confirm_payment", "verify")},
    }


def _complaints(db, order, producer):
    return {"complaints": complaints.list_complaints(db, order["id"]),
            "categories": complaints.COMPLAINT_CATEGORIES}


def _destruction(db, order, producer):
    allowed = destruction.destructible_statuses(order["status"])
    bottles = destruction.order_bottles(db, order["id"])
    for b in bottles:
        b["destructible"] = b["status"] in allowed
    return {"destructions": destruction.list_destructions(db, order["id"]),
            "bottles": bottles,
            "destructible": [b for b in bottles if b["destructible"]],
            "methods": destruction.DESTRUCTION_METHODS,
            "tolerance_percent": round(records.WEIGHT_TOLERANCE * 100),
            "return_first": states.can(order["status"], "return_bottles")}


def _returned_grams(db, order, producer):
    return dict(returned_grams.list_returned_grams(db, order["id"]),
                reasons=returned_grams.RETURN_REASONS)


def _receipts(db, order, producer):
    return {"summary": receipts.receipt_data(db, order["id"], producer),
            "documents": documents.list_documents(db, order["id"],
                                                  kinds.RECEIPT_KINDS)}


def _dispensing(db, order, producer):
    return {"bottles": labels.dispensed_bottles(db, order["id"]),
            "documents": documents.list_documents(
                db, order["id"], (kinds.DISPENSING_RECORD,))}


# What each tab needs besides the order detail.
_TABS = {
    "overview": overview,
    "complaints": _complaints,
    "destruction": _destruction,
    "returned_grams": _returned_grams,
    "receipts": _receipts,
    "dispensing": _dispensing,
}
