"""The server's order snapshots carry each note's severity as the wire
contract says: information notes "s": "i", must-acknowledge notes (the
default, and any value the server does not know) as before, with no "s"."""
from server.core import db as dbm
from server.gunlink.snapshots import order_snapshot
from shared import wire


def test_snapshot_notes_carry_severity(tmp_path):
    db = dbm.connect(str(tmp_path / "pickgun.db"))
    dbm.migrate(db)
    at = dbm.now()
    with dbm.transaction(db):
        db["clients"].insert({"id": 1, "name": "Ada Client", "created_at": at})
        db["products"].insert({"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL",
                               "grams": 30.0})
        db["orders"].insert({"id": 1001, "client_id": 1, "status": "placed",
                             "created_at": at})
        db["order_lines"].insert({"order_id": 1001, "sku": "CBD-OIL-30",
                                  "qty": 1})
        db["notes"].insert({"id": 3, "order_id": 1001, "text": "Fragile",
                            "created_at": at})          # default: ack
        db["notes"].insert({"id": 4, "order_id": 1001, "text": "Gift wrap",
                            "severity": "info", "created_at": at})
        db["notes"].insert({"id": 5, "order_id": 1001, "text": "Check ID",
                            "severity": "ack", "created_at": at})
        # a severity this server does not know: must-acknowledge
        db["notes"].insert({"id": 6, "order_id": 1001, "text": "Cold",
                            "severity": "urgent", "created_at": at})
    snap = order_snapshot(db, 1001)
    db.conn.close()
    assert snap["notes"] == [
        {"id": 3, "text": "Fragile"},
        {"id": 4, "text": "Gift wrap", "s": "i"},
        {"id": 5, "text": "Check ID"},
        {"id": 6, "text": "Cold"}]
    back = wire.check_snapshot(wire.decode(wire.encode(snap)))
    assert [wire.is_info(n) for n in back["notes"]] == [False, True, False,
                                                        False]
