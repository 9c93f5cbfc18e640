"""Order documents on the Order Profile: uploads checked by their bytes,
downloads with safe headers, generated receipts kept as versions, and
every refusal leaving neither a row nor a file behind."""
import io
import os
import re

import pytest

from order_helpers import history_count
from server.documents import store as documents

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
TEXT = "Prescription renewed by phone, Dr. Hélène Roy.\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"


@pytest.fixture
def folder(app):
    return documents.storage_dir(app.config)


def stored_files(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def doc_rows(db, order_id=None):
    sql = "SELECT * FROM documents"
    args = []
    if order_id is not None:
        sql += " WHERE order_id = ?"
        args.append(order_id)
    return [dict(r) for r in db.execute(sql + " ORDER BY id", args)]


def upload(client, order_id, data, filename, title=None):
    form = {"file": (io.BytesIO(data), filename)}
    if title is not None:
        form["title"] = title
    return client.post("/orders/%d/documents" % order_id, data=form,
                       content_type="multipart/form-data")


def flashes(client, category):
    """The messages of `category` flashed since the last call (read from
    the session, so no page needs rendering)."""
    with client.session_transaction() as session:
        found = session.pop("_flashes", [])
    return [message for cat, message in found if cat == category]


# ---------------------------------------------------------------- uploads
@pytest.mark.parametrize("data, filename, content_type, shown", [
    (PDF, "scan.pdf", "application/pdf", "scan.pdf"),
    (PNG, "photo.PNG", "image/png", "photo.PNG"),
    (JPEG, "id card.jpeg", "image/jpeg", "id card.jpeg"),
    (TEXT, "call notes.txt", "text/plain", "call notes.txt"),
    # The name lies; the bytes decide, and the name follows them.
    (PNG, "prescription.pdf", "image/png", "prescription.pdf.png"),
])
def test_accepted_types_are_kept_by_content(client, demo, folder, data,
                                            filename, content_type, shown):
    before = history_count(demo, 1004)
    response = upload(client, 1004, data, filename)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/orders/1004#documents")
    assert flashes(client, "success") == [
        "Uploaded %s (%s)." % (shown, documents.human_size(len(data)))]
    [row] = doc_rows(demo, 1004)
    assert row["kind"] == "upload"
    assert row["content_type"] == content_type
    assert row["filename"] == shown
    assert row["size"] == len(data)
    assert row["created_by"] == "t-admin"
    import hashlib
    assert row["sha256"] == hashlib.sha256(data).hexdigest()
    assert stored_files(folder) == [row["stored_name"]]
    with open(os.path.join(folder, row["stored_name"]), "rb") as f:
        assert f.read() == data
    assert history_count(demo, 1004) == before + 1
    h = demo.execute("SELECT * FROM order_history WHERE order_id = 1004 "
                     "ORDER BY id DESC LIMIT 1").fetchone()
    assert h["action"] == "upload_document" and shown in h["detail"]


@pytest.mark.parametrize("data, filename, message", [
    (EXE, "invoice.pdf", "not accepted"),
    (HTML, "receipt.html", "not accepted"),
    (b"<svg onload=alert(1)></svg>", "logo.png", "not accepted"),
    (b"\x00\x01\x02binary", "data.txt", "not accepted"),
    (b"", "empty.pdf", "empty"),
])
def test_rejected_uploads_leave_nothing(client, demo, folder, data, filename,
                                        message):
    before = history_count(demo, 1004)
    upload(client, 1004, data, filename)
    [error] = flashes(client, "error")
    assert message in error
    assert doc_rows(demo) == [] and stored_files(folder) == []
    assert history_count(demo, 1004) == before


def test_missing_file_is_refused(client, demo, folder):
    client.post("/orders/1004/documents", data={"title": "x"})
    assert "Choose a file" in flashes(client, "error")[0]
    upload(client, 1004, PDF, "")
    assert "Choose a file" in flashes(client, "error")[0]
    assert doc_rows(demo) == [] and stored_files(folder) == []


def test_too_large_is_refused_with_the_limit(app, client, demo, folder):
    app.config["DOCUMENT_MAX_BYTES"] = 1000
    upload(client, 1004, PDF + b"x" * 1000, "big.pdf")
    [error] = flashes(client, "error")
    assert error == "The file is too large: at most 1000 bytes."
    # Far beyond the request limit: refused before the form is read.
    app.config["MAX_CONTENT_LENGTH"] = 4000
    response = upload(client, 1004, PDF + b"x" * 10000, "huge.pdf")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/orders/1004#documents")
    assert flashes(client, "error") == [error]
    assert doc_rows(demo) == [] and stored_files(folder) == []


def test_default_limits(app):
    assert app.config["DOCUMENT_MAX_BYTES"] == 10 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] > 10 * 1024 * 1024


def test_filename_with_folders_is_cleaned_for_display(client, demo, folder):
    upload(client, 1004, PDF, "../../../etc/pass\x00wd.pdf")
    upload(client, 1004, PDF, "/srv/../Windows/réçu.pdf")
    first, second = doc_rows(demo, 1004)
    assert first["filename"] == "passwd.pdf"
    assert second["filename"] == "réçu.pdf"
    for row in (first, second):
        assert os.path.dirname(
            os.path.join(folder, row["stored_name"])) == folder
    assert sorted(stored_files(folder)) == sorted(
        r["stored_name"] for r in (first, second))
    assert not os.path.exists(os.path.join(os.path.dirname(folder), "etc"))


def test_title_is_kept_and_checked(client, demo, folder):
    upload(client, 1004, PDF, "scan.pdf", title="  Registration   document ")
    assert doc_rows(demo, 1004)[0]["title"] == "Registration document"
    upload(client, 1004, PDF, "scan.pdf", title="x" * 121)
    assert "Title is too long" in flashes(client, "error")[0]
    assert len(doc_rows(demo)) == 1 and len(stored_files(folder)) == 1


def test_upload_needs_a_csr(app, login, demo, folder):
    associate = login(app.test_client(), "associate")
    response = upload(associate, 1004, PDF, "scan.pdf")
    assert response.status_code == 403
    assert doc_rows(demo) == [] and stored_files(folder) == []


def test_upload_to_unknown_order_is_404(client, demo, folder):
    assert upload(client, 4242, PDF, "a.pdf").status_code == 404
    assert stored_files(folder) == []


def test_failed_row_write_removes_the_file(demo, folder, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr("server.orders.actions.record_history", broken)
    with pytest.raises(OSError):
        documents.upload(demo, folder, 1004, PDF, "a.pdf", "csr")
    assert doc_rows(demo) == [] and stored_files(folder) == []


# -------------------------------------------------------------- downloads
def test_download_headers(client, demo):
    upload(client, 1004, PDF, "réçu 2024.pdf")
    upload(client, 1004, TEXT, "notes.txt")
    pdf_row, text_row = doc_rows(demo, 1004)
    response = client.get("/orders/1004/documents/%d" % pdf_row["id"])
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="recu 2024.pdf"' in disposition
    assert "filename*=UTF-8''r%C3%A9%C3%A7u%202024.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    inline = client.get("/orders/1004/documents/%d?inline=1"
                        % pdf_row["id"])
    assert inline.headers["Content-Disposition"].startswith("inline;")
    # Text is never shown in the browser, whatever is asked.
    text = client.get("/orders/1004/documents/%d?inline=1" % text_row["id"])
    assert text.mimetype == "text/plain" and text.data == TEXT
    assert text.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in text.headers["Content-Security-Policy"]


def test_download_of_another_orders_document_is_404(client, demo):
    upload(client, 1004, PDF, "a.pdf")
    [row] = doc_rows(demo, 1004)
    assert client.get("/orders/1003/documents/%d"
                      % row["id"]).status_code == 404
    assert client.get("/orders/1004/documents/999").status_code == 404
    assert client.get("/orders/1004/documents/..%2F..%2Fpickgun.db"
                      ).status_code == 404


def test_row_pointing_outside_the_folder_is_not_served(client, demo, folder):
    upload(client, 1004, PDF, "a.pdf")
    [row] = doc_rows(demo, 1004)
    demo.execute("UPDATE documents SET stored_name = '../pickgun.db'")
    assert client.get("/orders/1004/documents/%d"
                      % row["id"]).status_code == 404


def test_download_needs_sign_in(anon_client, client, demo):
    upload(client, 1004, PDF, "a.pdf")
    [row] = doc_rows(demo, 1004)
    response = anon_client.get("/orders/1004/documents/%d" % row["id"])
    assert response.status_code == 302 and "/login" in response.headers[
        "Location"]


# ------------------------------------------------------------- generation
def test_generate_keeps_versions_and_history(client, demo, folder):
    before = history_count(demo, 1003)
    for _ in range(2):
        response = client.post(
            "/orders/1003/documents/generate/confirmation_receipt",
            data={"return_tab": "receipts"})
        assert response.status_code == 303
        assert response.headers["Location"].endswith(
            "/orders/1003?tab=receipts")
    rows = doc_rows(demo, 1003)
    assert [r["title"] for r in rows] == ["Confirmation Receipt v1",
                                          "Confirmation Receipt v2"]
    assert all(r["kind"] == "confirmation_receipt" and
               r["content_type"] == "application/pdf" for r in rows)
    assert rows[1]["filename"] == "order-1003-confirmation-receipt-v2.pdf"
    assert sorted(stored_files(folder)) == sorted(
        r["stored_name"] for r in rows)
    assert history_count(demo, 1003) == before + 2
    h = demo.execute("SELECT * FROM order_history WHERE order_id = 1003 "
                     "ORDER BY id DESC LIMIT 1").fetchone()
    assert (h["action"], h["detail"], h["actor"]) == (
        "generate_documents", "Confirmation Receipt v2", "t-admin")
    data = client.get("/orders/1003/documents/%d" % rows[1]["id"]).data
    assert data.startswith(b"%PDF-")


@pytest.mark.parametrize("order_id", [1007, 1006, 1008])
def test_generate_refused_before_placing(client, demo, folder, order_id):
    before = history_count(demo, order_id)
    response = client.post(
        "/orders/%d/documents/generate/confirmation_receipt" % order_id)
    assert response.status_code == 303
    [error] = flashes(client, "error")
    assert "Generate Documents is not allowed" in error
    assert doc_rows(demo) == [] and stored_files(folder) == []
    assert history_count(demo, order_id) == before


def test_generate_unknown_kind_is_404(client, demo, folder):
    assert client.post("/orders/1003/documents/generate/passport"
                       ).status_code == 404
    assert client.post("/orders/4242/documents/generate/shipping_receipt"
                       ).status_code == 404
    assert doc_rows(demo) == [] and stored_files(folder) == []


def test_nothing_to_put_in_it_is_refused(client, demo, folder):
    # Jean-Luc has no coverage policy.
    client.post("/orders/1004/documents/generate/policy_receipt")
    assert "no coverage policy" in flashes(client, "error")[0]
    assert doc_rows(demo) == [] and stored_files(folder) == []


def test_generate_needs_a_csr(app, login, demo):
    associate = login(app.test_client(), "associate")
    assert associate.post("/orders/1003/documents/generate/shipping_receipt"
                          ).status_code == 403
    assert doc_rows(demo) == []


# ------------------------------------------------------------------ pages
def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(html, ident):
    start = html.index('id="%s"' % ident)
    return html[start:html.index("</section>", start)]


def test_documents_section_by_status(client, demo):
    open_order = section(page(client, "/orders/1007"), "documents")
    assert "Upload a document" in open_order
    assert 'enctype="multipart/form-data"' in open_order
    assert 'name="csrf_token"' in open_order
    assert "data-generate" not in open_order
    assert "Shipping label" not in open_order
    placed = section(page(client, "/orders/1003"), "documents")
    for kind in documents.GENERATED_KINDS:
        assert 'data-generate="%s"' % kind in placed
    assert "/orders/1003/patient-labels.pdf" in placed
    assert "shipping-label.pdf" not in placed
    shipped = section(page(client, "/orders/1002"), "documents")
    assert 'action="/orders/1002/shipping-label.pdf"' in shipped
    assert 'name="view" value="1" formtarget="_blank"' in shipped
    assert 'action="/orders/1002/labels/reprint/patient"' in shipped
    assert 'action="/orders/1002/labels/reprint/bottle"' in shipped


def test_section_lists_documents_with_links(client, demo):
    upload(client, 1002, PDF, "scan.pdf", title="Registration <b>doc</b>")
    [row] = doc_rows(demo, 1002)
    html = section(page(client, "/orders/1002"), "documents")
    assert "Registration &lt;b&gt;doc&lt;/b&gt;" in html
    assert 'href="/orders/1002/documents/%d"' % row["id"] in html
    assert 'href="/orders/1002/documents/%d?inline=1"' % row["id"] in html


def test_associate_sees_upload_and_generate_disabled(app, login, demo):
    associate = login(app.test_client(), "associate")
    html = section(page(associate, "/orders/1003"), "documents")
    # Shown, disabled, saying what they need; no form to post.
    for label in ("Generate Documents", "Upload Document"):
        assert re.search(r'disabled title="Needs a CSR"[^>]*>%s</button>\s*'
                         r'<small class="needs">Needs a CSR</small>' % label,
                         html), label
    assert "Upload a document" not in html and "data-generate" not in html
    assert "/documents/generate/" not in html


def test_receipts_tab(client, demo):
    demo.execute("UPDATE orders SET shipping_cents = 1495, discount_cents = "
                 "500, discount_reason = 'Loyalty', coverage_cents = NULL, "
                 "total_cents = 12492 WHERE id = 1002")
    client.post("/orders/1002/documents/generate/shipping_receipt",
                data={"return_tab": "receipts"})
    html = section(page(client, "/orders/1002?tab=receipts"), "tab-receipts")
    for text in ("THC Capsules 10 mg x 30", "$14.95", "-$5.00", "Loyalty",
                 "Total Due", "$124.92", "Shipping Receipt v1",
                 'data-generate="confirmation_receipt"',
                 "Regenerate Shipping Receipt",
                 "no coverage policy on file"):
        assert text in html
    # The coverage line of a NULL column reads $0.00.
    assert "-$0.00" in html


def test_dispensing_tab(client, demo):
    html = section(page(client, "/orders/1002?tab=dispensing"),
                   "tab-dispensing")
    serials = [r["serial"] for r in demo.execute(
        "SELECT serial FROM picks WHERE order_id = 1002 AND "
        "status = 'accepted'")]
    for serial in serials:
        assert serial in html
    assert "3 bottles" in html and "10.0 g" in html
    assert 'data-generate="dispensing_record"' in html
    client.post("/orders/1002/documents/generate/dispensing_record",
                data={"return_tab": "dispensing"})
    html = section(page(client, "/orders/1002?tab=dispensing"),
                   "tab-dispensing")
    assert "Dispensing Record v1" in html
    assert "No bottle has been dispensed" in page(
        client, "/orders/1004?tab=dispensing")


# ------------------------------------------------------------- unit level
@pytest.mark.parametrize("name, content_type, shown", [
    ("a/b/c.pdf", "application/pdf", "c.pdf"),
    ("..\\..\\Windows\\réçu.pdf", "application/pdf", "réçu.pdf"),
    ("  ..  ", "application/pdf", "document.pdf"),
    ("x" * 300 + ".png", "image/png", "x" * 116 + ".png"),
    ("photo.JPG", "image/jpeg", "photo.JPG"),
    ("notes", "text/plain", "notes.txt"),
    ("tab\there.txt", "text/plain", "tabhere.txt"),
])
def test_display_name(name, content_type, shown):
    assert documents.display_name(name, content_type) == shown


@pytest.mark.parametrize("data, expected", [
    (PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"),
    (TEXT, "text/plain"), (EXE, None), (HTML, None),
    (b"hello <script>x</script>", None), (b"\xff\xfe\x00", None),
])
def test_sniff(data, expected):
    assert documents.sniff(data) == expected
