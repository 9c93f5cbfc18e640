"""Clients: registration, the address orders ship to, the prescription
and its allowance (server.clients.allowance), the payment coverage policy
and the Client Portal password."""
import datetime
import re

from werkzeug.security import generate_password_hash

from server.orders import pricing
from server.core import fields
from server.orders import states
from server.core.db import now, transaction
from server.core.errors import BadInput

PAGE_SIZE = 25

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{7,20}$")
_REGISTRATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{2,39}$")


class ClientNotFound(LookupError):
    def __init__(self, client_id):
        super().__init__("Client %s not found" % client_id)
        self.client_id = client_id


# ------------------------------------------------------------------ reads
# What pages, PDFs and the API may show of a client: never the portal
# password's hash, only whether there is one.
CLIENT_COLUMNS = (
    "id, name, dob, email, phone, address, created_at, registration_number, "
    "registered_on, registration_expires, ship_name, ship_address, "
    "prescriber, prescription_expires, allowance_grams, coverage_name, "
    "coverage_percent, coverage_max_cents, notes, "
    "coalesce(portal_password_hash, '') != '' AS portal_enabled")


def get_client(db, client_id):
    row = db.execute("SELECT %s FROM clients WHERE id = ?" % CLIENT_COLUMNS,
                     [client_id]).fetchone()
    return dict(row) if row else None


def require_client(db, client_id):
    client = get_client(db, client_id)
    if client is None:
        raise ClientNotFound(client_id)
    return client


def search_clients(db, q=None, page=1, page_size=PAGE_SIZE):
    """(rows, total) of clients matching q (name, email or registration
    number), by name, one page at a time (page counts from 1)."""
    where, params = "", []
    if q and q.strip():
        like = "%" + q.strip() + "%"
        where = (" WHERE name LIKE ? OR email LIKE ? "
                 "OR registration_number LIKE ?")
        params = [like, like, like]
    total = db.execute("SELECT count(*) FROM clients" + where,
                       params).fetchone()[0]
    page = max(int(page or 1), 1)
    rows = [dict(r) for r in db.execute(
        "SELECT id, name, dob, email, phone, registration_number, "
        " prescription_expires, allowance_grams, coverage_name, "
        " (SELECT count(*) FROM orders o WHERE o.client_id = clients.id) "
        "  AS orders "
        "FROM clients" + where + " ORDER BY name COLLATE NOCASE, id "
        "LIMIT ? OFFSET ?", params + [page_size, (page - 1) * page_size])]
    return rows, total


def client_orders(db, client_id):
    return [dict(r) for r in db.execute(
        "SELECT o.id, o.status, o.created_at, o.placed_at, o.shipped_at, "
        " o.carrier, o.total_cents, o.source, o.verified, o.archived, "
        " (SELECT sum(l.qty * p.grams) FROM order_lines l JOIN products p "
        "  ON p.sku = l.sku WHERE l.order_id = o.id AND p.cannabis = 1) "
        "  AS grams "
        "FROM orders o WHERE o.client_id = ? "
        "ORDER BY o.created_at DESC, o.id DESC", [client_id])]


# ----------------------------------------------------------------- writes
# (field, label, kind, required, max length)
FIELDS = [
    ("name", "Name", "text", True, 80),
    ("dob", "Date of birth", "birth_date", True, None),
    ("email", "Email", "email", True, 120),
    ("phone", "Phone", "phone", False, None),
    ("address", "Home address", "text", False, 200),
    ("registration_number", "Registration number", "registration", True,
     None),
    ("registered_on", "Registered on", "date", False, None),
    ("registration_expires", "Registration expires", "date", False, None),
    ("ship_name", "Ship to (name)", "text", True, 80),
    ("ship_address", "Shipping address (registration document)", "text",
     True, 200),
    ("prescriber", "Prescriber", "text", False, 80),
    ("prescription_expires", "Prescription expires", "date", False, None),
    ("allowance_grams", "Allowance (g per 30 days)", "grams", False, None),
    ("coverage_name", "Coverage policy", "text", False, 80),
    ("coverage_percent", "Coverage (%)", "percent", False, None),
    ("coverage_max_cents", "Coverage cap per order ($)", "money", False,
     None),
    ("notes", "Notes", "text", False, 1000),
]
ALLOWANCE_MAX = 150 * 30       # 150 g a day is far beyond any prescription
TEXT_FIELD_MAX = 200           # fields whose own rule has no length
PORTAL_PASSWORD = "Portal password"


def clean_client(form):
    """Validated column values from a submitted form (dict of strings).
    Raises BadInput naming every bad field."""
    out, errors = {}, []
    for name, label, kind, required, limit in FIELDS:
        raw = form.get(name)
        raw = raw.strip() if isinstance(raw, str) else raw
        if raw in (None, ""):
            if required:
                errors.append("%s is required." % label)
            out[name] = None
            continue
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            errors.append("%s is not valid." % label)
            continue
        text = str(raw)
        try:
            value = _field_value(kind, text, label, limit)
        except ValueError as e:
            msg = str(e)
            if msg.startswith(label):
                errors.append(msg.rstrip(".") + ".")
            else:
                errors.append("%s: %s." % (label, msg))
            continue
        out[name] = value
    if out.get("coverage_percent") and not out.get("coverage_name"):
        errors.append("Name the coverage policy, or set its percent to 0.")
    if errors:
        raise BadInput(" ".join(errors))
    return out


def _field_value(kind, text, label, limit):
    """The column value of one typed field (FIELDS' kind); ValueError
    (fields.BadInput is one) saying what is wrong."""
    if kind == "date":
        return fields.date(text, label).isoformat()
    if kind == "birth_date":
        day = fields.date(text, label, latest=datetime.date.max)
        if day > datetime.date.today():
            raise ValueError("cannot be in the future")
        return day.isoformat()
    if kind == "grams":
        return fields.grams(text, label, ALLOWANCE_MAX, allow_zero=True)
    if kind == "percent":
        return fields.whole(text, label, 0, 100)
    if kind == "money":
        return pricing.parse_money(text, label)
    text = fields.text(text, label, limit or TEXT_FIELD_MAX)
    if kind == "email" and not _EMAIL.match(text):
        raise ValueError("not an email address")
    if kind == "phone" and not _PHONE.match(text):
        raise ValueError("digits, spaces, ( ) . - only")
    if kind == "registration":
        if not _REGISTRATION.match(text):
            raise ValueError("3-40 letters, digits or dashes")
        return text.upper()
    return text.lower() if kind == "email" else text


def update_client(db, client_id, form, actor="system"):
    """Edit a client's details from a form; returns the changed fields.
    A non-empty `portal_password` sets the Client Portal password."""
    values = clean_client(form)
    password = form.get("portal_password")
    if password:
        fields.password(password, PORTAL_PASSWORD)
    with transaction(db):
        client = require_client(db, client_id)
        if values.get("email") and db.execute(
                "SELECT 1 FROM clients WHERE lower(email) = ? AND id != ?",
                [values["email"], client_id]).fetchone():
            raise BadInput("Another client already uses the email %s."
                           % values["email"])
        changed = [k for k, v in values.items() if client.get(k) != v]
        at = now()
        db["client_history"].insert_all(
            {"client_id": client_id, "field": k, "old": _text(client.get(k)),
             "new": _text(values[k]), "actor": actor or "", "at": at}
            for k in changed)
        if password:
            values["portal_password_hash"] = generate_password_hash(password)
            changed.append("portal password")
            # Recorded, never the password or its hash.
            db["client_history"].insert({
                "client_id": client_id, "field": "portal password",
                "old": None, "new": "(changed)", "actor": actor or "",
                "at": at})
        db["clients"].update(client_id, values)
        if changed:
            # Open orders show the new coverage at once.
            for row in db.execute(
                    "SELECT id FROM orders WHERE client_id = ? AND status = ?",
                    [client_id, states.OPEN]).fetchall():
                pricing.store_totals(db, row["id"])
    return changed


def _text(value):
    return None if value is None else str(value)


def client_history(db, client_id, limit=100):
    """The client's detail changes, newest first."""
    return [dict(r) for r in db.execute(
        "SELECT field, old, new, actor, at FROM client_history "
        "WHERE client_id = ? ORDER BY id DESC LIMIT ?", [client_id, limit])]

