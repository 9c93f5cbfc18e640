"""One real browser on the Orders dashboard: search, sort by clicking the
column headers, the radio filters, and a tablet-width layout."""


def order_ids(page):
    return [int(i) for i in page.locator("tr[data-order-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.orderId)")]


def test_search_sort_and_filter_in_a_browser(signed_in_page, live_server,
                                             demo):
    page = signed_in_page(live_server, "csr")
    refused = []
    page.on("console", lambda msg: refused.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.goto(live_server + "/orders/")
    assert len(order_ids(page)) == 8

    page.fill("#order-search", "marg")
    page.press("#order-search", "Enter")
    page.wait_for_url("**/orders/?*q=marg*")
    assert order_ids(page) == [1007, 1001]      # newest first
    assert "2 orders match" in page.locator("#order-count").inner_text()

    page.click("th a[data-sort=id]")
    page.wait_for_url("**sort=id*")
    assert order_ids(page) == [1007, 1001]
    assert page.locator("th[aria-sort]").text_content().strip().startswith(
        "Order ID")
    page.click("th a[data-sort=id]")
    page.wait_for_url("**dir=asc*")
    assert order_ids(page) == [1001, 1007]
    assert page.input_value("#order-search") == "marg"

    page.click("th a[data-sort=status]")
    page.wait_for_url("**sort=status*")
    assert order_ids(page) == [1007, 1001]      # Open before Delivered

    # A radio filter applies at once (no inline handler: CSP allows it).
    page.click("label.radio-pill:has-text('Archived')")
    page.wait_for_url("**show=archived*")
    assert order_ids(page) == []
    assert page.get_by_text("No orders match.").is_visible()
    assert refused == []


def test_dashboard_fits_a_tablet(signed_in_page, live_server, demo):
    page = signed_in_page(live_server, "csr", viewport=(768, 1024))
    page.goto(live_server + "/orders/")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    scroller = page.locator(".table-scroll")
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")
    # The Orders menu opens without a script.
    page.click("summary:has-text('Orders menu')")
    assert page.get_by_role("link", name="View Picking List").is_visible()
