"""An uploaded PDF is shown in the browser only when it carries nothing
a viewer would run or fetch; otherwise ?inline=1 downloads it, whole and
unchanged.  (Chromium's viewer runs a PDF's script even under a
sandboxing Content-Security-Policy: test_document_inline_browser.)"""
import io
import zlib

import pytest

import pdf_samples
from server.documents import pdf_content

ACTIVE = {
    "document script": pdf_samples.with_document_script,
    "open action script": pdf_samples.with_open_action_script,
    "page open script": pdf_samples.with_page_open_script,
    "launch link": pdf_samples.with_launch_link,
    "escaped names": pdf_samples.with_escaped_names,
    "object stream": pdf_samples.in_object_stream,
    "object stream through a predictor": lambda: pdf_samples.in_object_stream(
        predictor=True),
}


def upload(client, order_id, data, filename="scan.pdf"):
    r = client.post("/orders/%d/documents" % order_id,
                    data={"file": (io.BytesIO(data), filename)},
                    content_type="multipart/form-data")
    assert r.status_code == 303


def last_document(db, order_id):
    return db.execute("SELECT id, content_type, size FROM documents "
                      "WHERE order_id = ? ORDER BY id DESC LIMIT 1",
                      [order_id]).fetchone()


def fetch_inline(client, order_id, document_id):
    return client.get("/orders/%d/documents/%d?inline=1"
                      % (order_id, document_id))


@pytest.mark.parametrize("kind", sorted(ACTIVE))
def test_pdf_that_acts_is_downloaded_not_shown(client, demo, kind):
    data = ACTIVE[kind]()
    # A real PDF whose action a reader finds.
    assert pdf_samples.open_action_script(data)
    upload(client, 1004, data)
    row = last_document(demo, 1004)
    assert (row["content_type"], row["size"]) == ("application/pdf",
                                                   len(data))
    r = fetch_inline(client, 1004, row["id"])
    assert r.status_code == 200 and r.data == data
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_encrypted_pdf_is_downloaded_not_shown(client, demo):
    data = pdf_samples.encrypted()
    upload(client, 1004, data)
    r = fetch_inline(client, 1004, last_document(demo, 1004)["id"])
    assert r.data == data
    assert r.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("make", [
    pdf_samples.drawn,
    lambda: pdf_samples.in_object_stream(
        action=b"<< /S /GoTo /D [3 0 R /Fit] >>")],
    ids=["drawn", "object stream going to a page"])
def test_plain_pdf_is_shown(client, demo, make):
    data = make()
    upload(client, 1004, data)
    r = fetch_inline(client, 1004, last_document(demo, 1004)["id"])
    assert r.data == data
    assert r.headers["Content-Disposition"].startswith("inline;")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_generated_receipts_are_shown(client, demo):
    r = client.post("/orders/1003/documents/generate/confirmation_receipt")
    assert r.status_code == 303
    row = last_document(demo, 1003)
    r = fetch_inline(client, 1003, row["id"])
    assert r.data.startswith(b"%PDF-")
    assert pdf_content.active_content(r.data) is None
    assert r.headers["Content-Disposition"].startswith("inline;")


@pytest.mark.parametrize("data,reason", [
    (b"%PDF-1.4\n1 0 obj\n<< /Filter /LZWDecode /Length 3 >>\nstream\n"
     b"abc\nendstream\nendobj\n", "unreadable stream"),
    (b"%PDF-1.4\n1 0 obj\n<< /Filter 2 0 R /Length 3 >>\nstream\nabc\n"
     b"endstream\nendobj\n", "unreadable stream"),
    (b"%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode /Length 3 >>\nstream\n"
     b"abc\nendstream\nendobj\n", "unreadable stream"),
    (b"%PDF-1.4\n1 0 obj\n<< /Length 9 >>\nstream\n/JS (x)\n\nendstream\n"
     b"endobj\n", "JS"),
    (b"%PDF-1.4\n1 0 obj\n<< /Subtype /Image /Filter /DCTDecode "
     b"/Length 3 >>\nstream\n\xff\xd8\xff\nendstream\nendobj\n", None),
    (b"%PDF-1.4\n1 0 obj\n<< /F1 2 0 R /JSX 1 >>\nendobj\n", None),
])
def test_what_counts_as_acting(data, reason):
    assert pdf_content.active_content(data) == reason


def test_inflating_is_bounded(monkeypatch):
    bomb = zlib.compress(b" " * 200_000)
    data = (b"%%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode /Length %d >>\n"
            b"stream\n" % len(bomb) + bomb + b"\nendstream\nendobj\n")
    assert pdf_content.active_content(data) is None
    monkeypatch.setattr(pdf_content, "INFLATE_MAX", 100_000)
    assert pdf_content.active_content(data) == "unreadable stream"
