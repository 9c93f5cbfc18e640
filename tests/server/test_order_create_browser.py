"""One real browser: a CSR opens a client's profile, creates an order,
adds items, selects shipping, pays by cheque (Awaiting Payment), then
confirms the payment (Order Placed)."""
from order_helpers import order_row


def test_csr_creates_and_pays_an_order(signed_in_page, live_server, demo):
    page = signed_in_page(live_server, "csr")
    page.goto(live_server + "/clients/")
    page.fill("#client-search", "Okafor")
    page.click(".filters button[type=submit]")
    page.click("text=Daniel Okafor")
    assert page.locator("#client-name").inner_text() == "Daniel Okafor"
    page.click("a.tab[data-tab=orders]")
    page.click("#create-order")
    page.wait_for_url("**/orders/*")
    order_id = int(page.url.rstrip("/").split("/")[-1])
    assert page.locator("#status").inner_text() == "Open Order"

    page.select_option("#add-sku", "CBD-OIL-30")
    page.fill("#add-qty", "2")
    page.click("#add-item-button")
    page.select_option("#add-sku", "THC-CAP-10")
    page.fill("#add-qty", "1")
    page.click("#add-item-button")
    assert page.locator("#total-subtotal").inner_text() == "$184.97"

    page.select_option("#shipping-rate-select", label=page.locator(
        "#shipping-rate-select option", has_text="Purolator Ground"
    ).inner_text())
    page.click("#select-shipping")
    assert "Purolator Ground" in page.locator("#shipping-rate").inner_text()
    assert page.locator("#total-due").inner_text() == "$202.92"

    page.select_option("#payment-method-select", "cheque")
    page.click("#take-payment")
    assert page.locator("#status").inner_text() == "Awaiting Payment"
    assert order_row(demo, order_id)["status"] == "awaiting_payment"

    page.click("#confirm-payment")
    assert page.locator("#status").inner_text() == "Order Placed"
    o = order_row(demo, order_id)
    assert (o["status"], o["payment_method"], o["total_cents"]) == (
        "placed", "cheque", 18497 + 1795)
    assert o["paid_at"]
