"""Bottle and order labels as PDF, for the web pages and `pickgun labels`.

A bottle label carries what s.123 asks for (lot number, packaging date,
expiry) next to the QR code the scanner guns read (wire.bottle_code).
A patient label adds the client's name and registration number and the
dispensing date to each dispensed bottle; the shipping label (4 x 6 in)
carries the ship-to address of the client's registration, the producer's
return address, carrier, tracking number and the order's QR code.

Every label PDF handed out is recorded (server.documents.prints).  What
the labels print is selected here too (bottles, the producer, the ship-to
address), since receipts print the same; the drawing primitives are
server.documents.pdfkit's.  (Over 350 lines: four label layouts sharing
one set of dimensions and the data they print.)"""
import re


from server.clients import profiles
from server.core import fields
from server.core.db import now
from server.orders.queries import STAFF_NAME, get_order
from server.documents.pdfkit import (QUIET_MODULES, new_pdf,
                                     qr_code, qr_image, text_box)
from shared import wire

# A roll of 50 x 25 mm thermal labels, one label per page; or a Letter
# sheet of 4 x 10 such labels for an office printer.
ROLL = "roll"
SHEET = "sheet"
LAYOUTS = (ROLL, SHEET)
LABEL_W, LABEL_H = 50.0, 25.0
SHEET_W, SHEET_H = 215.9, 279.4
SHEET_COLS, SHEET_ROWS = 4, 10
# The order label goes on the packing slip or tote: bigger, read from afar.
ORDER_W, ORDER_H = 100.0, 50.0

# Patient labels: 4 x 2 in, one per page of a roll.
PATIENT_W, PATIENT_H = 101.6, 50.8
PATIENT_QR_MM = 32.0
# Shipping labels: 4 x 6 in, portrait, the thermal printers' standard.
SHIP_W, SHIP_H = 101.6, 152.4
SHIP_QR_MM = 36.0

# The return address on shipping labels and the header of receipts;
# instance/config.py may set PRODUCER_NAME, PRODUCER_ADDRESS (lines
# separated by newlines or commas), PRODUCER_PHONE and PRODUCER_LICENCE.
PRODUCER = {
    "name": "Pickgun Medical Cannabis",
    "address": ["500 Packaging Avenue", "Smiths Falls ON K7A 0A1"],
    "phone": "1-800-555-0199",
    "licence": "Licensed under the Cannabis Regulations (SOR/2018-144)",
}

MARGIN = 1.0
BOTTLE_QR_MM = LABEL_H - 2 * MARGIN   # quiet zone included
ORDER_QR_MM = ORDER_H - 2 * MARGIN
MIN_SYMBOL_MM = 15.0        # below this, guns struggle at arm's length

class LabelError(ValueError):
    """A label request that cannot be printed; nothing was written."""


class UnknownOrder(LabelError, LookupError):
    def __init__(self, order_id):
        super().__init__("Order %s not found" % order_id)
        self.order_id = order_id


class NoBottles(LabelError):
    """The selection holds no bottle: an order not picked yet, an empty
    lot or no serial given."""


class UnknownLot(LabelError, LookupError):
    def __init__(self, lot_id):
        super().__init__("Lot %s not found" % lot_id)
        self.lot_id = lot_id


class NotAllowed(LabelError):
    """The order's status does not allow this label (HTTP 409)."""


class UnknownBottles(LabelError, LookupError):
    def __init__(self, serials):
        super().__init__("Unknown bottle serial%s: %s" % (
            "" if len(serials) == 1 else "s", ", ".join(serials)))
        self.serials = list(serials)


# ------------------------------------------------------------- selection
def order_serials(db, order_id):
    """Serials of the bottles accepted for the order, in pick order."""
    if get_order(db, order_id) is None:
        raise UnknownOrder(order_id)
    serials = [r["serial"] for r in db.execute(
        "SELECT serial FROM picks WHERE order_id = ? AND status = 'accepted' "
        "ORDER BY id", [order_id])]
    if not serials:
        raise NoBottles("Order %s has no picked bottles to label" % order_id)
    return serials


def lot_serials(db, lot_id):
    """Serials of every bottle of the lot, e.g. for a packaging run."""
    if db.execute("SELECT 1 FROM lots WHERE id = ?",
                  [lot_id]).fetchone() is None:
        raise UnknownLot(lot_id)
    serials = [r["serial"] for r in db.execute(
        "SELECT serial FROM bottles WHERE lot_id = ? ORDER BY serial",
        [lot_id])]
    if not serials:
        raise NoBottles("Lot %s has no bottles" % lot_id)
    return serials


def bottles(db, serials):
    """Label data of the given serials, in the order given, duplicates
    dropped.  Raises UnknownBottles naming every serial not found."""
    wanted = list(dict.fromkeys(s.strip() for s in serials if s.strip()))
    if not wanted:
        raise NoBottles("No bottles selected")
    rows = {}
    for serial in wanted:
        row = db.execute(
            "SELECT b.serial, b.sku, b.lot_id, b.order_id, p.name, "
            " t.packaged_on, t.expires_on FROM bottles b "
            "JOIN products p ON p.sku = b.sku "
            "LEFT JOIN lots t ON t.id = b.lot_id WHERE b.serial = ?",
            [serial]).fetchone()
        if row is not None:
            rows[serial] = dict(row)
    missing = [s for s in wanted if s not in rows]
    if missing:
        raise UnknownBottles(missing)
    for row in rows.values():
        if not (row["lot_id"] and row["packaged_on"] and row["expires_on"]):
            # s.123: a bottle label without lot, packaging date and expiry
            # must not be printed at all.
            raise LabelError("Bottle %s has no lot, packaging date or expiry"
                             % row["serial"])
        try:
            row["code"] = wire.bottle_code(row["serial"], row["sku"],
                                           row["lot_id"])
        except wire.CodeError as e:
            raise LabelError("Bottle %s cannot be put in a QR code: %s"
                             % (row["serial"], e)) from e
    return [rows[s] for s in wanted]


def producer(config=None):
    """PRODUCER, with whatever `config` (an app config) overrides."""
    config = config or {}
    out = dict(PRODUCER)
    for key in ("name", "phone", "licence"):
        if config.get("PRODUCER_" + key.upper()):
            out[key] = str(config["PRODUCER_" + key.upper()])
    address = config.get("PRODUCER_ADDRESS")
    if address:
        out["address"] = address_lines(address)
    return out


def address_lines(address):
    """An address stored as one line ("905 Av. Cartier, Québec QC G1R
    2R9") or several, as the lines a label prints."""
    if isinstance(address, (list, tuple)):
        return [str(a).strip() for a in address if str(a).strip()]
    return [part.strip() for part in re.split(r"[\n,]", address or "")
            if part.strip()]


def dispensed_bottles(db, order_id):
    """Every bottle dispensed with the order (its accepted picks), in
    pick order, with product, lot, packaging and expiry dates and grams,
    and who picked it: device_id, and staff_name when an associate was
    signed in on the gun (None otherwise)."""
    return [dict(r) for r in db.execute(
        "SELECT k.serial, b.sku, p.name, coalesce(p.grams, 0) AS grams, "
        " coalesce(b.lot_id, k.lot_id) AS lot_id, t.packaged_on, "
        " t.expires_on, k.scanned_at, b.status, k.device_id, "
        " k.staff_id, " + STAFF_NAME + " AS staff_name "
        "FROM picks k JOIN bottles b ON b.serial = k.serial "
        "JOIN products p ON p.sku = b.sku "
        "LEFT JOIN lots t ON t.id = coalesce(b.lot_id, k.lot_id) "
        "LEFT JOIN staff s ON s.id = k.staff_id "
        "WHERE k.order_id = ? AND k.status = 'accepted' ORDER BY k.id",
        [order_id])]


def client_of(db, order):
    """The order's client row with everything labels and receipts show."""
    return profiles.get_client(db, order["client_id"]) or {}


def ship_to(order, client):
    """(name, address lines) the order ships to: the order's own address
    when it has one, else the client's registration document."""
    name = client.get("ship_name") or client.get("name") or \
        order.get("client_name") or ""
    address = order.get("ship_address") or client.get("ship_address") or \
        client.get("address") or ""
    return name, address_lines(address)


def dispensed_on(order):
    """The dispensing date: the day the order shipped, else today."""
    return (order.get("shipped_at") or now())[:10]


# ------------------------------------------------------------- rendering
def bottle_labels_pdf(db, serials, layout=ROLL):
    """The labels of `serials` as PDF bytes (see LAYOUTS)."""
    _check_layout(layout)
    return _render_bottles(bottles(db, serials), layout)


def _check_layout(layout):
    if layout not in LAYOUTS:
        raise LabelError("Unknown layout %s (use %s)"
                         % (fields.shown(layout), " or ".join(LAYOUTS)))


def _render_bottles(items, layout):
    if layout == ROLL:
        pdf = new_pdf((LABEL_W, LABEL_H))
        for item in items:
            pdf.add_page()
            _bottle_label(pdf, item, 0, 0)
        return bytes(pdf.output())
    pdf = new_pdf((SHEET_W, SHEET_H))
    left = (SHEET_W - SHEET_COLS * LABEL_W) / 2
    top = (SHEET_H - SHEET_ROWS * LABEL_H) / 2
    per_page = SHEET_COLS * SHEET_ROWS
    for i, item in enumerate(items):
        if i % per_page == 0:
            pdf.add_page()
        row, col = divmod(i % per_page, SHEET_COLS)
        x, y = left + col * LABEL_W, top + row * LABEL_H
        pdf.set_draw_color(200)     # cut guide
        pdf.rect(x, y, LABEL_W, LABEL_H)
        _bottle_label(pdf, item, x, y)
    return bytes(pdf.output())


def order_label_pdf(db, order_id):
    """The order's QR code, number and client name on one 100 x 50 mm
    label, to stick on the packing slip or the tote."""
    order = get_order(db, order_id)
    if order is None:
        raise UnknownOrder(order_id)
    code = wire.order_code(order_id)
    pdf = new_pdf((ORDER_W, ORDER_H))
    pdf.add_page()
    pdf.image(qr_image(code), x=MARGIN, y=MARGIN, w=ORDER_QR_MM,
              h=ORDER_QR_MM)
    x = ORDER_QR_MM + 2 * MARGIN
    width = ORDER_W - x - MARGIN
    lines = [("B", 20, "Order #%d" % order_id),
             ("", 11, order["client_name"]),
             ("", 8, code)]
    y = 8.0
    for style, size, text in lines:
        y = text_box(pdf, x, y, width, text, style, size)
        y += 2
    return bytes(pdf.output())


def patient_labels_pdf(db, order_id):
    """One 4 x 2 in label per dispensed bottle: the client's name and
    registration number, product, lot, expiry, dispensing date and the
    bottle's QR code (wire.bottle_code)."""
    order = get_order(db, order_id)
    if order is None:
        raise UnknownOrder(order_id)
    items = dispensed_bottles(db, order_id)
    if not items:
        raise NoBottles("Order %s has no dispensed bottles to label"
                        % order_id)
    by_serial = {b["serial"]: b for b in bottles(db, [i["serial"]
                                                      for i in items])}
    client = client_of(db, order)
    name = client.get("name") or order["client_name"]
    registration = client.get("registration_number") or "not on file"
    day = dispensed_on(order)
    pdf = new_pdf((PATIENT_W, PATIENT_H))
    for item in items:
        code = by_serial[item["serial"]]["code"]
        pdf.add_page()
        pdf.image(qr_image(code), x=MARGIN, y=(PATIENT_H - PATIENT_QR_MM) / 2,
                  w=PATIENT_QR_MM, h=PATIENT_QR_MM)
        x = PATIENT_QR_MM + 2 * MARGIN
        width = PATIENT_W - x - 2 * MARGIN
        y = 2.5
        y = text_box(pdf, x, y, width, name, "B", 10)
        y = text_box(pdf, x, y, width, "Registration " + registration, "", 7)
        y = text_box(pdf, x, y + 1, width, item["name"], "B", 8, max_lines=2)
        for style, size, text in [
                ("", 7, "S/N %s   SKU %s" % (item["serial"], item["sku"])),
                ("", 7, "Lot %s   Packaged %s" % (item["lot_id"],
                                                  item["packaged_on"])),
                ("B", 7, "Expiry %s" % item["expires_on"]),
                ("", 7, "Dispensed %s   Order #%d" % (day, order_id))]:
            y = text_box(pdf, x, y + 0.4, width, text, style, size)
        pdf.set_draw_color(170)
        pdf.line(x, PATIENT_H - 7.5, PATIENT_W - 2 * MARGIN, PATIENT_H - 7.5)
        text_box(pdf, x, PATIENT_H - 6.8, width, "For medical use by the "
              "registered client only. Keep out of reach of children.",
              "", 5.5, max_lines=2)
    return bytes(pdf.output())


def shipping_label_pdf(db, order_id, producer_info=None):
    """The order's 4 x 6 in shipping label: ship-to (the registration
    document's address, s.291), ship-from, carrier, tracking number, order
    number and the order's QR code."""
    order = get_order(db, order_id)
    if order is None:
        raise UnknownOrder(order_id)
    sender = producer_info or PRODUCER
    client = client_of(db, order)
    name, address = ship_to(order, client)
    if not address:
        raise LabelError("Order %s has no shipping address: the client's "
                         "registration address is missing" % order_id)
    service = None
    if order.get("shipping_rate_id"):
        rate = db.execute("SELECT carrier, service FROM shipping_rates "
                          "WHERE id = ?",
                          [order["shipping_rate_id"]]).fetchone()
        service = rate["service"] if rate else None
    pdf = new_pdf((SHIP_W, SHIP_H))
    pdf.add_page()
    left, width = 4.0, SHIP_W - 8.0
    pdf.set_draw_color(0)
    pdf.set_line_width(0.4)
    # From
    y = text_box(pdf, left, 4.0, width, "FROM", "B", 7)
    y = text_box(pdf, left, y, width, sender["name"], "B", 8)
    for line in address_lines(sender["address"]):
        y = text_box(pdf, left, y, width, line, "", 8)
    if sender.get("phone"):
        y = text_box(pdf, left, y, width, sender["phone"], "", 8)
    y += 2
    pdf.line(left, y, SHIP_W - left, y)
    # To
    y = text_box(pdf, left, y + 2, width, "SHIP TO", "B", 8)
    y = text_box(pdf, left + 3, y + 1, width - 3, name, "B", 15)
    for line in address_lines(address):
        y = text_box(pdf, left + 3, y + 0.5, width - 3, line, "", 13,
                  max_lines=2)
    y = max(y + 3, 68.0)
    pdf.line(left, y, SHIP_W - left, y)
    # Carrier and tracking
    carrier = order.get("carrier") or "Carrier not set"
    y = text_box(pdf, left, y + 2, width, "CARRIER", "B", 7)
    y = text_box(pdf, left, y, width, carrier + (" - " + service if service
                                              else ""), "B", 12)
    y = text_box(pdf, left, y + 2, width, "TRACKING", "B", 7)
    y = text_box(pdf, left, y, width, order.get("tracking") or "none", "B", 14)
    y += 3
    pdf.line(left, y, SHIP_W - left, y)
    # Order and its QR code
    top = y + 3
    pdf.image(qr_image(wire.order_code(order_id)), x=left, y=top,
              w=SHIP_QR_MM, h=SHIP_QR_MM)
    x = left + SHIP_QR_MM + 3
    text_w = SHIP_W - x - left
    ty = text_box(pdf, x, top + 4, text_w, "Order #%d" % order_id, "B", 16)
    if order.get("shipped_at"):
        ty = text_box(pdf, x, ty + 1, text_w, "Shipped " +
                   order["shipped_at"][:10], "", 9)
    ty = text_box(pdf, x, ty + 1, text_w, wire.order_code(order_id), "", 8)
    text_box(pdf, left, SHIP_H - 8, width, sender.get("licence") or "", "", 6,
          max_lines=2)
    return bytes(pdf.output())


def _bottle_label(pdf, item, x0, y0):
    qr = qr_code(item["code"])
    n = qr.modules_count
    if BOTTLE_QR_MM * n / (n + 2 * QUIET_MODULES) < MIN_SYMBOL_MM:
        raise LabelError("Bottle code of %s too long for a readable QR code"
                         % item["serial"])
    pdf.image(qr.make_image().get_image(), x=x0 + MARGIN, y=y0 + MARGIN,
              w=BOTTLE_QR_MM, h=BOTTLE_QR_MM)
    x = x0 + BOTTLE_QR_MM + 2 * MARGIN
    width = LABEL_W - BOTTLE_QR_MM - 3 * MARGIN
    y = y0 + 2.0
    y = text_box(pdf, x, y, width, item["name"], "B", 6.5, max_lines=2)
    for style, size, text in [
            ("", 6, "SKU " + item["sku"]),
            ("B", 7, "S/N " + item["serial"]),
            ("", 6, "Lot " + item["lot_id"]),
            ("", 6, "Packaged " + item["packaged_on"]),
            ("B", 6, "Expiry " + item["expires_on"])]:
        y = text_box(pdf, x, y + 0.3, width, text, style, size)
