"""In real Chromium, at both screen sizes: the Order Menu asks for a
reason in a step of its own (one open at a time) that says what will
happen, Archive/Unarchive says which it will do, actions a role may not
use are shown disabled with what they need, and Generate offers only
what can be generated.  Screenshots go to test-output/screenshots/."""
import io

import pypdf
import pytest

from order_helpers import order_row
from tests.conftest import WIDTHS


def open_page(signed_in_page, live_server, user, width, path):
    page = signed_in_page(live_server, user, viewport=WIDTHS[width])
    refused = []
    page.on("console", lambda msg: refused.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.goto(live_server + path)
    return page, refused


def fits(page):
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth")


def flash(page):
    return page.locator(".flash").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_refuse_asks_for_its_reason_in_its_own_step(
        signed_in_page, live_server, demo, keep_screenshot, width):
    page, refused = open_page(signed_in_page, live_server, "csr", width,
                              "/orders/1003")
    menu = page.locator("#menu")
    serial = demo.execute("SELECT serial FROM picks WHERE order_id = 1003 "
                          "AND status = 'accepted'").fetchone()[0]
    # Nothing to type into until an action's step is opened.
    assert menu.locator("input:visible").count() == 0
    assert menu.locator("details.step[open]").count() == 0

    menu.locator("summary", has_text="Refuse Order").click()
    step = page.locator("#step-refuse")
    assert step.evaluate("el => el.open")
    assert step.locator(".step-effect").inner_text() == (
        "The order moves to Order Refused. Its 1 picked bottle goes back "
        "to inventory.")
    # One step open at a time: opening Cancel closes Refuse.
    menu.locator("summary", has_text="Cancel Order").click()
    assert [menu.locator("details.step[open]").get_attribute("id")] == [
        "step-cancel"]
    assert not step.evaluate("el => el.open")
    menu.locator("summary", has_text="Refuse Order").click()
    page.get_by_label("Why is the order refused?").fill(
        "Prescription lapsed")
    assert fits(page)
    keep_screenshot(page, "refuse-step")

    button = step.locator("button[type=submit]")
    assert button.inner_text() == "Refuse Order"
    button.click()
    page.wait_for_load_state()
    assert page.locator("#status").inner_text() == "Order Refused"
    assert flash(page) == "Refuse Order: the order is now Order Refused."
    # What the step said is what happened.
    assert demo.execute("SELECT status FROM bottles WHERE serial = ?",
                        [serial]).fetchone()[0] == "in_stock"
    detail = demo.execute("SELECT detail FROM order_history WHERE "
                          "order_id = 1003 ORDER BY id DESC").fetchone()[0]
    assert "Reason: Prescription lapsed" in detail
    assert refused == []


@pytest.mark.parametrize("width", WIDTHS)
def test_delete_says_what_will_happen_first(
        signed_in_page, live_server, demo, keep_screenshot, width):
    page, _ = open_page(signed_in_page, live_server, "supervisor", width,
                        "/orders/1007")
    page.locator("#menu summary", has_text="Delete Order").click()
    assert page.locator("#step-delete .step-effect").inner_text() == (
        "Order #1007, its items, notes and history are removed for good. "
        "This cannot be undone.")
    keep_screenshot(page, "delete-step")
    page.locator("#step-delete button", has_text="Delete Order").click()
    page.wait_for_url("**/orders/")
    assert flash(page) == "Order #1007 deleted."
    assert order_row(demo, 1007) is None


@pytest.mark.parametrize("width", WIDTHS)
def test_archive_and_unarchive_say_which(
        signed_in_page, live_server, demo, keep_screenshot, width):
    page, _ = open_page(signed_in_page, live_server, "csr", width,
                        "/orders/1002")
    page.locator("#menu button", has_text="Archive Order").click()
    page.wait_for_load_state()
    assert flash(page).startswith("Order #1002 archived")
    assert order_row(demo, 1002)["archived"] == 1
    button = page.locator("#menu button[data-action=archive]")
    assert button.inner_text() == "Unarchive Order"
    keep_screenshot(page, "archived")
    button.click()
    page.wait_for_load_state()
    assert flash(page).startswith("Order #1002 unarchived")
    assert page.locator("#menu button[data-action=archive]").inner_text() \
        == "Archive Order"


def disabled_with_needs(page, selector, needs):
    """The button is on the page, disabled, titled with what it needs, and
    says so in visible small text beside it."""
    button = page.locator(selector)
    assert button.is_visible() and button.is_disabled(), selector
    assert button.get_attribute("title") == needs
    note = button.locator("xpath=following-sibling::small[1]")
    assert note.is_visible() and note.inner_text() == needs


@pytest.mark.parametrize("width", WIDTHS)
def test_what_a_role_may_not_use_is_shown_disabled(
        signed_in_page, live_server, demo, keep_screenshot, width):
    page, refused = open_page(signed_in_page, live_server, "csr", width,
                              "/orders/1004")
    disabled_with_needs(page, "#menu button[data-action=refund]",
                        "Needs a supervisor")
    assert page.locator("#step-refund").count() == 0
    keep_screenshot(page, "csr-order-menu")
    page.goto(live_server + "/orders/")
    page.click("summary:has-text('Orders menu')")
    disabled_with_needs(page, ".dash-menu button:has-text('Archive Shipped')",
                        "Needs a supervisor")
    keep_screenshot(page, "csr-orders-menu")

    page, refused = open_page(signed_in_page, live_server, "associate", width,
                              "/orders/1004")
    for action in ("cancel", "refuse", "reset_picking", "archive"):
        disabled_with_needs(page, "#menu button[data-action=%s]" % action,
                            "Needs a CSR")
    disabled_with_needs(page, "#menu button[data-action=refund]",
                        "Needs a supervisor")
    disabled_with_needs(page, "#doc-generate", "Needs a CSR")
    disabled_with_needs(page, "#doc-upload", "Needs a CSR")
    disabled_with_needs(page, "#notes button", "Needs a CSR")
    # What associates do is not disabled: the pick link and label prints.
    assert page.locator("#menu a[data-action=pick]").is_visible()
    assert page.locator("#order-label").is_enabled()
    assert fits(page)
    keep_screenshot(page, "associate-order")

    page.goto(live_server + "/clients/4?tab=orders")
    disabled_with_needs(page, "#create-order", "Needs a CSR")
    keep_screenshot(page, "associate-client-orders")
    page.goto(live_server + "/clients/4?tab=recurring")
    disabled_with_needs(page, "#new-recurring", "Needs a CSR")
    disabled_with_needs(page, "button[data-recurring]", "Needs a CSR")
    page.goto(live_server + "/clients/4")
    disabled_with_needs(page, "#save-client", "Needs a CSR")
    assert refused == []


@pytest.mark.parametrize("width", WIDTHS)
def test_generate_offers_only_what_can_be_generated(
        signed_in_page, live_server, demo, keep_screenshot, width):
    # Jean-Luc has no coverage policy; nothing is picked for 1004 yet.
    page, _ = open_page(signed_in_page, live_server, "csr", width,
                        "/orders/1004")
    page.click("summary#doc-generate")
    menu = page.locator(".doc-generate-menu")
    assert [b.get_attribute("data-generate")
            for b in menu.locator("button").all()] == [
        "confirmation_receipt", "shipping_receipt", "dispensing_record"]
    assert menu.locator("[data-not-offered=policy_receipt]").inner_text() == (
        "No Policy Receipt: the client has no coverage policy on file.")
    keep_screenshot(page, "generate-menu")

    menu.locator("button[data-generate=dispensing_record]").click()
    page.wait_for_load_state()
    assert flash(page) == "Dispensing Record v1 generated."
    link = page.locator("#documents a.doc-title", has_text="Dispensing Record")
    response = page.request.get(live_server + link.get_attribute("href"))
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(
        io.BytesIO(response.body())).pages)
    assert "No bottle picked yet." in text
    assert "Ordered, not yet picked" in text and "THC-CAP-10" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_picking_list_prints(signed_in_page, live_server, demo,
                             keep_screenshot, width):
    page, refused = open_page(signed_in_page, live_server, "associate",
                              width, "/orders/picking-list")
    page.evaluate("() => { window.print = () => { window.printed = true; }; }")
    page.click("button[data-print]")
    assert page.evaluate("() => window.printed === true")
    keep_screenshot(page, "picking-list")
    assert refused == []
