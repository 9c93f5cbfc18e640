"""Bottle and order labels as PDF, for the web pages and `pickgun labels`.

A bottle label carries what s.123 asks for (lot number, packaging date,
expiry) next to the QR code the scanner guns read (wire.bottle_code).
A patient label adds the client's name and registration number and the
dispensing date to each dispensed bottle; the shipping label (4 x 6 in)
carries the ship-to address of the client's registration, the producer's
return address, carrier, tracking number and the order's QR code.

Every label PDF handed out is recorded in order_history: "print_labels"
with its serials, or the Order Menu action it answers
(reprint_patient_labels, reprint_bottle_labels, print_shipping_label),
so a print or reprint always leaves a record."""
import re
import unicodedata

import qrcode
import qrcode.util
from fpdf import FPDF

from server.clients import profiles
from server.core import fields
from server.core.db import now, transaction
from server.core.errors import OrderNotFound
from server.core.history import record_history
from server.orders import states
from server.orders.actions import run
from server.orders.effects import Done
from server.orders.queries import get_order
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
QUIET_MODULES = 4           # the QR standard's quiet zone
QR_BOX_PX = 8               # image pixels per module: crisp when scaled
BOTTLE_QR_MM = LABEL_H - 2 * MARGIN   # quiet zone included
ORDER_QR_MM = ORDER_H - 2 * MARGIN
MIN_SYMBOL_MM = 15.0        # below this, guns struggle at arm's length
FONT = "Helvetica"

PRINT_ACTION = "print_labels"


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
                             % (row["serial"], e))
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
    pick order, with product, lot, packaging and expiry dates and grams."""
    return [dict(r) for r in db.execute(
        "SELECT k.serial, b.sku, p.name, coalesce(p.grams, 0) AS grams, "
        " coalesce(b.lot_id, k.lot_id) AS lot_id, t.packaged_on, "
        " t.expires_on, k.scanned_at, b.status "
        "FROM picks k JOIN bottles b ON b.serial = k.serial "
        "JOIN products p ON p.sku = b.sku "
        "LEFT JOIN lots t ON t.id = coalesce(b.lot_id, k.lot_id) "
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
        pdf = _pdf((LABEL_W, LABEL_H))
        for item in items:
            pdf.add_page()
            _bottle_label(pdf, item, 0, 0)
        return bytes(pdf.output())
    pdf = _pdf((SHEET_W, SHEET_H))
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
    pdf = _pdf((ORDER_W, ORDER_H))
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
        y = _text(pdf, x, y, width, text, style, size)
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
    pdf = _pdf((PATIENT_W, PATIENT_H))
    for item in items:
        code = by_serial[item["serial"]]["code"]
        pdf.add_page()
        pdf.image(qr_image(code), x=MARGIN, y=(PATIENT_H - PATIENT_QR_MM) / 2,
                  w=PATIENT_QR_MM, h=PATIENT_QR_MM)
        x = PATIENT_QR_MM + 2 * MARGIN
        width = PATIENT_W - x - 2 * MARGIN
        y = 2.5
        y = _text(pdf, x, y, width, name, "B", 10)
        y = _text(pdf, x, y, width, "Registration " + registration, "", 7)
        y = _text(pdf, x, y + 1, width, item["name"], "B", 8, max_lines=2)
        for style, size, text in [
                ("", 7, "S/N %s   SKU %s" % (item["serial"], item["sku"])),
                ("", 7, "Lot %s   Packaged %s" % (item["lot_id"],
                                                  item["packaged_on"])),
                ("B", 7, "Expiry %s" % item["expires_on"]),
                ("", 7, "Dispensed %s   Order #%d" % (day, order_id))]:
            y = _text(pdf, x, y + 0.4, width, text, style, size)
        pdf.set_draw_color(170)
        pdf.line(x, PATIENT_H - 7.5, PATIENT_W - 2 * MARGIN, PATIENT_H - 7.5)
        _text(pdf, x, PATIENT_H - 6.8, width, "For medical use by the "
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
    pdf = _pdf((SHIP_W, SHIP_H))
    pdf.add_page()
    left, width = 4.0, SHIP_W - 8.0
    pdf.set_draw_color(0)
    pdf.set_line_width(0.4)
    # From
    y = _text(pdf, left, 4.0, width, "FROM", "B", 7)
    y = _text(pdf, left, y, width, sender["name"], "B", 8)
    for line in address_lines(sender["address"]):
        y = _text(pdf, left, y, width, line, "", 8)
    if sender.get("phone"):
        y = _text(pdf, left, y, width, sender["phone"], "", 8)
    y += 2
    pdf.line(left, y, SHIP_W - left, y)
    # To
    y = _text(pdf, left, y + 2, width, "SHIP TO", "B", 8)
    y = _text(pdf, left + 3, y + 1, width - 3, name, "B", 15)
    for line in address_lines(address):
        y = _text(pdf, left + 3, y + 0.5, width - 3, line, "", 13,
                  max_lines=2)
    y = max(y + 3, 68.0)
    pdf.line(left, y, SHIP_W - left, y)
    # Carrier and tracking
    carrier = order.get("carrier") or "Carrier not set"
    y = _text(pdf, left, y + 2, width, "CARRIER", "B", 7)
    y = _text(pdf, left, y, width, carrier + (" - " + service if service
                                              else ""), "B", 12)
    y = _text(pdf, left, y + 2, width, "TRACKING", "B", 7)
    y = _text(pdf, left, y, width, order.get("tracking") or "none", "B", 14)
    y += 3
    pdf.line(left, y, SHIP_W - left, y)
    # Order and its QR code
    top = y + 3
    pdf.image(qr_image(wire.order_code(order_id)), x=left, y=top,
              w=SHIP_QR_MM, h=SHIP_QR_MM)
    x = left + SHIP_QR_MM + 3
    text_w = SHIP_W - x - left
    ty = _text(pdf, x, top + 4, text_w, "Order #%d" % order_id, "B", 16)
    if order.get("shipped_at"):
        ty = _text(pdf, x, ty + 1, text_w, "Shipped " +
                   order["shipped_at"][:10], "", 9)
    ty = _text(pdf, x, ty + 1, text_w, wire.order_code(order_id), "", 8)
    _text(pdf, left, SHIP_H - 8, width, sender.get("licence") or "", "", 6,
          max_lines=2)
    return bytes(pdf.output())


def qr_image(code):
    """The QR code of `code` as a PIL image: alphanumeric mode, error
    correction M, 4-module quiet zone included in the image."""
    return _qr(code).make_image().get_image()


def _qr(code):
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M,
                       box_size=QR_BOX_PX, border=QUIET_MODULES)
    qr.add_data(qrcode.util.QRData(code, mode=qrcode.util.MODE_ALPHA_NUM))
    qr.make(fit=True)
    return qr


def _pdf(size):
    pdf = FPDF(unit="mm", format=size)
    pdf.set_margins(0, 0, 0)
    pdf.set_auto_page_break(False)
    pdf.set_creator("Pickgun")
    return pdf


def _bottle_label(pdf, item, x0, y0):
    qr = _qr(item["code"])
    n = qr.modules_count
    if BOTTLE_QR_MM * n / (n + 2 * QUIET_MODULES) < MIN_SYMBOL_MM:
        raise LabelError("Bottle code of %s too long for a readable QR code"
                         % item["serial"])
    pdf.image(qr.make_image().get_image(), x=x0 + MARGIN, y=y0 + MARGIN,
              w=BOTTLE_QR_MM, h=BOTTLE_QR_MM)
    x = x0 + BOTTLE_QR_MM + 2 * MARGIN
    width = LABEL_W - BOTTLE_QR_MM - 3 * MARGIN
    y = y0 + 2.0
    y = _text(pdf, x, y, width, item["name"], "B", 6.5, max_lines=2)
    for style, size, text in [
            ("", 6, "SKU " + item["sku"]),
            ("B", 7, "S/N " + item["serial"]),
            ("", 6, "Lot " + item["lot_id"]),
            ("", 6, "Packaged " + item["packaged_on"]),
            ("B", 6, "Expiry " + item["expires_on"])]:
        y = _text(pdf, x, y + 0.3, width, text, style, size)


def _text(pdf, x, y, width, text, style, size, max_lines=1):
    """Write `text` at (x, y) within `width`: shrink the font (down to
    70 %) to keep it on one line, else wrap onto at most `max_lines`.
    Returns the next y."""
    text = latin1(text)
    pdf.set_font(FONT, style, size)
    floor = size * 0.7
    while pdf.get_string_width(text) > width and size > floor:
        size -= 0.25
        pdf.set_font(FONT, style, size)
    line_h = size * 0.3528 * 1.15       # points to mm, plus leading
    words, line, lines = text.split(" "), "", []
    for word in words:
        trial = (line + " " + word).strip()
        if line and pdf.get_string_width(trial) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    if len(lines) > max_lines:
        # Never print past the label edge: cut the last line short.
        last = " ".join(lines[max_lines - 1:])
        while last and pdf.get_string_width(last + "...") > width:
            last = last[:-1]
        lines = lines[:max_lines - 1] + [last.rstrip() + "..."]
    for line in lines:
        pdf.set_xy(x, y)
        pdf.cell(width, line_h, line)
        y += line_h
    return y


def latin1(text):
    # The PDF core fonts cover Latin-1 (enough for French names); anything
    # else falls back to its unaccented form rather than failing a print:
    # the letters and marks with no decomposition from a table, the others
    # by dropping their accents, "?" when nothing is left.
    return "".join(
        ch if ord(ch) < 256 else _FALLBACK.get(ch) or (
            unicodedata.normalize("NFKD", ch).encode(
                "latin-1", "ignore").decode("latin-1") or "?")
        for ch in str(text or ""))


_FALLBACK = {
    "\u0152": "OE", "\u0153": "oe",          # French ligatures
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d",
    "\u0131": "i", "\u0126": "H", "\u0127": "h", "\u0166": "T",
    "\u0167": "t", "\u014a": "N", "\u014b": "n",
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201c": '"',
    "\u201d": '"', "\u201e": '"', "\u2013": "-", "\u2014": "-",
    "\u2026": "...", "\u2022": "\u00b7", "\u20ac": "EUR", "\u2116": "No.",
}


# ------------------------------------------------------------- recording
def issue_bottle_labels(db, serials, actor, layout=ROLL, deliver=None):
    """Render the labels of `serials`, record the print, and return the
    PDF bytes.  deliver(pdf) runs inside the recording transaction (e.g.
    writing the file): if it fails, no record is left."""
    _check_layout(layout)
    items = bottles(db, serials)
    pdf = _render_bottles(items, layout)
    with transaction(db):
        by_order = {}
        for item in items:
            by_order.setdefault(item["order_id"], []).append(item["serial"])
        for order_id, group in by_order.items():
            # Stock bottles not yet picked have no order: their row has
            # order_id NULL, still a record of the print.
            _record(db, order_id, actor, ", ".join(group))
        if deliver is not None:
            deliver(pdf)
    return pdf


def issue_order_label(db, order_id, actor, deliver=None):
    """Like issue_bottle_labels, for the order's own label."""
    pdf = order_label_pdf(db, order_id)
    with transaction(db):
        _record(db, order_id, actor, "order label " + wire.order_code(order_id))
        if deliver is not None:
            deliver(pdf)
    return pdf


def _record(db, order_id, actor, detail):
    # A print is no Order Menu action: any status, and stock bottles not
    # picked yet have no order at all.
    status = None
    if order_id is not None:
        status = db.execute("SELECT status FROM orders WHERE id = ?",
                            [order_id]).fetchone()["status"]
    record_history(db, order_id, PRINT_ACTION, status, status, actor, detail)


def issue_patient_labels(db, order_id, actor, action=PRINT_ACTION):
    """Render the order's patient labels and record the print, as
    "print_labels" or, for action="reprint_patient_labels", as that Order
    Menu action (its status is checked: Shipped or Delivered).  Returns
    the PDF bytes; a refused request writes nothing."""
    return _issue(db, order_id, actor, action,
                  lambda: patient_labels_pdf(db, order_id),
                  lambda: "patient labels: " + ", ".join(
                      b["serial"] for b in dispensed_bottles(db, order_id)))


def reprint_bottle_labels(db, order_id, actor, layout=ROLL):
    """The Order Menu's Reprint Bottle Labels: the order's bottle labels,
    recorded as that action (Shipped or Delivered only)."""
    _check_layout(layout)
    return _issue(db, order_id, actor, "reprint_bottle_labels",
                  lambda: bottle_labels_pdf(db, order_serials(db, order_id),
                                            layout),
                  lambda: ", ".join(order_serials(db, order_id)))


def issue_shipping_label(db, order_id, actor, producer_info=None,
                         how="printed"):
    """The shipping label of a shipped order, recorded as
    print_shipping_label (refused, unrecorded, before shipping)."""
    def detail():
        order = get_order(db, order_id)
        return "shipping label %s: %s %s" % (
            how, order.get("carrier") or "no carrier",
            order.get("tracking") or "no tracking")
    return _issue(db, order_id, actor, "print_shipping_label",
                  lambda: shipping_label_pdf(db, order_id, producer_info),
                  detail)


def _issue(db, order_id, actor, action, render, detail):
    """Render and record, as `action`: PRINT_ACTION in any status, an
    Order Menu reprint through the action runner (its status checked)."""
    if action == PRINT_ACTION:
        with transaction(db):
            if get_order(db, order_id) is None:
                raise UnknownOrder(order_id)
            pdf = render()
            _record(db, order_id, actor, detail()[:500])
        return pdf

    def effect(db, order, actor, form):
        pdf = render()
        return Done(detail=detail()[:500], result=pdf)

    try:
        done, _, _ = run(db, order_id, action, actor, effect)
    except OrderNotFound:
        raise UnknownOrder(order_id) from None
    except states.IllegalAction as e:
        raise NotAllowed(str(e)) from None
    return done.result
