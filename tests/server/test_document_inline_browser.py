"""In real Chromium: an uploaded PDF whose script the viewer would run is
downloaded, never opened, so the script never runs; a plain one opens in
the viewer."""
import io

from playwright.sync_api import Error as PlaywrightError

import pdf_samples

VIEWER = "chrome-extension://"


def upload(client, data):
    r = client.post("/orders/1004/documents",
                    data={"file": (io.BytesIO(data), "scan.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 303


def open_inline(page, url):
    """(dialogs shown, download or None) after opening `url`."""
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    try:
        page.goto(url)
    except PlaywrightError as e:          # a download aborts navigation
        assert "Download is starting" in str(e)
    page.wait_for_timeout(1500)           # time for an open action to run
    return dialogs, downloads


def test_pdf_script_never_runs(signed_in_page, live_server, client, demo):
    samples = [pdf_samples.with_open_action_script(),
               pdf_samples.in_object_stream(predictor=True)]
    for data in samples:
        upload(client, data)
    ids = [r[0] for r in demo.execute(
        "SELECT id FROM documents WHERE order_id = 1004 ORDER BY id")]
    page = signed_in_page(live_server, "csr")
    for document_id, data in zip(ids, samples, strict=True):
        dialogs, downloads = open_inline(page, "%s/orders/1004/documents/%d"
                                         "?inline=1" % (live_server,
                                                        document_id))
        assert dialogs == []
        [download] = downloads
        assert download.suggested_filename == "scan.pdf"
        with open(download.path(), "rb") as f:
            assert f.read() == data
        assert not any(f.url.startswith(VIEWER) for f in page.frames)


def test_plain_pdf_opens_in_the_viewer(signed_in_page, live_server, client,
                                       demo):
    upload(client, pdf_samples.drawn())
    [document_id] = [r[0] for r in demo.execute(
        "SELECT id FROM documents WHERE order_id = 1004")]
    page = signed_in_page(live_server, "csr")
    dialogs, downloads = open_inline(page, "%s/orders/1004/documents/%d"
                                     "?inline=1" % (live_server, document_id))
    assert dialogs == [] and downloads == []
    assert any(f.url.startswith(VIEWER) for f in page.frames)
