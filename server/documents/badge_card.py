"""An associate's badge card as PDF: credit-card size (ID-1, 85.6 x 54
mm), the badge's QR code (wire.badge_code) beside the name, role and
staff number.  The card is printed once, when the badge is issued
(server.staff.badges): the code is never stored, so it is drawn from
what issuing hands back, and a lost card means a new badge."""
from server.documents.pdfkit import new_pdf, qr_image, text_box

CARD_W, CARD_H = 85.6, 54.0
MARGIN = 3.0
QR_MM = CARD_H - 2 * MARGIN - 6.0     # quiet zone included; room for a
                                      # caption below


def badge_card_pdf(code, name, role, staff_id, issued_at, site=""):
    """The card's PDF bytes: `code` the badge code, `role` its label
    ("Fulfilment associate"), `issued_at` the issue time (text)."""
    pdf = new_pdf((CARD_W, CARD_H))
    pdf.set_title("Badge of %s" % name)
    pdf.add_page()
    pdf.set_draw_color(200)             # cut guide
    pdf.rect(0.2, 0.2, CARD_W - 0.4, CARD_H - 0.4)
    pdf.image(qr_image(code), x=MARGIN, y=MARGIN, w=QR_MM, h=QR_MM)
    text_box(pdf, MARGIN, MARGIN + QR_MM + 0.5, QR_MM,
             "Scan on a gun to sign in", "", 6)
    x = MARGIN + QR_MM + 2.0
    width = CARD_W - x - MARGIN
    y = MARGIN + 1.0
    y = text_box(pdf, x, y, width, (site or "Pickgun") + " staff badge",
                 "", 7)
    y += 4.0
    y = text_box(pdf, x, y, width, name, "B", 13, max_lines=2)
    y += 1.5
    y = text_box(pdf, x, y, width, role, "", 9)
    y += 1.5
    y = text_box(pdf, x, y, width, "Staff no. %d" % staff_id, "", 9)
    text_box(pdf, x, CARD_H - MARGIN - 7.0, width,
             "Issued %s" % (issued_at or "")[:10], "", 6.5)
    text_box(pdf, x, CARD_H - MARGIN - 4.0, width,
             "Not a password. Lost? Ask for a new badge.", "", 5.5,
             max_lines=2)
    return bytes(pdf.output())
