"""Patient labels, the 4 x 6 in shipping label and the reprint actions:
text read back from the PDF, QR codes decoded from its own images, and
each print on record (or refused, with no record)."""
import io

import pypdf
import pytest
import zxingcpp

from order_helpers import history_count, in_stock, record_pick
from server.documents import labels
from shared import wire

PT_PER_MM = 72 / 25.4


def read_pdf(data):
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def page_codes(page):
    return [c.text for image in page.images for c in zxingcpp.read_barcodes(
        image.image, formats=zxingcpp.BarcodeFormat.QRCode)]


def words(page):
    return " ".join(page.extract_text().split())


def dispensed(db, order_id):
    return [dict(r) for r in db.execute(
        "SELECT b.serial, b.sku, b.lot_id, p.name, t.expires_on "
        "FROM picks k JOIN bottles b ON b.serial = k.serial "
        "JOIN products p ON p.sku = b.sku JOIN lots t ON t.id = b.lot_id "
        "WHERE k.order_id = ? AND k.status = 'accepted' ORDER BY k.id",
        [order_id])]


def last_history(db, order_id):
    return dict(db.execute("SELECT * FROM order_history WHERE order_id = ? "
                           "ORDER BY id DESC LIMIT 1", [order_id]).fetchone())


def size_in(page):
    box = page.mediabox
    return (round(float(box.width) / 72, 2), round(float(box.height) / 72, 2))


# ---------------------------------------------------------- patient labels
def test_patient_labels_one_per_dispensed_bottle(demo):
    reader = read_pdf(labels.patient_labels_pdf(demo, 1002))
    bottles = dispensed(demo, 1002)
    assert len(reader.pages) == len(bottles) == 3
    shipped = demo.execute("SELECT shipped_at FROM orders WHERE id = 1002"
                           ).fetchone()[0][:10]
    for page, b in zip(reader.pages, bottles, strict=True):
        assert size_in(page) == (4.0, 2.0)
        text = words(page)
        for value in ("Daniel Okafor", "HC-REG-0519370", b["name"],
                      b["serial"], "Lot " + b["lot_id"],
                      "Expiry " + b["expires_on"], "Dispensed " + shipped):
            assert value in text, value
        assert page_codes(page) == [
            wire.bottle_code(b["serial"], b["sku"], b["lot_id"])]


def test_patient_labels_keep_accents(demo):
    demo.execute("UPDATE clients SET name = 'Jean-Luc Gagnon-Bérubé' "
                 "WHERE name = 'Jean-Luc Gagnon'")
    record_pick(demo, 1004, in_stock(demo, "THC-CAP-10")[0])
    page = read_pdf(labels.patient_labels_pdf(demo, 1004)).pages[0]
    assert "Jean-Luc Gagnon-Bérubé" in words(page)


def test_patient_labels_need_dispensed_bottles(demo):
    with pytest.raises(labels.NoBottles):
        labels.patient_labels_pdf(demo, 1004)
    with pytest.raises(labels.UnknownOrder):
        labels.patient_labels_pdf(demo, 4242)


# ----------------------------------------------------------- shipping label
def test_shipping_label_is_4x6_with_addresses_and_order_qr(demo):
    page = read_pdf(labels.shipping_label_pdf(demo, 1001)).pages[0]
    assert size_in(page) == (4.0, 6.0)
    text = words(page)
    for value in ("SHIP TO", "Margaret Tremblay", "4120 Rue Saint-Denis",
                  "Montréal QC H2W 2M5", "FROM", labels.PRODUCER["name"],
                  "Canada Post", "7023 4411 9870 2214", "Order #1001"):
        assert value in text, value
    assert page_codes(page) == [wire.order_code(1001)]


def test_shipping_label_ships_to_the_orders_address_first(demo):
    demo.execute("UPDATE orders SET ship_address = '12 Rue du Petit-"
                 "Champlain\nQuébec QC G1K 4H5' WHERE id = 1004")
    text = words(read_pdf(labels.shipping_label_pdf(demo, 1004)).pages[0])
    assert "12 Rue du Petit-Champlain" in text and "Québec QC G1K 4H5" in text
    assert "905 Av. Cartier" not in text and "Jean-Luc Gagnon" in text


def test_producer_comes_from_config():
    info = labels.producer({"PRODUCER_NAME": "Cannabis Nord Inc.",
                            "PRODUCER_ADDRESS": "1 Rue A, Lévis QC G6V 1A1"})
    assert info["name"] == "Cannabis Nord Inc."
    assert info["address"] == ["1 Rue A", "Lévis QC G6V 1A1"]


# ------------------------------------------------------------------ routes
def test_shipping_label_route_prints_and_records(client, demo):
    before = history_count(demo, 1002)
    response = client.post("/orders/1002/shipping-label.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    page = read_pdf(response.data).pages[0]
    assert size_in(page) == (4.0, 6.0)
    assert page_codes(page) == [wire.order_code(1002)]
    assert history_count(demo, 1002) == before + 1
    h = last_history(demo, 1002)
    assert h["action"] == "print_shipping_label" and h["actor"] == "t-admin"
    assert "Purolator 335098812245" in h["detail"]
    view = client.post("/orders/1002/shipping-label.pdf", data={"view": "1"})
    assert view.headers["Content-Disposition"].startswith("inline;")
    assert "viewed" in last_history(demo, 1002)["detail"]


@pytest.mark.parametrize("order_id", [1003, 1006, 1007, 1008])
def test_shipping_label_refused_before_shipping(client, demo, order_id):
    before = history_count(demo, order_id)
    response = client.post("/orders/%d/shipping-label.pdf" % order_id)
    assert response.status_code == 303
    with client.session_transaction() as session:
        [(category, message)] = session["_flashes"]
    assert category == "error" and "Shipping Label is not allowed" in message
    assert history_count(demo, order_id) == before


def test_shipping_label_unknown_order(client, demo):
    assert client.post("/orders/4242/shipping-label.pdf").status_code == 404


def test_patient_labels_route_for_packing(client, demo):
    before = history_count(demo, 1003)
    response = client.post("/orders/1003/patient-labels.pdf")
    assert response.status_code == 200
    [page] = read_pdf(response.data).pages
    [b] = dispensed(demo, 1003)
    assert page_codes(page) == [wire.bottle_code(b["serial"], b["sku"],
                                                 b["lot_id"])]
    h = last_history(demo, 1003)
    assert history_count(demo, 1003) == before + 1
    assert (h["action"], h["detail"]) == ("print_labels",
                                          "patient labels: " + b["serial"])
    # Nothing picked: nothing to print, nothing recorded.
    before = history_count(demo, 1004)
    assert client.post("/orders/1004/patient-labels.pdf").status_code == 303
    assert history_count(demo, 1004) == before


@pytest.mark.parametrize("which, action", [
    ("patient", "reprint_patient_labels"),
    ("bottle", "reprint_bottle_labels")])
def test_reprints_download_the_pdf_and_record_it(client, demo, which,
                                                 action):
    before = history_count(demo, 1001)
    response = client.post("/orders/1001/labels/reprint/" + which)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    bottles = dispensed(demo, 1001)
    reader = read_pdf(response.data)
    assert [page_codes(p) for p in reader.pages] == [
        [wire.bottle_code(b["serial"], b["sku"], b["lot_id"])]
        for b in bottles]
    assert history_count(demo, 1001) == before + 1
    h = last_history(demo, 1001)
    assert h["action"] == action and h["actor"] == "t-admin"
    assert all(b["serial"] in h["detail"] for b in bottles)
    assert h["from_status"] == h["to_status"] == "delivered"


@pytest.mark.parametrize("which", ["patient", "bottle"])
def test_reprints_refused_before_shipping(client, demo, which):
    before = history_count(demo, 1003)
    response = client.post("/orders/1003/labels/reprint/" + which)
    assert response.status_code == 303
    with client.session_transaction() as session:
        [(category, message)] = session["_flashes"]
    assert category == "error" and "not allowed" in message
    assert history_count(demo, 1003) == before


def test_reprint_unknown_kind_or_role(app, login, client, demo):
    assert client.post("/orders/1001/labels/reprint/poster"
                       ).status_code == 404
    associate = login(app.test_client(), "associate")
    before = history_count(demo, 1001)
    assert associate.post("/orders/1001/labels/reprint/patient"
                          ).status_code == 403
    # Associates pack and ship orders: the packing-time patient labels
    # and the shipping label are theirs.
    assert associate.post("/orders/1001/shipping-label.pdf"
                          ).status_code == 200
    assert associate.post("/orders/1001/patient-labels.pdf"
                          ).status_code == 200
    assert history_count(demo, 1001) == before + 2
