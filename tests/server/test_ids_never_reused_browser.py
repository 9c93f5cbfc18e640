"""One real browser: a supervisor deletes the newest Open order from its
Order Menu and creates a new order for a client; the new order's page
shows another number and another QR code than the deleted one had, so a
label printed for the deleted order never names the new one."""
import io
import re

import zxingcpp
from PIL import Image

from server.orders import create as order_create
from shared import wire

DANIEL = 2


def shown_order(page):
    """(number in the heading, QR code caption, QR code as scanned)."""
    heading = page.locator("h1").inner_text()
    number = int(re.fullmatch(r"Order #(\d+)", heading).group(1))
    caption = page.locator("#qr figcaption .mono").inner_text()
    image = Image.open(io.BytesIO(page.locator("#qr").screenshot()))
    scanned = [r.text for r in zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.QRCode)]
    return number, caption, scanned


def test_deleted_order_number_is_not_given_to_the_next_order(
        signed_in_page, live_server, demo, keep_screenshot, screen):
    # A CSR took an order by phone, not placed yet: the newest order.
    deleted = order_create.create_order(demo, DANIEL, [("CBD-OIL-30", 1)],
                                  actor="csr")
    assert deleted == demo.execute("SELECT max(id) FROM orders") \
        .fetchone()[0]

    page = signed_in_page(live_server, "supervisor", viewport=screen[1])
    page.goto("%s/orders/%d" % (live_server, deleted))
    old_code = wire.order_code(deleted)
    assert shown_order(page) == (deleted, old_code, [old_code])
    keep_screenshot(page, "order-to-delete")

    # Delete Order asks first, in a step of its own.
    page.click("#step-delete summary")
    page.click("#step-delete button[data-action=delete]")
    page.wait_for_url("**/orders/")
    assert page.locator(".flash-success").inner_text().startswith(
        "Order #%d deleted" % deleted)

    # A new order for a client, from the client's Orders tab.
    page.goto("%s/clients/%d?tab=orders" % (live_server, DANIEL))
    page.click("#create-order")
    page.wait_for_url("**/orders/*")
    number, caption, scanned = shown_order(page)
    assert number > deleted
    assert caption == wire.order_code(number) != old_code
    assert scanned == [caption]
    assert page.locator("#status").inner_text() == "Open Order"
    keep_screenshot(page, "new-order")

    # The deleted order's page stays gone: its label finds nothing.
    response = page.goto("%s/orders/%d" % (live_server, deleted))
    assert response.status == 404
