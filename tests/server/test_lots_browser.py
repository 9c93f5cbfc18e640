"""In real Chromium: a supervisor finds a lot on the Lots page, puts it
on hold with a reason, sees the flag on the order that holds a bottle of
it and on the picking list, resets picking from the flag, recalls the
lot and downloads its recall report as CSV and PDF, read back.
Screenshots of the Lots page, the lot, the flag and the recall report
go to test-output/screenshots/."""
import csv
import io

import pypdf

from test_lots import picked_lot


def download(page, selector):
    with page.expect_download() as info:
        page.click(selector)
    with open(info.value.path(), "rb") as f:
        return info.value.suggested_filename, f.read()


def test_supervisor_holds_a_lot_resets_picking_and_recalls_it(
        signed_in_page, live_server, demo, keep_screenshot):
    lot_id, serial = picked_lot(demo)
    page = signed_in_page(live_server, "supervisor")
    page.click("header nav >> text=Lots")
    page.wait_for_url("**/lots/")
    row = page.locator("tr[data-lot='%s']" % lot_id)
    assert "Released" in row.inner_text()
    keep_screenshot(page, "lots-page")

    page.select_option("#lot-status", "released")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**status=released**")
    page.click("tr[data-lot='%s'] a" % lot_id)
    page.wait_for_url("**/lots/%s" % lot_id)
    # The browser will not send an empty reason (required).
    page.click("button[data-action=hold]")
    assert page.url.endswith("/lots/%s" % lot_id)
    assert demo.execute("SELECT status FROM lots WHERE id = ?",
                        [lot_id]).fetchone()[0] == "released"
    page.fill("#reason-hold", "Lab found mould in a retained sample")
    page.click("button[data-action=hold]")
    page.wait_for_selector(".flash-success")
    assert page.inner_text("#lot-status") == "On hold"
    assert "Lab found mould" in page.inner_text("#lot-history")
    keep_screenshot(page, "lot-on-hold")

    # The order holding a bottle of it says so, with Reset Picking.
    page.goto(live_server + "/orders/picking-list")
    flag = page.locator("#order-1003 .lot-flag")
    assert "1 bottle of lot %s, on hold: reset picking" % lot_id in \
        flag.inner_text()
    flag.locator("a").click()
    page.wait_for_url("**/orders/1003#lot-flags")
    assert serial in page.inner_text("#lot-flags")
    keep_screenshot(page, "order-flag")
    page.click("#flag-reset_picking summary")
    assert page.input_value("#flag-reset-reason") == "Lot %s on hold" % lot_id
    page.click("#flag-reset_picking button[data-action=reset_picking]")
    page.wait_for_selector(".flash-success")
    assert page.locator("#lot-flags").count() == 0
    assert demo.execute("SELECT status FROM bottles WHERE serial = ?",
                        [serial]).fetchone()[0] == "in_stock"

    # Recalled: final, and the report of every bottle that left.
    page.goto(live_server + "/lots/%s" % lot_id)
    page.fill("#reason-recall", "Health Canada recall 2026-114")
    page.click("button[data-action=recall]")
    page.wait_for_selector(".flash-success")
    assert page.inner_text("#lot-status") == "Recalled"
    assert page.locator("#lot-actions form").count() == 0
    page.click("#recall-report")
    page.wait_for_url("**/lots/%s/recall" % lot_id)
    shipped = [r[0] for r in demo.execute(
        "SELECT serial FROM bottles WHERE lot_id = ? AND status = 'shipped' "
        "ORDER BY order_id, serial", [lot_id])]
    assert shipped
    rows = page.locator("#recall-rows tbody tr")
    assert [rows.nth(i).get_attribute("data-serial")
            for i in range(rows.count())] == shipped
    assert "Health Canada recall" in page.inner_text("main")
    keep_screenshot(page, "recall-report")

    name, data = download(page, "#recall-csv")
    assert name == "recall-%s.csv" % lot_id
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r[0] for r in table[1:]] == shipped
    name, data = download(page, "#recall-pdf")
    assert name.endswith(".pdf") and data.startswith(b"%PDF-")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(
        io.BytesIO(data)).pages)
    assert "Recall report: lot %s" % lot_id in text
    assert all(s in text for s in shipped)
