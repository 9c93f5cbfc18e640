"""The recall report of a recalled lot: every bottle of it that left with
an order (shipped, returned or destroyed since), with the order, the
client, when it shipped and was delivered, and where it was sent.

One query walks the lot's bottles by the bottles(lot_id, status) index
(m021) and reaches each order and client by their keys, so the report
takes the same time at a million orders as at a thousand (bench/
dashboard.py measures it).  The CSV is written by the csv module, every
cell a spreadsheet would read as a formula prefixed with a quote."""
import csv
import io

from server.core.db import now
from server.core.errors import ActionRefused
from server.documents.labels import ship_to
from server.orders import lots
from server.orders import states

_DISPENSED = ",".join("'%s'" % s for s in states.DISPENSED_STATUSES)

REPORT_SQL = (
    "SELECT b.serial, b.status AS bottle_status, o.id AS order_id, "
    "o.status AS order_status, o.shipped_at, o.delivered_at, "
    "o.ship_address, o.carrier, o.tracking, c.id AS client_id, "
    "c.name AS client_name, c.ship_name, c.ship_address AS client_ship, "
    "c.address, c.email, c.phone "
    "FROM bottles b JOIN orders o ON o.id = b.order_id "
    "JOIN clients c ON c.id = o.client_id "
    "WHERE b.lot_id = ? AND b.status IN (" + _DISPENSED + ") "
    "ORDER BY o.id, b.serial")


def recall_report(db, lot_id, generated_by="system"):
    """{"lot", "rows", "bottles", "orders", "clients", "generated_at",
    "generated_by"}; rows: one per bottle, with its order, client and
    ship-to.  Raises lots.LotNotFound, or ActionRefused for a lot that is
    not recalled (its bottles are not being called back)."""
    lot = lots.get_lot(db, lot_id)
    if lot["status"] != lots.RECALLED:
        raise ActionRefused(
            "Lot %s is %s, not recalled: the recall report is for a "
            "recalled lot." % (lot_id, lot["status_label"].lower()))
    rows = []
    for r in db.execute(REPORT_SQL, [lot_id]):
        row = dict(r)
        client = {"name": row["client_name"], "ship_name": row["ship_name"],
                  "ship_address": row["client_ship"],
                  "address": row["address"]}
        name, address = ship_to({"ship_address": row["ship_address"]},
                                client)
        row["ship_to_name"] = name
        row["ship_to"] = ", ".join(address)
        row["order_status_label"] = states.STATUS_LABELS.get(
            row["order_status"], row["order_status"])
        for key in ("client_ship", "address", "ship_name", "ship_address"):
            del row[key]
        rows.append(row)
    return {"lot": lot, "rows": rows, "bottles": len(rows),
            "orders": len({r["order_id"] for r in rows}),
            "clients": len({r["client_id"] for r in rows}),
            "generated_at": now(), "generated_by": generated_by}


CSV_COLUMNS = [
    ("serial", "Bottle serial"), ("bottle_status", "Bottle status"),
    ("order_id", "Order"), ("order_status_label", "Order status"),
    ("client_id", "Client id"), ("client_name", "Client"),
    ("email", "Email"), ("phone", "Phone"),
    ("shipped_at", "Shipped"), ("delivered_at", "Delivered"),
    ("carrier", "Carrier"), ("tracking", "Tracking"),
    ("ship_to_name", "Ship to"), ("ship_to", "Shipping address"),
]
# What a spreadsheet reads as the start of a formula (OWASP's CSV
# injection list): such a cell gets a leading quote, kept as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def recall_csv(report):
    """The report as CSV text: a header row, then one row per bottle."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title for _key, title in CSV_COLUMNS])
    for row in report["rows"]:
        writer.writerow([safe_cell(row[key]) for key, _title in CSV_COLUMNS])
    return out.getvalue()
