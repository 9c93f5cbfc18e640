"""A CSR's day in one real browser, on the demo data: sign in, find an
order by search, create an order for a client, take a cheque through
Awaiting Payment to Order Placed, add a must-acknowledge note that a gun
acknowledges, ship once picked, mark delivered and generate documents,
whose PDFs are read back.  Screenshots of the main pages go to
test-output/screenshots/ for a person to look at."""
import io
import time
from pathlib import Path

import pypdf

from order_helpers import order_row
from server.gunlink.ingest import ingest_batch
from shared import wire

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (name + ".png")), full_page=True)


def gun_event(device, seq, kind, order_id, code=None, notes=None):
    payload = wire.encode(wire.event(1, seq, kind, order_id,
                                     int(time.time()), code=code,
                                     notes=notes))
    return wire.dev_topic(device, wire.EVT), payload


def pdf_text(page, url):
    """The text of the PDF at `url`, fetched with the page's session."""
    response = page.request.get(url)
    assert response.ok and response.body().startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(response.body()))
    return "\n".join(p.extract_text() for p in reader.pages)


def test_csr_journey(signed_in_page, live_server, demo):
    page = signed_in_page(live_server, "csr")
    base = live_server

    # Find an order by search.
    page.goto(base + "/orders/")
    shot(page, "01-orders-dashboard")
    page.fill("#order-search", "Tremblay")
    page.press("#order-search", "Enter")
    page.wait_for_url("**q=Tremblay*")
    assert page.locator("tr[data-order-id='1001']").count() == 1
    page.click("tr[data-order-id='1001'] a >> nth=0")
    page.wait_for_url("**/orders/1001*")
    shot(page, "02-order-delivered")

    # A client's profile, and a new order from its Orders tab.
    page.goto(base + "/clients/")
    page.fill("#client-search", "Gagnon")
    page.click(".filters button[type=submit]")
    page.click("text=Jean-Luc Gagnon")
    shot(page, "03-client-profile")
    page.click("a.tab[data-tab=orders]")
    page.click("#create-order")
    page.wait_for_url("**/orders/*")
    order_id = int(page.url.split("#")[0].rstrip("/").split("/")[-1])
    page.select_option("#add-sku", "CBD-OIL-30")
    page.fill("#add-qty", "1")
    page.click("#add-item-button")
    page.select_option("#shipping-rate-select", label=page.locator(
        "#shipping-rate-select option", has_text="Canada Post Xpresspost"
    ).inner_text())
    page.click("#select-shipping")
    shot(page, "04-new-order-overview")

    # Cheque: Awaiting Payment until the CSR confirms it arrived.
    page.select_option("#payment-method-select", "cheque")
    page.click("#take-payment")
    assert page.locator("#status").inner_text() == "Awaiting Payment"
    page.click("#confirm-payment")
    assert page.locator("#status").inner_text() == "Order Placed"

    # A must-acknowledge note, acknowledged on a gun.
    page.fill("#note-text", "Client asked for a signature on delivery")
    page.check("input[name=severity][value=ack]")
    page.click(".note-form button[type=submit]")
    note = demo.execute("SELECT id FROM notes WHERE order_id = ? "
                        "ORDER BY id DESC", [order_id]).fetchone()[0]
    ingest_batch(demo, [gun_event("G01", 1, wire.NOTES_ACK, order_id,
                                  notes=[note])])

    # The gun picks the bottle (as the worker records it), then ship.
    bottle = demo.execute("SELECT serial, sku, lot_id FROM bottles WHERE "
                          "sku = 'CBD-OIL-30' AND status = 'in_stock' "
                          "ORDER BY serial").fetchone()
    ingest_batch(demo, [gun_event("G01", 2, wire.PICK, order_id,
                                  code=wire.bottle_code(*bottle))])
    page.goto(base + "/orders/%d" % order_id)
    assert "G01" in page.locator("#note-%d" % note).inner_text()
    assert page.locator("#picks").get_by_text(bottle[0]).count() >= 1
    shot(page, "05-order-placed-picked")
    # Mark as Shipped asks in a step of its own: what it will do, then
    # carrier and tracking.
    page.click("#step-ship summary")
    assert "moves to Order Shipped" in page.locator(
        "#step-ship .step-effect").inner_text()
    page.fill("input[data-field=ship-tracking]", "7023 4411 9870 5555")
    page.click("button[data-action=ship]")
    assert page.locator("#status").inner_text() == "Order Shipped"
    page.click("button[data-action=mark_delivered]")
    assert page.locator("#status").inner_text() == "Order Delivered"
    o = order_row(demo, order_id)
    assert (o["status"], o["tracking"]) == ("delivered",
                                            "7023 4411 9870 5555")
    assert o["shipped_at"] and o["delivered_at"]

    # Documents: a receipt and the dispensing record, read back.
    page.click("a.tab[data-tab=receipts]")
    page.click("button[data-generate=confirmation_receipt] >> nth=0")
    page.click("a.tab[data-tab=dispensing]")
    page.click("button[data-generate=dispensing_record] >> nth=0")
    shot(page, "06-dispensing-record-tab")
    docs = {r["kind"]: r["id"] for r in demo.execute(
        "SELECT kind, id FROM documents WHERE order_id = ?", [order_id])}
    receipt = pdf_text(page, base + "/orders/%d/documents/%d" % (
        order_id, docs["confirmation_receipt"]))
    assert "Jean-Luc Gagnon" in receipt and "CBD Oil" in receipt
    record = pdf_text(page, base + "/orders/%d/documents/%d" % (
        order_id, docs["dispensing_record"]))
    assert bottle[0] in record and bottle[2] in record

    # Every step is in the order's history, with who did it.
    page.click("a.tab[data-tab=overview]")
    history = page.locator("#history").inner_text()
    for words in ("Take Payment", "Confirm Payment", "Add Note",
                  "Mark as Shipped", "Mark as Delivered", "Generate"):
        assert words.lower() in history.lower(), words
    assert "csr" in history
    shot(page, "07-order-history")

    for path, name in (("/orders/picking-list", "08-picking-list"),
                       ("/recurring/", "09-recurring-orders"),
                       ("/devices/", "10-scanner-guns")):
        page.goto(base + path)
        shot(page, name)
