"""The Order Profile's Overview and record tabs in one real browser, at the
desktop and tablet widths: an empty order is neither picked nor payable,
a refunded order shows its refund, the after-shipping records only for an
order that dispensed something, a disabled action says what it needs, and
the shipping rate select stays inside its card.  Screenshots go to
test-output/screenshots/."""
import pytest

from order_helpers import order_row
from server.orders import actions
from server.orders import create
from server.orders import queries
from tests.conftest import WIDTHS

DANIEL = 2
# Laptop widths the back office is used at, besides WIDTHS.
LAPTOP = (1024, 768)


def open_as(signed_in_page, live_server, role, width):
    return signed_in_page(live_server, role, viewport=WIDTHS[width])


def button(page, button_id):
    """(text, disabled, title, the small text beside it) of a button."""
    b = page.locator("#" + button_id)
    beside = page.locator("#%s + .needs" % button_id)
    return (b.inner_text().strip(), b.is_disabled(),
            b.get_attribute("title"),
            beside.inner_text() if beside.count() else None)


def tab_names(page):
    return page.locator("nav.tabs a.tab").evaluate_all(
        "tabs => tabs.map(t => t.dataset.tab)")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_empty_order_is_not_picked_and_cannot_be_paid(
        signed_in_page, live_server, demo, keep_screenshot, width):
    order_id = create.create_order(demo, DANIEL, [], actor="csr",
                                   allow_empty=True)
    page = open_as(signed_in_page, live_server, "csr", width)
    page.goto(live_server + "/orders/%d" % order_id)
    assert page.locator("#live").get_by_text("Fully picked").count() == 0
    assert page.locator("#live").get_by_text("No items yet").is_visible()
    assert button(page, "take-payment") == (
        "Take Payment", True, "Add an item first", "Add an item first")
    assert page.locator("#payment-method-select").is_disabled()
    assert page.locator("#payment-amount").inner_text() == "$0.00"
    keep_screenshot(page, width)

    # Forced past the disabled button, the server still refuses.
    page.evaluate("""() => {
        const form = document.getElementById('payment-form');
        form.querySelectorAll('[disabled]').forEach(
            e => e.removeAttribute('disabled'));
        form.querySelector('select').value = 'credit_card';
        form.submit(); }""")
    page.wait_for_load_state()
    assert "Take Payment: the order has no items. Add an item first." in \
        page.locator(".flash-error").inner_text()
    assert page.locator("#status").inner_text() == "Open Order"
    assert order_row(demo, order_id)["paid_at"] is None

    # With an item and shipping it is payable.
    page.select_option("#add-sku", "CBD-OIL-30")
    page.click("#add-item-button")
    page.select_option("#shipping-rate-select", index=1)
    page.click("#select-shipping")
    text, disabled, _, _ = button(page, "take-payment")
    assert (text, disabled) == ("Take Payment", False)
    page.select_option("#payment-method-select", "credit_card")
    page.click("#take-payment")
    assert page.locator("#status").inner_text() == "Order Placed"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_refunded_order_shows_its_refund(
        signed_in_page, live_server, demo, keep_screenshot, width):
    total = order_row(demo, 1004)["total_cents"]
    actions.apply_action(demo, 1004, "refund", "supervisor",
                        {"reason": "Client moved abroad"})
    page = open_as(signed_in_page, live_server, "csr", width)
    page.goto(live_server + "/orders/1004")
    refund = page.locator("#refund")
    assert refund.is_visible()
    money = "$%.2f" % (total / 100)
    assert page.locator("#refund-amount").inner_text() == money
    assert page.locator("#refund-by").inner_text() == "supervisor"
    assert page.locator("#refund-reason").inner_text() == \
        "Client moved abroad"
    assert page.locator("#refund-at").inner_text() == \
        queries.order_history(demo, 1004)[0]["at"]
    assert page.locator("#total-refunded").inner_text() == "−" + money
    # Who refunded, when and why sit inside the Payment card.
    card = page.locator("#payment").bounding_box()
    box = refund.bounding_box()
    assert card["y"] <= box["y"] and \
        box["y"] + box["height"] <= card["y"] + card["height"]
    refund.scroll_into_view_if_needed()
    keep_screenshot(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_after_shipping_records_only_when_something_was_dispensed(
        signed_in_page, live_server, demo, keep_screenshot, width):
    # 1003 refused while placed (its picked bottle went back to stock);
    # 1002 refused after it shipped; 1008 cancelled.
    actions.apply_action(demo, 1003, "refuse", "csr")
    actions.apply_action(demo, 1002, "refuse", "csr")
    page = open_as(signed_in_page, live_server, "csr", width)
    page.goto(live_server + "/orders/1003?tab=complaints")
    assert tab_names(page) == ["overview", "receipts", "dispensing"]
    assert page.locator("#tab-complaints").count() == 0
    keep_screenshot(page, width + "-refused-before-shipping")
    page.goto(live_server + "/orders/1008")
    assert tab_names(page) == ["overview"]

    page.goto(live_server + "/orders/1002")
    assert tab_names(page) == ["overview", "receipts", "dispensing",
                               "complaints", "destruction", "returned_grams"]
    page.click("a.tab[data-tab=destruction]")
    # Offered by the status, not by the CSR's role: shown, disabled.
    assert button(page, "record-destruction") == (
        "Record Destruction", True, "Needs a supervisor",
        "Needs a supervisor")
    assert page.locator("#destruction-new input[name=serials]").first\
        .is_disabled()
    keep_screenshot(page, width + "-refused-after-shipping")
    page.click("a.tab[data-tab=complaints]")
    text, disabled, _, _ = button(page, "log-complaint")
    assert (text, disabled) == ("Log Complaint", False)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_action_the_role_may_not_use_says_what_it_needs(
        signed_in_page, live_server, demo, keep_screenshot, width):
    page = open_as(signed_in_page, live_server, "associate", width)
    page.goto(live_server + "/orders/1007")
    for button_id, name in [("select-shipping", "Select Shipping"),
                            ("take-payment", "Take Payment"),
                            ("add-item-button", "Add item")]:
        assert button(page, button_id) == (name, True, "Needs a CSR",
                                           "Needs a CSR")
        assert page.locator("#%s + .needs" % button_id).is_visible()
    assert page.locator("#shipping-rate-select").is_disabled()
    keep_screenshot(page, width)


def boxes(page, selector):
    return page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); "
        "return {id: e.id || e.name, left: r.left, right: r.right}; })")


def inside(inner, outer):
    return outer["left"] - 0.5 <= inner["left"] and \
        inner["right"] <= outer["right"] + 0.5


@pytest.mark.parametrize("viewport", [LAPTOP, WIDTHS["desktop"],
                                      WIDTHS["tablet"]],
                         ids=["laptop-1024", "desktop", "tablet"])
def test_the_shipping_rate_select_fits_its_card(
        signed_in_page, live_server, demo, keep_screenshot, viewport):
    # The longest rate reads "Canada Post Expedited Parcel · $14.95 ·
    # 2-5 business days": wider than the card on a laptop.
    page = signed_in_page(live_server, "csr", viewport=viewport)
    page.goto(live_server + "/orders/1007")
    select = page.locator("#shipping-rate-select").bounding_box()
    card = page.locator("#shipping").bounding_box()
    menu = page.locator("#menu").bounding_box()
    assert card["x"] <= select["x"]
    assert select["x"] + select["width"] <= card["x"] + card["width"]
    if menu["y"] < card["y"] + card["height"] and menu["x"] > card["x"]:
        # Side by side: the select stops before the Order Menu column.
        assert select["x"] + select["width"] < menu["x"]
    # Every field of the Overview's cards keeps inside its card, and the
    # page never scrolls sideways.
    for card_id in ("items", "shipping", "totals", "payment"):
        outer = boxes(page, "#" + card_id)[0]
        for field in boxes(page, "#%s select, #%s input:not([type=hidden])"
                           % (card_id, card_id)):
            assert inside(field, outer), (card_id, field, outer)
    assert page.evaluate("document.documentElement.scrollWidth <= "
                         "document.documentElement.clientWidth")
    keep_screenshot(page, "%dx%d" % viewport)
