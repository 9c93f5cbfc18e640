"""Recurring monthly orders: a client's standing order (lines, day of the
month, shipping rate, payment method), listed, created, edited, paused
and resumed here; server.orders.recurring_run turns them into Open orders
on their day (the rules are there)."""
import datetime
from typing import TypedDict

from server.core import fields
from server.orders import states
from server.core.db import now, parse_id, parse_int
from server.orders.items import QTY_MAX
from server.core.errors import BadInput
from server.orders.recurring_run import first_due, next_run
from server.core.db import transaction

DAY_MIN, DAY_MAX = 1, 31


# ---------------------------------------------------------------- reads
def list_recurring(db, client_id=None, active=None):
    where, params = [], []
    if client_id is not None:
        where.append("r.client_id = ?")
        params.append(client_id)
    if active is not None:
        where.append("r.active = ?")
        params.append(1 if active else 0)
    rows = [dict(r) for r in db.execute(
        "SELECT r.*, c.name AS client_name, s.carrier, s.service, "
        " s.price_cents AS shipping_cents, "
        " (SELECT status || ': ' || coalesce(reason, order_ids, '') "
        "  FROM recurring_runs x WHERE x.recurring_id = r.id "
        "  ORDER BY x.id DESC LIMIT 1) AS last_outcome "
        "FROM recurring_orders r JOIN clients c ON c.id = r.client_id "
        "LEFT JOIN shipping_rates s ON s.id = r.shipping_rate_id" +
        (" WHERE " + " AND ".join(where) if where else "") +
        " ORDER BY c.name COLLATE NOCASE, r.id", params)]
    for row in rows:
        row["lines"] = recurring_lines(db, row["id"])
        row["grams"] = sum(line["grams_total"] for line in row["lines"])
    return rows


def get_recurring(db, recurring_id):
    rows = [r for r in list_recurring(db) if r["id"] == recurring_id]
    return rows[0] if rows else None


def recurring_lines(db, recurring_id):
    return [dict(r) for r in db.execute(
        "SELECT l.sku, l.qty, p.name, p.price_cents, p.grams, p.cannabis, "
        " CASE WHEN p.cannabis = 1 THEN l.qty * p.grams ELSE 0 END "
        "  AS grams_total "
        "FROM recurring_lines l JOIN products p ON p.sku = l.sku "
        "WHERE l.recurring_id = ? ORDER BY l.id", [recurring_id])]


def recurring_runs(db, recurring_id, limit=12):
    return [dict(r) for r in db.execute(
        "SELECT * FROM recurring_runs WHERE recurring_id = ? "
        "ORDER BY id DESC LIMIT ?", [recurring_id, limit])]


# --------------------------------------------------------------- writes
class RecurringFields(TypedDict):
    day_of_month: int
    shipping_rate_id: int
    payment_method: str
    active: int                 # 0 or 1
    lines: list[tuple[str, int]]    # (sku, qty)


def _clean(form, db) -> RecurringFields:
    """Validated fields of a recurring order from a form or JSON dict:
    day_of_month, shipping_rate_id, payment_method, active, lines
    [(sku, qty)] (form: qty_<SKU> fields, blank or 0 = not on it)."""
    errors = []

    def whole(name, label, low, high):
        try:
            return fields.whole(form.get(name), label, low, high)
        except BadInput as e:
            errors.append("%s." % e)
            return None

    day = whole("day_of_month", "Day of month", DAY_MIN, DAY_MAX)
    rate = parse_id(form.get("shipping_rate_id"))
    if rate is None or db.execute(
            "SELECT 1 FROM shipping_rates WHERE id = ? AND active = 1",
            [rate]).fetchone() is None:
        errors.append("Choose a shipping rate.")
    method = form.get("payment_method")
    if not isinstance(method, str) or method not in states.PAYMENT_METHODS:
        errors.append("Choose a payment method.")
    active = form.get("active", 1)

    lines = form.get("lines")
    if lines is None:
        lines = []
        for key in form:
            if key.startswith("qty_"):
                value = form.get(key)
                if value in (None, "", "0"):
                    continue
                lines.append((key[4:], value))
    wanted = []
    for entry in lines if isinstance(lines, (list, tuple)) else [None]:
        if isinstance(entry, dict):
            sku, qty = entry.get("sku"), entry.get("qty")
        elif isinstance(entry, (list, tuple)) and len(entry) == 2:
            sku, qty = entry
        else:
            errors.append("Lines must be a list of {sku, qty}.")
            break
        if not isinstance(sku, str) or db.execute(
                "SELECT 1 FROM products WHERE sku = ?",
                [sku]).fetchone() is None:
            errors.append("Unknown product %s." % fields.shown(sku))
            continue
        qty = parse_int(qty, 1, QTY_MAX)
        if qty is None:
            errors.append("Quantity for %s must be a whole number from 1 "
                          "to %d." % (sku, QTY_MAX))
            continue
        if sku in dict(wanted):
            errors.append("Each product may appear on one line only.")
            continue
        wanted.append((sku, qty))
    if not wanted and not errors:
        errors.append("A recurring order needs at least one item.")
    # A day or rate of None has its error in `errors` already.
    if errors or day is None or rate is None:
        raise BadInput(" ".join(errors))
    return {"day_of_month": day, "shipping_rate_id": rate,
            "payment_method": method,
            "active": 0 if active in (0, "0", False, "", "off", None) else 1,
            "lines": wanted}


def create_recurring(db, client_id, form, actor="system", today=None):
    """A new recurring order; returns its id.  Its first run is the next
    day-of-month on or after today."""
    values = _clean(form, db)
    today = today or datetime.date.today()
    with transaction(db):
        if db.execute("SELECT 1 FROM clients WHERE id = ?",
                      [client_id]).fetchone() is None:
            raise BadInput("Unknown client %s" % fields.shown(client_id))
        rid = db["recurring_orders"].insert({
            "client_id": client_id, "active": values["active"],
            "day_of_month": values["day_of_month"],
            "shipping_rate_id": values["shipping_rate_id"],
            "payment_method": values["payment_method"],
            "next_run": first_due(values["day_of_month"], today).isoformat(),
            "created_by": actor, "created_at": now()}).last_pk
        db["recurring_lines"].insert_all(
            {"recurring_id": rid, "sku": s, "qty": q}
            for s, q in values["lines"])
    return rid


def update_recurring(db, recurring_id, form, actor="system", today=None):
    values = _clean(form, db)
    today = today or datetime.date.today()
    with transaction(db):
        row = db.execute("SELECT * FROM recurring_orders WHERE id = ?",
                         [recurring_id]).fetchone()
        if row is None:
            raise BadInput("Unknown recurring order %s"
                           % fields.shown(recurring_id))
        db["recurring_orders"].update(recurring_id, {
            "active": values["active"],
            "day_of_month": values["day_of_month"],
            "shipping_rate_id": values["shipping_rate_id"],
            "payment_method": values["payment_method"],
            "next_run": next_run(db, recurring_id,
                                 values["day_of_month"], today)})
        db.execute("DELETE FROM recurring_lines WHERE recurring_id = ?",
                   [recurring_id])
        db["recurring_lines"].insert_all(
            {"recurring_id": recurring_id, "sku": s, "qty": q}
            for s, q in values["lines"])


def set_active(db, recurring_id, active, today=None):
    """Pause (active=False) or resume a recurring order."""
    today = today or datetime.date.today()
    with transaction(db):
        row = db.execute("SELECT * FROM recurring_orders WHERE id = ?",
                         [recurring_id]).fetchone()
        if row is None:
            raise BadInput("Unknown recurring order %s"
                           % fields.shown(recurring_id))
        changes: dict[str, int | str] = {"active": 1 if active else 0}
        if active and not row["active"]:
            # Resumed: no catching up on the months it was paused.
            changes["next_run"] = next_run(db, recurring_id,
                                           row["day_of_month"], today)
        db["recurring_orders"].update(recurring_id, changes)
