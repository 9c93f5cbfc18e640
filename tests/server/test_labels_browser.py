"""In real Chromium: the order page's label buttons post (with the
page's CSRF token), the PDF downloads or opens in the viewer, the page
stays where it was, and each print, reprint and view is in the order
history."""
import io

import pypdf

from order_helpers import history_count

VIEWER = "chrome-extension://"


def last_history(db, order_id):
    return dict(db.execute("SELECT action, actor, detail FROM order_history "
                           "WHERE order_id = ? ORDER BY id DESC LIMIT 1",
                           [order_id]).fetchone())


def download(page, selector):
    """The text of the PDF that clicking `selector` downloads."""
    with page.expect_download() as info:
        page.click(selector)
    with open(info.value.path(), "rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(p.extract_text() for p in reader.pages)


def test_associate_prints_labels_from_the_order_page(
        signed_in_page, live_server, demo):
    page = signed_in_page(live_server, "associate")
    page.goto(live_server + "/orders/1003")
    serial = demo.execute("SELECT serial FROM picks WHERE order_id = 1003 "
                          "AND status = 'accepted'").fetchone()[0]
    for selector, words, detail in (
            ("#bottle-labels", serial, serial),
            ("#order-label", "Order #1003", "order label"),
            ("#patient-labels", serial, "patient labels: " + serial)):
        before = history_count(demo, 1003)
        assert words in download(page, selector)
        assert history_count(demo, 1003) == before + 1
        h = last_history(demo, 1003)
        assert (h["action"], h["actor"]) == ("print_labels", "associate")
        assert detail in h["detail"]
        assert page.url.endswith("/orders/1003")
    # Printing again is a second record: no print goes unrecorded.
    before = history_count(demo, 1003)
    download(page, "#bottle-labels")
    assert history_count(demo, 1003) == before + 1


def test_shipping_label_prints_or_opens_in_the_viewer(
        signed_in_page, live_server, demo):
    page = signed_in_page(live_server, "associate")
    page.goto(live_server + "/orders/1002")
    before = history_count(demo, 1002)
    assert "SHIP TO" in download(page, "[data-label=shipping-print]")
    assert "printed" in last_history(demo, 1002)["detail"]
    with page.expect_popup() as info:
        page.click("[data-label=shipping-view]")
    viewer = info.value
    for _ in range(50):
        if any(f.url.startswith(VIEWER) for f in viewer.frames):
            break
        viewer.wait_for_timeout(100)
    assert any(f.url.startswith(VIEWER) for f in viewer.frames)
    assert history_count(demo, 1002) == before + 2
    h = last_history(demo, 1002)
    assert h["action"] == "print_shipping_label" and "viewed" in h["detail"]
    viewer.close()
    assert page.url.endswith("/orders/1002")


def test_order_menu_reprints_download_and_record(
        signed_in_page, live_server, demo):
    page = signed_in_page(live_server, "csr")
    page.goto(live_server + "/orders/1001")
    for which, action in (("bottle", "reprint_bottle_labels"),
                          ("patient", "reprint_patient_labels")):
        before = history_count(demo, 1001)
        download(page, "#menu button[data-action=%s]" % action)
        assert history_count(demo, 1001) == before + 1
        assert last_history(demo, 1001)["action"] == action
        download(page, "#documents button[data-reprint=%s]" % which)
        assert history_count(demo, 1001) == before + 2
