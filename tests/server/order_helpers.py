"""Helpers for the server tests: record picks the way the MQTT worker
does, and read back what the tests check."""
from server.orders import actions, picks
from server.core.db import transaction


def record_pick(db, order_id, serial, device="G01", status="accepted",
                reason=None):
    """Record a scanned bottle as the worker would: pick row, bottle
    reserved for the order (accepted only) and snapshot revision bumped."""
    bottle = db.execute("SELECT sku, lot_id FROM bottles WHERE serial = ?",
                        [serial]).fetchone()
    with transaction(db):
        picks.record_pick(db, order_id, serial, bottle["sku"],
                          bottle["lot_id"], device, "2024-03-01 10:00:00",
                          "2024-03-01 10:00:05", status, reason)


def in_stock(db, sku, count=1):
    return [r["serial"] for r in db.execute(
        "SELECT serial FROM bottles WHERE sku = ? AND status = 'in_stock' "
        "ORDER BY serial LIMIT ?", [sku, count])]


def order_row(db, order_id):
    row = db.execute("SELECT * FROM orders WHERE id = ?",
                     [order_id]).fetchone()
    return dict(row) if row else None


def history_count(db, order_id):
    return db.execute("SELECT count(*) FROM order_history WHERE order_id = ?",
                      [order_id]).fetchone()[0]


def place_order(db, order_id, actor="tester", method="credit_card"):
    """Take an Open order through the CSR's steps to Order Placed (or
    Awaiting Payment for cash, money order or cheque): typed-in shipping,
    then payment."""
    actions.apply_action(db, order_id, "select_shipping", actor,
                        {"carrier": "Canada Post"})
    return actions.apply_action(db, order_id, "take_payment", actor,
                               {"method": method})


def everything(db):
    """Every row of every table: equal before and after means nothing
    changed."""
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: sorted(repr(tuple(r)) for r in db.execute(
        'SELECT * FROM "%s"' % t)) for t in tables}
