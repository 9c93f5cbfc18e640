"""Bottle and order label PDFs: the text a person reads, the QR code a gun
reads (decoded from the PDF's own image), and the print record."""
import io
import re

import pytest

from order_helpers import history_count, in_stock, record_pick
from shared import wire

import pypdf
from server.documents import labels
from server.documents import prints
import zxingcpp

PT_PER_MM = 72 / 25.4


def bottle_info(db, serial):
    return dict(db.execute(
        "SELECT b.serial, b.sku, b.lot_id, p.name, t.packaged_on, "
        " t.expires_on FROM bottles b JOIN products p ON p.sku = b.sku "
        "JOIN lots t ON t.id = b.lot_id WHERE b.serial = ?",
        [serial]).fetchone())


def read_pdf(data):
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def page_codes(page):
    """Every QR code in the page's embedded images, decoded."""
    found = []
    for image in page.images:
        found += zxingcpp.read_barcodes(
            image.image, formats=zxingcpp.BarcodeFormat.QRCode)
    return found


def drawn_widths_mm(page):
    """Width at which each image is drawn, from the `cm ... Do` operators."""
    stream = page.get_contents().get_data().decode("latin-1")
    return [float(w) / PT_PER_MM for w in re.findall(
        r"([\d.]+) 0 0 [\d.]+ [\d.]+ [\d.]+ cm\s*/I\d+ Do", stream)]


def test_one_label_per_page_with_text_and_scannable_qr(demo):
    serials = in_stock(demo, "CBD-OIL-30", 2) + in_stock(demo, "THC-CAP-10")
    reader = read_pdf(labels.bottle_labels_pdf(demo, serials))
    assert len(reader.pages) == 3
    for page, serial in zip(reader.pages, serials, strict=True):
        b = bottle_info(demo, serial)
        box = page.mediabox
        assert round(float(box.width) / PT_PER_MM) == 50
        assert round(float(box.height) / PT_PER_MM) == 25
        text = page.extract_text()
        for value in (b["serial"], b["sku"], b["lot_id"], b["packaged_on"],
                      b["expires_on"]):
            assert value in text
        assert b["name"] in " ".join(text.split())
        codes = page_codes(page)
        assert [c.text for c in codes] == [
            wire.bottle_code(b["serial"], b["sku"], b["lot_id"])]
        assert wire.parse_code(codes[0].text) == (
            "bottle", b["serial"], b["sku"], b["lot_id"])


def test_qr_is_big_alphanumeric_level_m_with_quiet_zone(demo):
    serial = in_stock(demo, "BAL-FLWR-3G5")[0]
    page = read_pdf(labels.bottle_labels_pdf(demo, [serial])).pages[0]
    image = page.images[0].image
    code = page_codes(page)[0]
    assert code.ec_level == "M"
    # 31 characters fit version 2 at level M only in alphanumeric mode.
    assert code.extra["Version"] == "2"
    modules = 17 + 4 * int(code.extra["Version"])
    pos = code.position
    symbol_px = pos.top_right.x - pos.top_left.x
    module_px = symbol_px / modules
    assert pos.top_left.x / module_px >= 4 and pos.top_left.y / module_px >= 4
    assert (image.width - pos.top_right.x) / module_px >= 4
    [width_mm] = drawn_widths_mm(page)
    assert width_mm * symbol_px / image.width >= 15


def test_sheet_layout_holds_forty_labels_a_page(demo):
    lot = demo.execute("SELECT lot_id FROM bottles WHERE sku = 'CBD-OIL-30' "
                       "ORDER BY serial LIMIT 1").fetchone()[0]
    serials = labels.lot_serials(demo, lot)
    reader = read_pdf(labels.bottle_labels_pdf(demo, serials, labels.SHEET))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert sorted(c.text for c in page_codes(page)) == sorted(
        wire.bottle_code(s, "CBD-OIL-30", lot) for s in serials)
    text = page.extract_text()
    assert all(s in text for s in serials)


def test_order_label_has_order_qr_number_and_client(demo):
    page = read_pdf(labels.order_label_pdf(demo, 1004)).pages[0]
    text = page.extract_text()
    assert "Order #1004" in text and "Jean-Luc Gagnon" in text
    assert [c.text for c in page_codes(page)] == [wire.order_code(1004)]


def test_selection_helpers(demo):
    accepted = [p["serial"] for p in demo.execute(
        "SELECT serial FROM picks WHERE order_id = 1002 AND "
        "status = 'accepted' ORDER BY id")]
    assert labels.order_serials(demo, 1002) == accepted
    lot = bottle_info(demo, accepted[0])["lot_id"]
    in_lot = labels.lot_serials(demo, lot)
    assert accepted[0] in in_lot
    assert all(bottle_info(demo, s)["lot_id"] == lot for s in in_lot)
    rows = labels.bottles(demo, [accepted[0], accepted[0], " "])
    assert [r["serial"] for r in rows] == [accepted[0]]


@pytest.mark.parametrize("call, error", [
    (lambda db: labels.bottle_labels_pdf(db, ["B000101", "NOPE-1"]),
     labels.UnknownBottles),
    (lambda db: labels.bottle_labels_pdf(db, []), labels.NoBottles),
    (lambda db: labels.bottle_labels_pdf(db, ["B000101"], "poster"),
     labels.LabelError),
    (lambda db: labels.order_serials(db, 1007), labels.NoBottles),
    (lambda db: labels.order_serials(db, 4242), labels.UnknownOrder),
    (lambda db: labels.order_label_pdf(db, 4242), labels.UnknownOrder),
    (lambda db: labels.lot_serials(db, "L9999Z"), labels.UnknownLot),
])
def test_bad_requests_raise_value_errors(demo, call, error):
    with pytest.raises(error) as caught:
        call(demo)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value)


def test_unknown_serial_is_named_and_nothing_recorded(demo):
    before = demo.execute("SELECT count(*) FROM order_history").fetchone()[0]
    with pytest.raises(labels.UnknownBottles, match="NOPE-1"):
        prints.issue_bottle_labels(demo, ["B000101", "NOPE-1"], "CSR")
    after = demo.execute("SELECT count(*) FROM order_history").fetchone()[0]
    assert after == before


def test_issuing_records_serials_per_order(demo):
    shipped = labels.order_serials(demo, 1002)
    stock = in_stock(demo, "CBD-SFT-20")
    prints.issue_bottle_labels(demo, shipped + stock, "Nadia")
    row = demo.execute("SELECT * FROM order_history WHERE order_id = 1002 "
                       "ORDER BY id DESC LIMIT 1").fetchone()
    assert row["action"] == "print_labels" and row["actor"] == "Nadia"
    assert row["detail"] == ", ".join(shipped)
    assert row["from_status"] == row["to_status"] == "shipped"
    # Stock bottles belong to no order, yet their print is on record.
    loose = demo.execute("SELECT detail FROM order_history WHERE "
                         "order_id IS NULL AND action = 'print_labels'")
    assert [r["detail"] for r in loose] == [", ".join(stock)]


def test_failed_delivery_leaves_no_record(demo):
    before = history_count(demo, 1002)

    def broken_printer(pdf):
        raise OSError("printer offline")

    with pytest.raises(OSError):
        prints.issue_bottle_labels(demo, labels.order_serials(demo, 1002),
                                   "CSR", deliver=broken_printer)
    assert history_count(demo, 1002) == before


def test_labels_follow_new_picks(demo):
    serial = in_stock(demo, "CBD-SFT-20")[0]
    record_pick(demo, 1003, serial)
    assert serial in labels.order_serials(demo, 1003)
