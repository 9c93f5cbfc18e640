"""The Lots pages over HTTP: the list and its filters, a lot's page with
its history and forms, who may hold, recall and release (supervisors
and above), refusals that change nothing, the recall report's page,
CSV and PDF, the .json twins, and the flags on the order page and the
picking list."""
import csv
import io

import pypdf
import pytest

from test_lots import everything, picked_lot, shipped_lot


def html(response):
    return response.get_data(as_text=True)


def test_lots_page_lists_and_filters(client, demo):
    lot_id, _ = picked_lot(demo)
    page = html(client.get("/lots/"))
    assert 'href="/lots/"' in page and ">Lots</a>" in page     # nav link
    for row in demo.execute("SELECT id FROM lots"):
        assert 'href="/lots/%s"' % row[0] in page
    client.post("/lots/%s/hold" % lot_id, data={"reason": "Mould"})
    held = client.get("/lots.json?status=on_hold").get_json()
    assert [x["id"] for x in held["lots"]] == [lot_id]
    assert held["status"] == "on_hold"
    page = html(client.get("/lots/?status=on_hold"))
    assert page.count('data-lot="') == 1 and "On hold" in page
    by_sku = client.get("/lots.json?sku=THC-CAP-10").get_json()["lots"]
    assert by_sku and {x["sku"] for x in by_sku} == {"THC-CAP-10"}
    assert "No lot matches" in html(client.get("/lots/?sku=NOPE"))
    bad = client.get("/lots.json?status=bogus")
    assert bad.status_code == 400 and "Status" in bad.get_json()["error"]


def test_supervisor_holds_and_releases_with_a_reason(app, login, demo):
    lot_id, _ = picked_lot(demo)
    sup = login(app.test_client(), "supervisor")
    page = html(sup.get("/lots/%s" % lot_id))
    assert 'action="/lots/%s/hold"' % lot_id in page
    assert 'action="/lots/%s/recall"' % lot_id in page
    assert 'action="/lots/%s/release"' % lot_id not in page
    r = sup.post("/lots/%s/hold" % lot_id, data={"reason": "Lab: mould"})
    assert r.status_code == 303
    lot = sup.get("/lots/%s.json" % lot_id).get_json()["lot"]
    assert lot["status"] == "on_hold"
    assert [(h["to_status"], h["reason"], h["actor"])
            for h in lot["history"]] == [
        ("on_hold", "Lab: mould", "t-supervisor")]
    page = html(sup.get("/lots/%s" % lot_id))
    assert "Lab: mould" in page and "t-supervisor" in page
    assert 'action="/lots/%s/release"' % lot_id in page
    sup.post("/lots/%s/release" % lot_id, data={"reason": "Cleared"})
    assert sup.get("/lots/%s.json" % lot_id).get_json()["lot"][
        "status"] == "released"


@pytest.mark.parametrize("role", ["associate", "csr"])
def test_below_supervisor_sees_the_forms_disabled_and_is_refused(
        app, login, demo, role):
    lot_id, _ = picked_lot(demo)
    user = login(app.test_client(), role)
    page = html(user.get("/lots/%s" % lot_id))
    assert "Needs a supervisor" in page
    assert 'action="/lots/%s/hold"' % lot_id not in page
    before = everything(demo)
    for action in ("hold", "recall", "release"):
        r = user.post("/lots/%s/%s" % (lot_id, action),
                      data={"reason": "Try"})
        assert r.status_code == 403
    # The same answer for a lot that does not exist.
    assert user.post("/lots/NOPE/hold", data={"reason": "x"}
                     ).status_code == 403
    assert everything(demo) == before


@pytest.mark.parametrize("reason", ["", "   ", "x" * 10_240])
def test_a_bad_reason_is_shown_and_changes_nothing(client, demo, reason):
    lot_id, _ = picked_lot(demo)
    before = everything(demo)
    r = client.post("/lots/%s/hold" % lot_id, data={"reason": reason})
    assert r.status_code == 400
    assert "flash-error" in html(r) and "Reason" in html(r)
    assert everything(demo) == before


def test_refused_changes_flash_why_and_change_nothing(client, demo):
    lot_id, _ = picked_lot(demo)
    client.post("/lots/%s/recall" % lot_id, data={"reason": "Recall"})
    before = everything(demo)
    for action in ("release", "hold", "recall"):
        r = client.post("/lots/%s/%s" % (lot_id, action),
                        data={"reason": "Try"}, follow_redirects=True)
        assert "recall is final" in html(r)
    assert client.post("/lots/%s/destroy" % lot_id,
                       data={"reason": "x"}).status_code == 404
    assert client.post("/lots/NOPE/hold",
                       data={"reason": "x"}).status_code == 404
    assert everything(demo) == before


@pytest.mark.parametrize("url", ["/lots/NOPE", "/lots/NOPE.json",
                                 "/lots/NOPE/recall", "/lots/NOPE/recall.json",
                                 "/lots/NOPE/recall.csv",
                                 "/lots/NOPE/recall.pdf"])
def test_unknown_lot_is_404(client, demo, url):
    r = client.get(url)
    assert r.status_code == 404
    if url.endswith(".json"):
        assert "NOPE" in r.get_json()["error"]


def test_recall_report_only_for_a_recalled_lot(client, demo):
    lot_id = shipped_lot(demo)
    for suffix in ("", ".json", ".csv", ".pdf"):
        r = client.get("/lots/%s/recall%s" % (lot_id, suffix))
        assert r.status_code == 409, suffix
    assert "Recall report" not in html(client.get("/lots/%s" % lot_id))


def test_recall_report_page_csv_and_pdf(app, login, demo):
    lot_id = shipped_lot(demo)
    login(app.test_client(), "supervisor").post(
        "/lots/%s/recall" % lot_id, data={"reason": "Contamination"})
    user = login(app.test_client(), "associate")
    assert 'href="/lots/%s/recall"' % lot_id in html(
        user.get("/lots/%s" % lot_id))
    data = user.get("/lots/%s/recall.json" % lot_id).get_json()["report"]
    serials = [r["serial"] for r in data["rows"]]
    assert serials and data["orders"] >= 1 and data["clients"] >= 1
    page = html(user.get("/lots/%s/recall" % lot_id))
    for row in data["rows"]:
        assert row["serial"] in page and row["client_name"] in page
        assert 'href="/orders/%d"' % row["order_id"] in page
    assert "Contamination" in page
    r = user.get("/lots/%s/recall.csv" % lot_id)
    assert r.mimetype == "text/csv" and "attachment" in r.headers[
        "Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert [x[0] for x in rows[1:]] == serials
    r = user.get("/lots/%s/recall.pdf" % lot_id)
    assert r.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(
        io.BytesIO(r.data)).pages)
    assert all(s in text for s in serials) and "Contamination" in text


def test_order_page_and_picking_list_flag_bottles_of_a_held_lot(client,
                                                                demo):
    lot_id, serial = picked_lot(demo)
    assert "lot-flags" not in html(client.get("/orders/1003"))
    client.post("/lots/%s/hold" % lot_id, data={"reason": "Mould"})
    text = "1 bottle of lot %s, on hold: reset picking" % lot_id
    page = html(client.get("/orders/1003"))
    assert text in page and serial in page
    assert 'action="/orders/1003/actions/reset_picking"' in page
    assert client.get("/orders/1003.json").get_json()["profile"][
        "lot_flags"][0]["text"] == text
    listing = html(client.get("/orders/picking-list"))
    assert text in listing and 'href="/orders/1003#lot-flags"' in listing
    # The banner's Reset Picking is the Order Menu's: recorded, then gone.
    r = client.post("/orders/1003/actions/reset_picking",
                    data={"reason": "Lot %s on hold" % lot_id},
                    follow_redirects=True)
    assert "Picking reset" in html(r) and text not in html(r)
    assert text not in html(client.get("/orders/picking-list"))


def test_associate_sees_the_flag_with_reset_disabled(app, login, demo):
    lot_id, _ = picked_lot(demo)
    login(app.test_client(), "supervisor").post(
        "/lots/%s/hold" % lot_id, data={"reason": "Mould"})
    page = html(login(app.test_client(), "associate").get("/orders/1003"))
    flags = page[page.index('id="lot-flags"'):page.index(
        '<nav class="tabs"')]
    assert "on hold: reset picking" in flags and "Needs a CSR" in flags
    assert "reset_picking" in flags and "<form" not in flags


def test_recall_page_lists_the_first_bottles_and_counts_them_all(
        client, demo, monkeypatch):
    from server.web import lots as lot_views
    lot_id = shipped_lot(demo)
    client.post("/lots/%s/recall" % lot_id, data={"reason": "Recall"})
    total = client.get("/lots/%s/recall.json" % lot_id).get_json()[
        "report"]["bottles"]
    assert total > 1
    monkeypatch.setattr(lot_views, "PAGE_ROWS", 1)
    page = html(client.get("/lots/%s/recall" % lot_id))
    assert page.count("data-serial=") == 1
    assert "The first 1 of %d bottles" % total in page
    assert "<strong>%d</strong> bottles" % total in page
    csv_rows = client.get("/lots/%s/recall.csv" % lot_id).data.decode(
        "utf-8-sig").strip().splitlines()
    assert len(csv_rows) == total + 1
