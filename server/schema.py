"""Tables, as sqlite-utils migrations: append new migrations, never edit
an applied one."""
from sqlite_utils.migrations import Migrations

migrations = Migrations("pickgun")


@migrations()
def m001_core(db):
    db["clients"].create({
        "id": int, "name": str, "dob": str, "email": str, "phone": str,
        "address": str, "created_at": str,
    }, pk="id", not_null={"name"})
    db["products"].create({
        "sku": str, "name": str, "grams": float, "price_cents": int,
    }, pk="sku", not_null={"name"})
    db["lots"].create({
        "id": str, "sku": str, "packaged_on": str, "expires_on": str,
    }, pk="id", foreign_keys=[("sku", "products", "sku")])
    db["orders"].create({
        "id": int, "client_id": int, "status": str, "rev": int,
        "published_rev": int, "created_at": str, "placed_at": str,
        "shipped_at": str, "carrier": str, "tracking": str,
        "total_cents": int, "archived": int, "placed_by": str,
    }, pk="id", foreign_keys=[("client_id", "clients", "id")],
        not_null={"status", "rev", "client_id"},
        defaults={"rev": 1, "published_rev": 0, "archived": 0,
                  "total_cents": 0})
    db["order_lines"].create({
        "id": int, "order_id": int, "sku": str, "qty": int,
        "price_cents": int,
    }, pk="id", foreign_keys=[("order_id", "orders", "id"),
                              ("sku", "products", "sku")],
        not_null={"qty"})
    db["order_lines"].create_index(["order_id", "sku"], unique=True)
    db["bottles"].create({
        "serial": str, "sku": str, "lot_id": str, "status": str,
        "order_id": int,
    }, pk="serial", foreign_keys=[("sku", "products", "sku"),
                                  ("lot_id", "lots", "id"),
                                  ("order_id", "orders", "id")],
        not_null={"status"}, defaults={"status": "in_stock"})
    db["notes"].create({
        "id": int, "order_id": int, "text": str, "author": str,
        "created_at": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id")],
        not_null={"text"})
    db["devices"].create({
        "id": str, "name": str, "board": str, "created_at": str,
        "last_seen": str, "online": int, "fw": str, "pending": int,
        "ep": int, "upto": int, "password_hash": str,
    }, pk="id", defaults={"online": 0, "pending": 0, "ep": 0, "upto": 0})
    # Every event a gun sent, once: (device, ep, seq) is the idempotency key.
    db["device_events"].create({
        "id": int, "device_id": str, "ep": int, "seq": int, "kind": str,
        "order_id": int, "code": str, "gun_at": int, "received_at": str,
        "outcome": str, "reason": str, "payload": str,
    }, pk="id", not_null={"device_id", "ep", "seq", "kind"})
    db["device_events"].create_index(["device_id", "ep", "seq"], unique=True)
    # Picks: accepted ones hold the bottle; rejected ones say why.
    db["picks"].create({
        "id": int, "order_id": int, "serial": str, "sku": str, "lot_id": str,
        "device_id": str, "event_id": int, "scanned_at": str,
        "recorded_at": str, "status": str, "reason": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id"),
                              ("event_id", "device_events", "id")],
        not_null={"status"})
    db["picks"].create_index(["order_id"])
    db.execute("CREATE UNIQUE INDEX picks_one_accepted_per_bottle "
               "ON picks(serial) WHERE status = 'accepted'")
    db["order_history"].create({
        "id": int, "order_id": int, "action": str, "from_status": str,
        "to_status": str, "actor": str, "at": str, "detail": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id")])
    db["order_history"].create_index(["order_id"])


@migrations()
def m002_malformed_messages(db):
    # MQTT messages the worker could not use (bad topic, not JSON, wrong
    # fields...): kept so a misbehaving gun is visible, never retried.
    db["malformed_messages"].create({
        "id": int, "received_at": str, "topic": str, "device_id": str,
        "reason": str, "size": int, "payload": str,
    }, pk="id")
    db["malformed_messages"].create_index(["device_id"])


@migrations()
def m003_back_office(db):
    """Staff, client registrations and prescriptions, order money and
    payment, note severity, documents, complaints, destruction, returned
    grams, recurring orders and shipping rates."""
    db["staff"].create({
        "id": int, "username": str, "name": str, "role": str,
        "password_hash": str, "active": int, "created_at": str,
        "last_login": str,
    }, pk="id", not_null={"username", "role", "password_hash"},
        defaults={"active": 1})
    db["staff"].create_index(["username"], unique=True)

    clients = db["clients"]
    for column, kind in [
            ("registration_number", str), ("registered_on", str),
            ("registration_expires", str),
            # Where orders ship: the address on the registration document.
            ("ship_name", str), ("ship_address", str),
            ("prescriber", str), ("prescription_expires", str),
            ("allowance_grams", float),        # per 30-day period
            ("coverage_name", str),            # e.g. Veterans Affairs
            ("coverage_percent", int), ("coverage_max_cents", int),
            ("portal_password_hash", str), ("notes", str)]:
        clients.add_column(column, kind)

    db["products"].add_column("cannabis", int, not_null_default=1)

    orders = db["orders"]
    for column, kind in [
            ("verified", int), ("source", str),
            ("shipping_rate_id", int), ("shipping_cents", int),
            ("subtotal_cents", int), ("discount_cents", int),
            ("discount_reason", str), ("coverage_cents", int),
            ("payment_method", str), ("payment_reference", str),
            ("paid_at", str), ("delivered_at", str),
            ("recurring_id", int), ("ship_address", str)]:
        orders.add_column(column, kind)
    db.execute("UPDATE orders SET verified = 1, source = 'csr', "
               "shipping_cents = 0, subtotal_cents = total_cents, "
               "discount_cents = 0, coverage_cents = 0")

    # ack: the gun stops until the associate acknowledges it; info: shown,
    # nothing to acknowledge.
    db["notes"].add_column("severity", str, not_null_default="ack")

    db["shipping_rates"].create({
        "id": int, "carrier": str, "service": str, "price_cents": int,
        "days": str, "active": int,
    }, pk="id", not_null={"carrier", "service"}, defaults={"active": 1})

    # Uploaded files and generated PDFs; the bytes live in the instance
    # folder under stored_name, never under a name a user chose.
    db["documents"].create({
        "id": int, "order_id": int, "kind": str, "title": str,
        "filename": str, "content_type": str, "size": int, "sha256": str,
        "stored_name": str, "created_by": str, "created_at": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id")],
        not_null={"kind", "stored_name"})
    db["documents"].create_index(["order_id"])

    db["complaints"].create({
        "id": int, "order_id": int, "category": str, "description": str,
        "reported_by": str, "received_on": str, "status": str,
        "resolution": str, "created_by": str, "created_at": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id")],
        not_null={"description"}, defaults={"status": "open"})
    db["complaints"].create_index(["order_id"])

    db["destructions"].create({
        "id": int, "order_id": int, "destroyed_on": str,
        "net_weight_grams": float, "method": str, "location": str,
        "witness_1": str, "witness_2": str, "created_by": str,
        "created_at": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id")])
    db["destructions"].create_index(["order_id"])
    db["destruction_bottles"].create({
        "destruction_id": int, "serial": str,
    }, pk=("destruction_id", "serial"),
        foreign_keys=[("destruction_id", "destructions", "id"),
                      ("serial", "bottles", "serial")])

    db["returned_grams"].create({
        "id": int, "order_id": int, "client_id": int, "grams": float,
        "reason": str, "comment": str, "created_by": str, "created_at": str,
    }, pk="id", foreign_keys=[("order_id", "orders", "id"),
                              ("client_id", "clients", "id")],
        not_null={"grams", "reason"})
    db["returned_grams"].create_index(["client_id"])

    db["recurring_orders"].create({
        "id": int, "client_id": int, "active": int, "day_of_month": int,
        "shipping_rate_id": int, "payment_method": str, "next_run": str,
        "last_run": str, "created_by": str, "created_at": str,
    }, pk="id", foreign_keys=[("client_id", "clients", "id")],
        defaults={"active": 1})
    db["recurring_lines"].create({
        "id": int, "recurring_id": int, "sku": str, "qty": int,
    }, pk="id", foreign_keys=[("recurring_id", "recurring_orders", "id"),
                              ("sku", "products", "sku")])
