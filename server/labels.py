"""Bottle and order labels as PDF, for the web pages and `pickgun labels`.

A bottle label carries what s.123 asks for (lot number, packaging date,
expiry) next to the QR code the scanner guns read (wire.bottle_code).
Every label PDF handed out is recorded in order_history as
"print_labels" with its serials, so a reprint always leaves a record."""
import unicodedata

import qrcode
import qrcode.util
from fpdf import FPDF

from server.db import now
from server.orders import get_order, transaction
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


class UnknownBottles(LabelError, LookupError):
    def __init__(self, serials):
        super().__init__("Unknown bottle serial(s): " + ", ".join(serials))
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


# ------------------------------------------------------------- rendering
def bottle_labels_pdf(db, serials, layout=ROLL):
    """The labels of `serials` as PDF bytes (see LAYOUTS)."""
    _check_layout(layout)
    return _render_bottles(bottles(db, serials), layout)


def _check_layout(layout):
    if layout not in LAYOUTS:
        raise LabelError("Unknown layout %r (use %s)"
                         % (layout, " or ".join(LAYOUTS)))


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
    text = _latin1(text)
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


def _latin1(text):
    # The PDF core fonts cover Latin-1 (enough for French names); anything
    # else falls back to its unaccented form rather than failing a print.
    return "".join(
        ch if ord(ch) < 256 else (unicodedata.normalize("NFKD", ch).encode(
            "latin-1", "ignore").decode("latin-1") or "?")
        for ch in str(text or ""))


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
    status = None
    if order_id is not None:
        status = db.execute("SELECT status FROM orders WHERE id = ?",
                            [order_id]).fetchone()["status"]
    db["order_history"].insert({
        "order_id": order_id, "action": PRINT_ACTION, "from_status": status,
        "to_status": status, "actor": actor or "", "at": now(),
        "detail": detail})
