"""Receipts and the dispensing record, read back from their PDFs."""
import io

import pypdf
import pytest

from order_helpers import in_stock, record_pick
from server.documents import kinds
from server.documents import store as documents
from server.documents import receipts
from server.orders.queries import order_lines


def text_of(pdf):
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


def set_money(db, order_id, **cols):
    db["orders"].update(order_id, cols)


@pytest.mark.parametrize("kind", kinds.RECEIPT_KINDS[:2])
def test_receipts_show_lines_and_stored_money(demo, kind):
    set_money(demo, 1002, subtotal_cents=12097, shipping_cents=1795,
              discount_cents=1000, discount_reason="Loyalty",
              coverage_cents=None, total_cents=12892)
    text = text_of(receipts.render(demo, 1002, kind, "casey"))
    for line in order_lines(demo, 1002):
        assert line["sku"] in text and line["name"] in text
    for expected in ("Order #1002", "Daniel Okafor", "HC-REG-0519370",
                     "$54.99", "$65.98", "Subtotal $120.97",
                     "Shipping $17.95", "Discount (Loyalty) -$10.00",
                     "Coverage $0.00", "Total Due $128.92",
                     "218 Cranston Dr SE", "Calgary AB T3M 0R2",
                     "Generated", "casey"):
        assert expected in text, expected
    assert documents.KIND_LABELS[kind] in text


def test_shipping_receipt_has_carrier_tracking_and_sender(demo):
    text = text_of(receipts.render(demo, 1002, "shipping_receipt", "casey"))
    for expected in ("Purolator", "335098812245", "SHIP FROM",
                     "3 units, 10.0 g of cannabis"):
        assert expected in text


def test_null_money_columns_count_as_zero(demo):
    demo.execute("UPDATE orders SET subtotal_cents = NULL, shipping_cents = "
                 "NULL, discount_cents = NULL, coverage_cents = NULL, "
                 "total_cents = NULL WHERE id = 1003")
    text = text_of(receipts.render(demo, 1003, "confirmation_receipt", "x"))
    assert "Subtotal $0.00" in text and "Total Due $0.00" in text


def test_policy_receipt_shows_the_policys_share(demo):
    # Priya Raman: Sun Life Health, 80 %, at most $300.00 an order.
    set_money(demo, 1003, subtotal_cents=22497, shipping_cents=1495,
              discount_cents=0, coverage_cents=19194, total_cents=4798)
    text = text_of(receipts.render(demo, 1003, "policy_receipt", "casey"))
    for expected in ("Policy Receipt", "Priya Raman", "HC-REG-0611248",
                     "Sun Life Health", "80%", "$300.00",
                     "Amount claimed $239.92",
                     "Amount covered by policy $191.94",
                     "Client's remainder (Total Due) $47.98",
                     "Dr. Amrit Sandhu"):
        assert expected in text, expected


def test_policy_receipt_refused_without_a_policy(demo):
    with pytest.raises(receipts.NothingToReceipt):
        receipts.render(demo, 1002, "policy_receipt", "x")


def test_dispensing_record_lists_every_dispensed_bottle(demo):
    text = text_of(receipts.render(demo, 1001, "dispensing_record", "x"))
    bottles = demo.execute(
        "SELECT b.serial, b.lot_id, t.packaged_on, t.expires_on, p.name "
        "FROM picks k JOIN bottles b ON b.serial = k.serial "
        "JOIN lots t ON t.id = b.lot_id JOIN products p ON p.sku = b.sku "
        "WHERE k.order_id = 1001 AND k.status = 'accepted'").fetchall()
    assert len(bottles) == 2
    for b in bottles:
        for value in (b["serial"], b["lot_id"], b["packaged_on"],
                      b["expires_on"], b["name"]):
            assert value in text
    shipped = demo.execute("SELECT shipped_at FROM orders WHERE id = 1001"
                           ).fetchone()[0][:10]
    for expected in ("Dispensing Record", "Margaret Tremblay",
                     "HC-REG-0428817", "Dr. Hélène Roy", "6.0 g",
                     "2 bottles, 12.0 g in total",
                     "Dispensed on " + shipped, "Dispensed by csr.demo",
                     "Montréal QC H2W 2M5"):
        assert expected in text, expected


def test_dispensing_record_leaves_out_rejected_and_reset_picks(demo):
    # 1003 has one accepted pick and one rejected scan.
    text = text_of(receipts.render(demo, 1003, "dispensing_record", "x"))
    rejected = demo.execute("SELECT serial FROM picks WHERE order_id = 1003 "
                            "AND status = 'rejected'").fetchone()[0]
    assert rejected not in text
    assert "1 bottle," in text and "not yet shipped" in text
    serial = in_stock(demo, "CBD-SFT-20")[0]
    record_pick(demo, 1003, serial)
    assert serial in text_of(receipts.render(demo, 1003,
                                             "dispensing_record", "x"))


def test_accents_survive_and_other_scripts_degrade(demo):
    demo.execute("UPDATE clients SET name = 'Zoë Łukasiewicz-Bérubé', "
                 "ship_name = 'Zoë Łukasiewicz-Bérubé' WHERE id = "
                 "(SELECT client_id FROM orders WHERE id = 1004)")
    text = text_of(receipts.render(demo, 1004, "confirmation_receipt", "x"))
    assert "Zoë Lukasiewicz-Bérubé" in text
    demo.execute("UPDATE orders SET discount_reason = 'Cœur “fidèle” — 10 %' "
                 "WHERE id = 1004")
    text = text_of(receipts.render(demo, 1004, "confirmation_receipt", "x"))
    assert 'Discount (Coeur "fidèle" - 10 %)' in text
    assert "905 Av. Cartier" in text and "Québec QC G1R 2R9" in text


def test_many_lines_run_onto_more_pages(demo):
    from server.orders.create import create_order
    demo["products"].insert_all(
        {"sku": "TEST-%02d" % i, "name": "Test product %d" % i,
         "grams": 1.0, "price_cents": 100 + i, "cannabis": 1}
        for i in range(60))
    order_id = create_order(demo, 1, [("TEST-%02d" % i, 1)
                                      for i in range(60)], actor="t",
                            status="placed")
    pdf = receipts.render(demo, order_id, "confirmation_receipt", "x")
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) > 1
    text = text_of(pdf)
    assert "TEST-00" in text and "TEST-59" in text and "Page 2 of" in text


def test_generated_versions_are_stored(demo, tmp_path):
    folder = str(tmp_path / "docs")
    first = documents.generate(demo, folder, 1001, "dispensing_record", "a")
    second = documents.generate(demo, folder, 1001, "dispensing_record", "b")
    assert (first["title"], second["title"]) == (
        "Dispensing Record v1", "Dispensing Record v2")
    row, data = documents.read_document(demo, folder, 1001, second["id"])
    assert row["created_by"] == "b" and "Margaret Tremblay" in text_of(data)
