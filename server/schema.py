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
