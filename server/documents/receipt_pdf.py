"""The pages of receipts and the dispensing record as PDF (fpdf2, Letter
pages): one function per kind (RENDERERS), each drawing what
server.documents.receipts.receipt_data read, nothing more: the money
printed is the order's stored columns, never recomputed here."""
from fpdf import FPDF
from fpdf.enums import TableBordersLayout

from server.documents import kinds
from server.documents import labels
from server.orders import states
from server.documents.pdfkit import latin1
from server.core.wording import counted, money

PAGE = "Letter"
FONT = "Helvetica"
LEFT = 18.0


class _Doc(FPDF):
    def __init__(self, title, data):
        super().__init__(unit="mm", format=PAGE)
        self.doc_title = title
        self.data = data
        self.set_margins(LEFT, 16, LEFT)
        self.set_auto_page_break(True, 18)
        self.set_creator("Pickgun")
        self.set_title(latin1("%s - Order #%d" % (title,
                                                  data["order"]["id"])))
        self.add_page()

    @property
    def width(self):
        return self.w - self.l_margin - self.r_margin

    def header(self):
        p = self.data["producer"]
        self.set_font(FONT, "B", 13)
        self.cell(self.width / 2, 6, latin1(p["name"]))
        self.set_font(FONT, "B", 15)
        self.cell(self.width / 2, 6, latin1(self.doc_title), align="R",
                  new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 9)
        order = self.data["order"]
        status = states.STATUS_LABELS.get(order["status"], order["status"])
        right = ["Order #%d" % order["id"], "Status: %s" % status]
        left = labels.address_lines(p["address"]) + (
            [p["phone"]] if p.get("phone") else [])
        for i in range(max(len(left), len(right))):
            self.cell(self.width / 2, 4.5, latin1(left[i] if i < len(left)
                                                   else ""))
            self.cell(self.width / 2, 4.5, latin1(
                right[i] if i < len(right) else ""), align="R",
                new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(120)
        self.line(self.l_margin, self.get_y() + 2, self.w - self.r_margin,
                  self.get_y() + 2)
        self.ln(6)

    def footer(self):
        self.set_y(-13)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(90)
        self.cell(self.width / 2, 4, latin1(
            "Generated %s UTC by %s" % (self.data["generated_at"],
                                        self.data["generated_by"])))
        self.cell(self.width / 2, 4, "Page %d of {nb}" % self.page_no(),
                  align="R")
        self.set_text_color(0)

    # ------------------------------------------------------ building blocks
    def heading(self, text):
        self.ln(2)
        self.set_font(FONT, "B", 11)
        self.cell(self.width, 6, latin1(text), new_x="LMARGIN",
                  new_y="NEXT")

    def fields(self, pairs, label_w=42):
        """Label/value rows; values wrap."""
        for label, value in pairs:
            self.set_font(FONT, "B", 9)
            self.cell(label_w, 5, latin1(label))
            self.set_font(FONT, "", 9)
            self.multi_cell(self.width - label_w, 5, latin1(value or ""),
                            new_x="LMARGIN", new_y="NEXT")

    def two_columns(self, left_title, left, right_title, right):
        """Two address-like blocks side by side."""
        half = self.width / 2
        top = self.get_y()
        for i, (title, block) in enumerate(((left_title, left),
                                            (right_title, right))):
            self.set_xy(self.l_margin + i * half, top)
            self.set_font(FONT, "B", 8)
            self.cell(half - 4, 5, latin1(title), new_x="LEFT", new_y="NEXT")
            self.set_font(FONT, "", 10)
            for line in block:
                self.multi_cell(half - 4, 5, latin1(line), new_x="LEFT",
                                new_y="NEXT")
            if i == 0:
                bottom = self.get_y()
        self.set_xy(self.l_margin, max(bottom, self.get_y()) + 2)

    def table(self, headings, rows, widths, align):
        self.set_font(FONT, "", 9)
        with super().table(col_widths=widths, text_align=align,
                           line_height=5.5, width=self.width,
                           borders_layout=TableBordersLayout
                           .HORIZONTAL_LINES,
                           ) as t:
            for values in [headings] + rows:
                row = t.row()
                for value in values:
                    row.cell(latin1(value))

    def money_summary(self, rows, total_label, total):
        label_w, value_w = 60, 32
        x = self.w - self.r_margin - label_w - value_w
        self.ln(2)
        for label, cents in rows:
            self.set_x(x)
            self.set_font(FONT, "", 9.5)
            self.cell(label_w, 5.5, latin1(label), align="R")
            self.cell(value_w, 5.5, money(cents), align="R",
                      new_x="LMARGIN", new_y="NEXT")
        self.set_x(x)
        self.set_draw_color(0)
        self.line(x, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_font(FONT, "B", 11)
        self.cell(label_w, 7, latin1(total_label), align="R")
        self.cell(value_w, 7, money(total), align="R", new_x="LMARGIN",
                  new_y="NEXT")

    def output_bytes(self):
        return bytes(self.output())


def _client_block(data):
    c, o = data["client"], data["order"]
    return [
        ("Client", c.get("name") or o["client_name"]),
        ("Date of birth", c.get("dob") or ""),
        ("Registration no.", c.get("registration_number") or "not on file"),
        ("Client ID", str(o["client_id"])),
    ]


def _lines_table(doc, data):
    rows = [[line["sku"], line["name"], str(line["qty"]),
             money(line["price_cents"]), money(line["total_cents"])]
            for line in data["lines"]]
    doc.table(["SKU", "Product", "Qty", "Unit price", "Amount"], rows,
              (30, 70, 14, 28, 28), ("LEFT", "LEFT", "RIGHT", "RIGHT",
                                     "RIGHT"))


def _money_block(doc, data):
    m, o = data["money"], data["order"]
    discount = "Discount" + (" (%s)" % o["discount_reason"]
                             if o.get("discount_reason") else "")
    coverage = "Coverage" + (" (%s)" % data["client"]["coverage_name"]
                             if data["client"].get("coverage_name") else "")
    doc.money_summary([("Subtotal", m["subtotal_cents"]),
                       ("Shipping", m["shipping_cents"]),
                       (discount, -m["discount_cents"]),
                       (coverage, -m["coverage_cents"])],
                      "Total Due", m["total_cents"])


def _payment_fields(data):
    o = data["order"]
    method = states.PAYMENT_METHODS.get(o.get("payment_method"),
                                        o.get("payment_method") or "")
    return [("Payment", method or "not recorded"),
            ("Reference", o.get("payment_reference") or ""),
            ("Paid", o.get("paid_at") or "")]


def _shipping_fields(data):
    o, service = data["order"], data["service"]
    carrier = o.get("carrier") or (service or {}).get("carrier") or \
        "not selected"
    if service:
        carrier += " - %s" % service["service"]
    return [("Carrier", carrier),
            ("Tracking", o.get("tracking") or "not yet assigned"),
            ("Shipped", o.get("shipped_at") or "not yet shipped")]


def confirmation_receipt(data):
    o = data["order"]
    doc = _Doc("Confirmation Receipt", data)
    doc.fields(_client_block(data) + [
        ("Order date", o.get("created_at") or ""),
        ("Placed", o.get("placed_at") or ""),
        ("Taken by", o.get("placed_by") or "")] + _payment_fields(data))
    doc.ln(2)
    doc.two_columns("SHIP TO", [data["ship_name"]] + data["ship_address"],
                    "BILL TO", [data["client"].get("name") or
                                o["client_name"]] + labels.address_lines(
                        data["client"].get("address")))
    doc.heading("Items")
    _lines_table(doc, data)
    _money_block(doc, data)
    doc.ln(4)
    doc.set_font(FONT, "", 8.5)
    doc.multi_cell(doc.width, 4.5, latin1(
        "Thank you for your order. Cannabis products are shipped only to "
        "the address in the client's registration document."))
    return doc.output_bytes()


def shipping_receipt(data):
    o = data["order"]
    doc = _Doc("Shipping Receipt", data)
    p = data["producer"]
    doc.two_columns("SHIP TO", [data["ship_name"]] + data["ship_address"],
                    "SHIP FROM", [p["name"]] + labels.address_lines(
                        p["address"]))
    doc.fields([("Client", data["client"].get("name") or o["client_name"]),
                ("Registration no.", data["client"].get(
                    "registration_number") or "not on file")]
               + _shipping_fields(data))
    doc.heading("Items shipped")
    _lines_table(doc, data)
    grams = sum(line["line_grams"] for line in data["lines"])
    units = sum(line["qty"] for line in data["lines"])
    doc.set_font(FONT, "", 9)
    doc.cell(doc.width, 6, latin1("%s, %.1f g of cannabis"
                                   % (counted(units, "unit"), grams)),
             new_x="LMARGIN", new_y="NEXT")
    _money_block(doc, data)
    return doc.output_bytes()


def policy_receipt(data):
    o, c, m = data["order"], data["client"], data["money"]
    doc = _Doc("Policy Receipt", data)
    percent = c.get("coverage_percent")
    cap = c.get("coverage_max_cents")
    doc.fields(_client_block(data) + [
        ("Order date", o.get("created_at") or ""),
        ("Coverage policy", c.get("coverage_name") or "not named"),
        ("Coverage", "%d%%" % percent if percent is not None else
         "not recorded"),
        ("Limit per order", money(cap) if cap else "none"),
        ("Prescriber", c.get("prescriber") or "")])
    doc.heading("Items")
    _lines_table(doc, data)
    eligible = m["subtotal_cents"] + m["shipping_cents"] - \
        m["discount_cents"]
    doc.money_summary([("Subtotal", m["subtotal_cents"]),
                       ("Shipping", m["shipping_cents"]),
                       ("Discount", -m["discount_cents"]),
                       ("Amount claimed", eligible),
                       ("Amount covered by policy", m["coverage_cents"])],
                      "Client's remainder (Total Due)", m["total_cents"])
    return doc.output_bytes()


def picked_by(bottle):
    """Who picked a bottle, as the record prints it: the associate signed
    in on the gun and the gun ("Ari Associate, G01"), or the gun alone."""
    return ", ".join(x for x in (bottle.get("staff_name"),
                                 bottle.get("device_id")) if x)


def dispensing_record(data):
    """Every bottle dispensed (picked) with the order, and what is ordered
    but not picked: an order gets its record from the moment it is
    placed, before a bottle is picked, and a new version as picking goes
    on."""
    o, c = data["order"], data["client"]
    bottles = data["bottles"]
    status = states.STATUS_LABELS.get(o["status"], o["status"])
    picking = states.awaiting_fulfilment(o["status"])
    doc = _Doc("Dispensing Record", data)
    shipped = o.get("shipped_at")
    doc.fields(_client_block(data) + [
        ("Prescriber", c.get("prescriber") or "not on file"),
        ("Prescription expires", c.get("prescription_expires") or ""),
        ("Ship to", ", ".join([data["ship_name"]] + data["ship_address"])),
        ("Dispensed on", shipped[:10] if shipped else
         "not yet shipped (%s)" % status if picking else
         "not shipped (%s)" % status),
        ("Dispensed by", data["dispensed_by"] or o.get("placed_by") or ""),
    ] + _shipping_fields(data)[:2])
    doc.heading("Bottles dispensed")
    if bottles:
        rows = [[b["serial"], b["name"], b["sku"], b["lot_id"] or "",
                 b["packaged_on"] or "", b["expires_on"] or "",
                 "%.1f g" % (b["grams"] or 0), picked_by(b)]
                for b in bottles]
        doc.table(["Serial", "Product", "SKU", "Lot", "Packaged", "Expiry",
                   "Grams", "Picked by"], rows,
                  (20, 36, 24, 17, 18, 18, 14, 29),
                  ("LEFT",) * 6 + ("RIGHT", "LEFT"))
    else:
        doc.set_font(FONT, "", 9.5)
        doc.cell(doc.width, 6, latin1(
            "No bottle picked yet." if picking else "None."),
            new_x="LMARGIN", new_y="NEXT")
    grams = sum(b["grams"] or 0 for b in bottles)
    doc.set_font(FONT, "B", 10)
    doc.ln(1)
    doc.cell(doc.width, 6, latin1("%s, %.1f g in total"
                                   % (counted(len(bottles), "bottle"),
                                      grams)), align="R",
             new_x="LMARGIN", new_y="NEXT")
    waiting = [line for line in data["lines"] if line["picked"] < line["qty"]]
    if waiting:
        doc.heading("Ordered, not yet picked" if picking else
                    "Ordered, not dispensed")
        doc.table(["SKU", "Product", "Ordered", "Picked",
                   "Not yet picked" if picking else "Not dispensed"],
                  [[line["sku"], line["name"], str(line["qty"]),
                    str(line["picked"]), str(line["qty"] - line["picked"])]
                   for line in waiting],
                  (30, 70, 20, 20, 30),
                  ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"))
    return doc.output_bytes()


RENDERERS = {
    kinds.CONFIRMATION_RECEIPT: confirmation_receipt,
    kinds.SHIPPING_RECEIPT: shipping_receipt,
    kinds.POLICY_RECEIPT: policy_receipt,
    kinds.DISPENSING_RECORD: dispensing_record,
}
