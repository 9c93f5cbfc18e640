"""The PDF toolkit labels and receipts share: a blank page, text that fits
its box, QR codes the guns read, and the Latin-1 the PDF core fonts
print."""
import unicodedata

import qrcode
import qrcode.constants
import qrcode.util
from fpdf import FPDF

FONT = "Helvetica"
QUIET_MODULES = 4           # the QR standard's quiet zone
QR_BOX_PX = 8               # image pixels per module: crisp when scaled


def qr_image(code):
    """The QR code of `code` as a PIL image: alphanumeric mode, error
    correction M, 4-module quiet zone included in the image."""
    return qr_code(code).make_image().get_image()


def qr_code(code):
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M,
                       box_size=QR_BOX_PX, border=QUIET_MODULES)
    # The stubs declare MODE_ALPHA_NUM a plain int, QRData's mode one of
    # the literal mode numbers it is.
    qr.add_data(qrcode.util.QRData(
        code, mode=qrcode.util.MODE_ALPHA_NUM))  # pyright: ignore[reportArgumentType]
    qr.make(fit=True)
    return qr


def new_pdf(size):
    """A page of `size` (mm) with no margins and no automatic breaks."""
    pdf = FPDF(unit="mm", format=size)
    pdf.set_margins(0, 0, 0)
    pdf.set_auto_page_break(False)
    pdf.set_creator("Pickgun")
    return pdf


def text_box(pdf, x, y, width, text, style, size, max_lines=1):
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
