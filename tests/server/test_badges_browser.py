"""In real Chromium: an administrator issues an associate's badge from
the Staff page, the card downloads (its QR code decoded is the badge),
the row shows the badge valid; reissuing asks first and makes the old
card worthless; revoking shows it revoked.  Screenshots of the page and
of the card (rendered from the PDF) go to test-output/screenshots/."""
import io
import os

import pypdf
import pypdfium2
import zxingcpp

from server.staff import badges
from shared import wire


def associate_row(page):
    return page.locator("tr[data-username=associate]")


def download_card(page, button):
    with page.expect_download() as info:
        button.click()
    with open(info.value.path(), "rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF-")
    assert info.value.suggested_filename == "badge-associate.pdf"
    return data


def card_code(pdf):
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    [page] = reader.pages
    return [r.text for image in page.images
            for r in zxingcpp.read_barcodes(
                image.image, formats=zxingcpp.BarcodeFormat.QRCode)]


def keep_card(pdf, keep_screenshot, page):
    """The card as a person sees it: rendered from the PDF, kept as PNG
    beside the screenshots (and its QR read from the rendering too)."""
    doc = pypdfium2.PdfDocument(pdf)
    image = doc[0].render(scale=600 / 72).to_pil()
    assert [r.text for r in zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.QRCode)] == card_code(pdf)
    page_path = keep_screenshot(page, "staff-page")
    path = os.path.join(os.path.dirname(page_path),
                        os.path.basename(page_path).replace(
                            "staff-page", "card"))
    image.save(path)
    return path


def test_admin_issues_reissues_and_revokes_a_badge(
        signed_in_page, live_server, demo, keep_screenshot):
    page = signed_in_page(live_server, "admin")
    page.goto(live_server + "/staff/")
    row = associate_row(page)
    assert row.locator("[data-badge]").get_attribute("data-badge") == "none"
    pdf = download_card(page, row.get_by_role("button", name="Issue"))
    [code] = card_code(pdf)
    kind, sid, body = wire.parse_code(code)
    assert kind == "badge" and badges.check(demo, code) == sid
    # The page reloads by itself and shows the badge valid.
    page.wait_for_selector("tr[data-username=associate] "
                           "[data-badge=valid]")
    assert "issued 20" in row.inner_text()
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Ari Associate" in text and "Staff no. %d" % sid in text
    keep_card(pdf, keep_screenshot, page)

    # Reissue asks first (the old card stops working).
    questions = []
    page.on("dialog", lambda d: (questions.append(d.message), d.accept()))
    new = download_card(page, row.get_by_role("button", name="Reissue"))
    assert questions and "stops working" in questions[-1]
    [new_code] = card_code(new)
    assert new_code != code
    assert badges.check(demo, code) is None
    assert badges.check(demo, new_code) == sid

    page.wait_for_selector("tr[data-username=associate] "
                           "[data-badge=valid]")
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_selector("tr[data-username=associate] "
                           "[data-badge=revoked]")
    assert "revoked" in page.locator(".flash-success, .flash").first \
        .inner_text()
    assert badges.check(demo, new_code) is None
    keep_screenshot(page, "revoked")
