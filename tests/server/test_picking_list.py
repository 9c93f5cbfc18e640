"""The picking list page, and the label downloads of the order page."""
import datetime
import io
import re

from PIL import Image

from order_helpers import history_count, in_stock, record_pick
from server.orders import states
from server.orders import picking
from server.core.db import transaction
from shared import wire

import pypdf


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def listed_ids(html):
    return [int(i) for i in re.findall(r'id="order-(\d+)"', html)]


def section(html, order_id):
    start = html.index('id="order-%d"' % order_id)
    end = html.find("</section>", start)
    return html[start:end]


def add_lot(db, lot_id, sku, expires_in_days, serials):
    today = datetime.date.today()
    with transaction(db):
        db["lots"].insert({
            "id": lot_id, "sku": sku,
            "packaged_on": (today - datetime.timedelta(days=30)).isoformat(),
            "expires_on": (today + datetime.timedelta(
                days=expires_in_days)).isoformat()})
        for serial in serials:
            db["bottles"].insert({"serial": serial, "sku": sku,
                                  "lot_id": lot_id, "status": "in_stock"})


def test_lists_every_order_awaiting_fulfilment_only(client, demo):
    html = page(client, "/orders/picking-list")
    waiting = [r["id"] for r in demo.execute("SELECT id, status FROM orders")
               if states.awaiting_fulfilment(r["status"])]
    assert sorted(listed_ids(html)) == sorted(waiting) == [1003, 1004, 1005]
    part = section(html, 1004)
    assert "Jean-Luc Gagnon" in part
    assert "2 notes" in part and "Fragile: include ice pack" in part
    assert wire.order_code(1004) in part and 'class="qr"' in part
    assert "THC Capsules 10 mg x 30" in part
    assert "0 / 2" in part
    assert "1 / 1" in section(html, 1003)      # the CBD oil already picked
    assert "@media print" in page(client, "/static/style.css")


def test_linked_from_dashboard_menu_and_nav(client, demo):
    html = page(client, "/orders/")
    assert html.count('href="/orders/picking-list"') == 2
    assert "View Picking List" in html


def test_suggests_first_expiring_unexpired_bottles_once(client, demo):
    # Higher serials than the demo lot but expiring sooner: FEFO picks
    # them first; an expired lot is never suggested.
    add_lot(demo, "L9901A", "CBD-SFT-20", 20, ["B900001", "B900002"])
    add_lot(demo, "L9812A", "CBD-SFT-20", -1, ["B800001"])
    entries = {e["order"]["id"]: e for e in picking.picking_list(demo)}
    sft_1003 = next(line for line in entries[1003]["lines"]
                    if line["sku"] == "CBD-SFT-20")
    assert [b["serial"] for b in sft_1003["suggested"]] == [
        "B900001", "B900002"]
    sft_1004 = next(line for line in entries[1004]["lines"]
                    if line["sku"] == "CBD-SFT-20")
    demo_lot = in_stock(demo, "CBD-SFT-20", 1)[0]
    assert [b["serial"] for b in sft_1004["suggested"]] == [demo_lot]
    assert sft_1004["suggested"][0]["lot_id"] != "L9812A"

    part = section(page(client, "/orders/picking-list"), 1003)
    assert part.index("B900001") < part.index("B900002")
    assert "L9901A" in part and "B800001" not in part


def test_picked_lines_get_no_suggestion_and_shortage_is_shown(client, demo):
    with transaction(demo):
        demo.execute("UPDATE bottles SET status = 'destroyed' WHERE "
                     "sku = 'BAL-FLWR-3G5' AND status = 'in_stock'")
    entries = {e["order"]["id"]: e for e in picking.picking_list(demo)}
    [line] = entries[1005]["lines"]
    assert line["suggested"] == [] and line["short"] == 1
    oil = next(line for line in entries[1003]["lines"]
               if line["sku"] == "CBD-OIL-30")
    assert oil["missing"] == 0 and oil["suggested"] == []
    html = section(page(client, "/orders/picking-list"), 1005)
    assert "1 short" in html


def test_bottle_labels_route(client, demo):
    before = history_count(demo, 1002)
    response = client.post("/orders/1002/labels.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    serials = [r["serial"] for r in demo.execute(
        "SELECT serial FROM picks WHERE order_id = 1002 AND "
        "status = 'accepted' ORDER BY id")]
    assert len(reader.pages) == len(serials)
    assert serials[0] in reader.pages[0].extract_text()
    assert history_count(demo, 1002) == before + 1
    html = page(client, "/orders/1002")
    assert "Print Labels" in html and ", ".join(serials) in html


def test_label_routes_refuse_unknown_or_unpicked_orders(client, demo):
    assert client.post("/orders/4242/labels.pdf").status_code == 404
    assert client.post("/orders/4242/order-label.pdf").status_code == 404
    before = history_count(demo, 1007), history_count(demo, 1002)
    for url, data in (("/orders/1007/labels.pdf", {}),
                      ("/orders/1002/labels.pdf", {"layout": "x"})):
        response = client.post(url, data=data)
        assert response.status_code == 303
        with client.session_transaction() as session:
            [(category, message)] = session.pop("_flashes")
        assert category == "error" and message
    assert (history_count(demo, 1007), history_count(demo, 1002)) == before
    response = client.post("/orders/1004/order-label.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"


def test_order_page_links_labels_once_bottles_are_picked(client, demo):
    assert "Bottle labels (PDF)" not in page(client, "/orders/1004")
    record_pick(demo, 1004, in_stock(demo, "THC-CAP-10")[0])
    html = page(client, "/orders/1004")
    assert "Bottle labels (PDF)" in html
    assert 'action="/orders/1004/labels.pdf"' in html
    assert 'action="/orders/1004/order-label.pdf"' in html


def test_menu_reprints_answer_with_the_pdf(client, demo):
    html = page(client, "/orders/1001")
    for which in ("bottle", "patient"):
        url = "/orders/1001/labels/reprint/%s" % which
        assert 'action="%s"' % url in html
        response = client.post(url)
        assert response.status_code == 200
        assert response.data.startswith(b"%PDF-")
    history = page(client, "/orders/1001")
    assert "Reprint Bottle Labels" in history
    assert "Reprint Patient Labels" in history


def test_printed_list_qr_codes_scan(signed_in_page, live_server, demo):
    import zxingcpp
    tab = signed_in_page(live_server, "associate", viewport=(1100, 900))
    try:
        tab.emulate_media(media="print")
        tab.goto(live_server + "/orders/picking-list")
        shot = Image.open(io.BytesIO(tab.screenshot(full_page=True)))
        found = zxingcpp.read_barcodes(
            shot, formats=zxingcpp.BarcodeFormat.QRCode)
        assert sorted(r.text for r in found) == sorted(
            wire.order_code(i) for i in (1003, 1004, 1005))
        assert not tab.locator(".topbar").is_visible()
    finally:
        tab.close()
