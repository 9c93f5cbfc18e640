"""The recall report as PDF (fpdf2, Letter landscape): the lot, why and
when it was recalled, then one row per bottle that left with an order,
as server.orders.recall.recall_report read it.

A recall can reach tens of thousands of bottles, so rows are plain text
cut to their column (the CSV has every character), measured with the
font's widths: fpdf2's cells and tables cost a hundred times more per
row (26,705 rows: 11 s with cells; bench/dashboard.py)."""
from fpdf import FPDF

from server.documents.pdfkit import FONT, latin1
from server.core.wording import counted

PAGE = "Letter"
MARGIN = 12.0
ROW_H = 4.6
# (report key, heading, width in mm): 255 mm between the margins.
COLUMNS = [
    ("serial", "Serial", 20), ("order_id", "Order", 14),
    ("order_status_label", "Order status", 25),
    ("client_name", "Client", 38), ("phone", "Phone", 24),
    ("shipped_at", "Shipped", 19), ("delivered_at", "Delivered", 19),
    ("ship_to", "Shipping address", 96),
]


class _Doc(FPDF):
    def __init__(self, report):
        super().__init__(orientation="L", unit="mm", format=PAGE)
        self.report = report
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, 14)
        self.set_creator("Pickgun")
        self.set_title(latin1("Recall report - lot %s"
                              % report["lot"]["id"]))

    @property
    def width(self):
        return self.w - self.l_margin - self.r_margin

    def header(self):
        lot = self.report["lot"]
        self.set_font(FONT, "B", 13)
        self.cell(self.width / 2, 6, latin1("Recall report: lot %s"
                                            % lot["id"]))
        self.set_font(FONT, "", 9)
        self.cell(self.width / 2, 6, latin1("%s (%s)" % (
            lot["product"] or "", lot["sku"])), align="R",
            new_x="LMARGIN", new_y="NEXT")
        self.ln(1)
        if self.page_no() > 1:          # the first has the summary first
            self.column_heads()

    def column_heads(self):
        self.set_font(FONT, "B", 8)
        self.set_fill_color(230)
        for _key, title, width in COLUMNS:
            self.cell(width, ROW_H + 0.6, latin1(title), fill=True)
        self.ln(ROW_H + 0.6)
        self.set_font(FONT, "", 8)

    def footer(self):
        self.set_y(-10)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(90)
        self.cell(self.width / 2, 4, latin1("Generated %s UTC by %s" % (
            self.report["generated_at"], self.report["generated_by"])))
        self.cell(self.width / 2, 4, "Page %d of {nb}" % self.page_no(),
                  align="R")
        self.set_text_color(0)

    def fitted(self, text, width):
        """`text` (Latin-1) cut to `width` (mm) with an ellipsis, measured
        with the font's own widths (fpdf2's measure is the slow part)."""
        widths = self.widths
        scale = self.font_size_pt / 1000 * 25.4 / 72
        room = (width - 1.5) / scale
        total = 0
        for i, ch in enumerate(text):
            total += widths.get(ch, 600)
            if total > room:
                keep = room - 3 * widths.get(".", 278)
                while i > 0 and sum(widths.get(c, 600)
                                    for c in text[:i]) > keep:
                    i -= 1
                return text[:i] + "..."
        return text

    def rows(self, rows):
        """One line per row, each cell cut to its column: text() per
        cell, the page broken by hand."""
        self.set_font(FONT, "", 8)
        # The core font's widths, per character (thousandths of the size).
        self.widths: dict[str, int] = dict(
            getattr(self.current_font, "cw", None) or {})
        y = self.get_y()
        for row in rows:
            if y + ROW_H > self.page_break_trigger:
                self.add_page()
                y = self.get_y()
            x = self.l_margin
            for key, _title, width in COLUMNS:
                value = row[key]
                self.text(x + 0.8, y + ROW_H * 0.72, self.fitted(
                    latin1("" if value is None else str(value)), width))
                x += width
            y += ROW_H
        self.set_y(y)


def recall_pdf(report):
    """PDF bytes of `report` (server.orders.recall.recall_report)."""
    doc = _Doc(report)
    lot = report["lot"]
    doc.add_page()
    recalled = [h for h in lot["history"] if h["to_status"] == "recalled"]
    last = recalled[-1] if recalled else {}
    doc.set_font(FONT, "", 9)
    for label, value in [
            ("Packaged / expires", "%s / %s" % (lot["packaged_on"] or "",
                                                lot["expires_on"] or "")),
            ("Recalled", "%s by %s" % (last.get("at") or "",
                                       last.get("actor") or "")),
            ("Reason", last.get("reason") or ""),
            ("Reached", "%s, %s, %s" % (
                counted(len(report["rows"]), "bottle"),
                counted(report["orders"], "order"),
                counted(report["clients"], "client")))]:
        doc.set_font(FONT, "B", 9)
        doc.cell(34, ROW_H, latin1(label))
        doc.set_font(FONT, "", 9)
        doc.multi_cell(doc.width - 34, ROW_H, latin1(value),
                       new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    doc.column_heads()
    if not report["rows"]:
        doc.cell(doc.width, ROW_H, "No bottle of this lot left with an "
                 "order.", new_x="LMARGIN", new_y="NEXT")
    doc.rows(report["rows"])
    return bytes(doc.output())
