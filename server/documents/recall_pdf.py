"""The recall report as PDF (fpdf2, Letter landscape): the lot, why and
when it was recalled, then one row per bottle that left with an order,
as server.orders.recall.recall_report read it.

A recall can reach thousands of bottles, so rows are plain cells cut to
their column (the CSV and the page have every character), not fpdf2's
table, whose layout costs a hundred times more per row."""
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
        """`text` cut to `width` (mm) with an ellipsis."""
        text = latin1(text)
        room = width - 1.5
        full = self.get_string_width(text)
        if full <= room:
            return text
        text = text[:int(len(text) * room / full)]
        while text and self.get_string_width(text + "...") > width - 1.5:
            text = text[:-1]
        return text + "..."


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
    for row in report["rows"]:
        if doc.will_page_break(ROW_H):
            doc.add_page()
        for key, _title, width in COLUMNS:
            value = row[key]
            doc.cell(width, ROW_H, doc.fitted(
                "" if value is None else str(value), width))
        doc.ln(ROW_H)
    return bytes(doc.output())
