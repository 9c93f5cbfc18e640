"""One real browser: the Order Profile's QR code scans as the order's code,
and a note added through the form appears on the page."""
import io

from PIL import Image

from order_helpers import in_stock, record_pick
from shared import wire

import zxingcpp


def test_order_page_qr_and_note(signed_in_page, live_server, demo):
    page = signed_in_page(live_server, "csr")
    try:
        page.goto(live_server + "/orders/1004")
        assert page.locator("h1").inner_text() == "Order #1004"

        shot = page.screenshot(full_page=True)
        image = Image.open(io.BytesIO(shot))
        found = zxingcpp.read_barcodes(
            image, formats=zxingcpp.BarcodeFormat.QRCode)
        assert [r.text for r in found] == [wire.order_code(1004)]

        page.fill("#note-text", "Deliver after 5 pm")
        page.click(".note-form button[type=submit]")
        page.wait_for_url("**/orders/1004#notes")
        assert page.locator(".flash-success").inner_text().startswith(
            "Note added")
        assert page.locator(".notes li").last.inner_text().startswith(
            "Deliver after 5 pm")

        # A pick recorded by a gun shows up without reloading the page.
        serial = in_stock(demo, "THC-CAP-10")[0]
        record_pick(demo, 1004, serial, device="G02")
        page.locator("#picks").get_by_text(serial).wait_for(timeout=5000)
    finally:
        page.close()
