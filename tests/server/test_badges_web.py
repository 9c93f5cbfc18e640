"""The Staff page's badges (issue, reissue, revoke: administrators, as
the page's other changes), the fleet page's sign-in settings
(supervisors and above), and who picked or acknowledged on a gun, shown
on the order page, its twin and the dispensing record."""
import io
import re

import pypdf
import pytest
import zxingcpp

from order_helpers import everything
from server.documents import receipts
from server.staff import badges
from server.core import settings
from shared import wire


def staff_id(db, username):
    return db.execute("SELECT id FROM staff WHERE username = ?",
                      [username]).fetchone()[0]


def flashed(client):
    with client.session_transaction() as session:
        return [m for _, m in session.get("_flashes", [])]


def codes_in(pdf):
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [r.text for page in reader.pages for image in page.images
            for r in zxingcpp.read_barcodes(
                image.image, formats=zxingcpp.BarcodeFormat.QRCode)]


# ------------------------------------------------------------ the badges
def test_admin_issues_a_badge_and_gets_its_card(client, db):
    sid = staff_id(db, "t-associate")
    r = client.post("/staff/%d/badge" % sid)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert 'attachment; filename="badge-t-associate.pdf"' == \
        r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "no-store"
    [code] = codes_in(r.data)
    kind, parsed_id, body = wire.parse_code(code)
    assert (kind, parsed_id) == ("badge", sid)
    row = db.execute("SELECT badge_hash FROM staff WHERE id = ?",
                     [sid]).fetchone()
    assert row[0] == wire.badge_hash(body)
    text = " ".join(pypdf.PdfReader(io.BytesIO(r.data)).pages[0]
                    .extract_text().split())
    assert "Test Associate" in text and "Fulfilment associate" in text
    assert "Staff no. %d" % sid in text
    # The page and its twin show the state, never the code or the hash.
    html = client.get("/staff/").get_data(as_text=True)
    cell = re.search(r'<tr class="" data-username="t-associate">.*?</tr>',
                     html, re.S).group(0)
    assert 'data-badge="valid"' in cell and "Reissue" in cell
    assert "Revoke" in cell and "issued " in cell
    twin = {s["username"]: s for s in client.get("/staff.json").get_json()[
        "staff"]}
    assert twin["t-associate"]["badge"] == "valid"
    assert "badge_hash" not in twin["t-associate"]
    assert code not in html and row[0] not in html
    assert twin["t-csr"]["badge"] == "none"


def test_reissue_and_revoke_from_the_page(client, db):
    sid = staff_id(db, "t-associate")
    [old] = codes_in(client.post("/staff/%d/badge" % sid).data)
    [new] = codes_in(client.post("/staff/%d/badge" % sid).data)
    assert old != new
    assert badges.check(db, old) is None and badges.check(db, new) == sid
    r = client.post("/staff/%d/badge/revoke" % sid)
    assert r.status_code == 302
    assert any("revoked" in m for m in flashed(client))
    assert badges.check(db, new) is None
    html = client.get("/staff/").get_data(as_text=True)
    assert 'data-badge="revoked"' in html and "revoked 20" in html
    # Nothing left to revoke: a clear error, nothing changed.
    before = everything(db)
    client.post("/staff/%d/badge/revoke" % sid)
    assert any("no badge to revoke" in m for m in flashed(client))
    assert everything(db) == before


def test_deactivated_account_gets_no_badge(client, db):
    sid = staff_id(db, "t-associate")
    client.post("/staff/%d/badge" % sid)
    client.post("/staff/%d" % sid, data={"active": "0"})
    html = client.get("/staff/").get_data(as_text=True)
    assert 'data-badge="suspended"' in html
    assert "Reactivate the account to issue a badge" in html
    before = everything(db)
    r = client.post("/staff/%d/badge" % sid)
    assert r.status_code == 302
    assert any("deactivated" in m for m in flashed(client))
    assert everything(db) == before


@pytest.mark.parametrize("role", ["associate", "csr", "supervisor"])
def test_only_administrators_issue_or_revoke(app, login, db, role):
    sid = staff_id(db, "t-associate")
    before = everything(db)
    other = login(app.test_client(), role)
    for path in ("/staff/%d/badge", "/staff/%d/badge/revoke"):
        assert other.post(path % sid).status_code == 403
        assert other.post(path % 999999).status_code == 403
    assert everything(db) == before


def test_unknown_account_is_404(client, db):
    before = everything(db)
    for path in ("/staff/999999/badge", "/staff/999999/badge/revoke"):
        assert client.post(path).status_code == 404
    assert everything(db) == before


# ------------------------------------------------------ sign-in settings
def test_a_supervisor_sets_sign_in_and_the_twin_shows_it(app, login, db):
    supervisor = login(app.test_client(), "supervisor")
    assert supervisor.get("/devices.json").get_json()["signin"] == {
        "required": False, "idle": 900}
    r = supervisor.post("/devices/signin", data={"required": "1",
                                                  "idle": "300"})
    assert r.status_code == 302
    assert any("required; idle sign-out after 300 seconds" in m
               for m in flashed(supervisor))
    assert (settings.get(db, settings.SIGNIN_REQUIRED),
            settings.get(db, settings.SIGNIN_IDLE)) == ("1", "300")
    assert supervisor.get("/devices.json").get_json()["signin"] == {
        "required": True, "idle": 300}
    html = supervisor.get("/devices/").get_data(as_text=True)
    assert re.search(r'<option value="1" selected>Required', html)
    assert 'name="idle"' in html and 'value="300"' in html
    supervisor.post("/devices/signin", data={"required": "0", "idle": "0"})
    assert any("not required; idle sign-out never" in m
               for m in flashed(supervisor))


@pytest.mark.parametrize("form, words", [
    ({"required": "yes", "idle": "60"}, "Sign-in required must be one of"),
    ({"required": "1", "idle": "86401"}, "from 0 to 86400 seconds"),
    ({"required": "1", "idle": "-1"}, "Idle sign-out must be a whole"),
    ({"required": "1", "idle": "1.5"}, "Idle sign-out must be a whole"),
    ({"required": "1"}, "Idle sign-out must be a whole"),
    ({"idle": "x"}, "Sign-in required must be one of"),
])
def test_bad_sign_in_settings_are_refused(client, db, form, words):
    before = everything(db)
    r = client.post("/devices/signin", data=form)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Sign-in at the guns not changed" in html and words in html
    assert everything(db) == before


@pytest.mark.parametrize("role", ["associate", "csr"])
def test_sign_in_settings_need_a_supervisor(app, login, db, role):
    before = everything(db)
    other = login(app.test_client(), role)
    assert other.post("/devices/signin", data={
        "required": "1", "idle": "60"}).status_code == 403
    assert everything(db) == before
    html = other.get("/devices/").get_data(as_text=True)
    assert "Needs a supervisor" in html


# ----------------------------------------------------- who did it, shown
@pytest.fixture
def picked_by_ari(demo):
    """Order 1001's first accepted pick made by Ari (signed in on G01),
    the other with nobody signed in; a note acknowledged by Ari on G02."""
    ari = staff_id(demo, "associate")
    first, second = [r[0] for r in demo.execute(
        "SELECT id FROM picks WHERE order_id = 1001 AND status = "
        "'accepted' ORDER BY id")]
    serials = {}
    with demo.conn:
        demo.execute("UPDATE picks SET staff_id = ?, device_id = 'G01' "
                     "WHERE id = ?", [ari, first])
        demo.execute("UPDATE picks SET staff_id = NULL, device_id = 'G07' "
                     "WHERE id = ?", [second])
        for pick_id in (first, second):
            serials[pick_id] = demo.execute(
                "SELECT serial FROM picks WHERE id = ?", [pick_id]
            ).fetchone()[0]
        note = demo["notes"].insert({
            "order_id": 1001, "text": "Fragile", "author": "csr",
            "created_at": "2024-03-01 09:00:00", "severity": "ack"}).last_pk
        demo.execute(
            "INSERT INTO device_events (device_id, ep, seq, kind, order_id, "
            " gun_at, received_at, outcome, payload, staff_id) VALUES "
            "('G02', 9, 1, 'notes_ack', 1001, 0, '2024-03-01 10:00:00', "
            " 'accepted', ?, ?)",
            ['{"v": 1, "k": "notes_ack", "n": [%d]}' % note, ari])
        demo.execute(
            "INSERT INTO order_history (order_id, action, from_status, "
            " to_status, actor, at, detail, staff_id) VALUES (1001, "
            " 'notes_ack', 'shipped', 'shipped', 'G02', "
            " '2024-03-01 10:00:00', ?, ?)", ["notes %d" % note, ari])
    return {"ari": ari, "with": serials[first], "without": serials[second],
            "note": note}


def test_the_order_page_names_who_picked_and_acknowledged(client,
                                                          picked_by_ari):
    html = client.get("/orders/1001").get_data(as_text=True)
    picks = re.search(r'<table class="table picks">.*?</table>', html,
                      re.S).group(0)
    row_with = re.search(r"<tr[^>]*>\s*<td class=\"mono\">%s</td>.*?</tr>"
                         % picked_by_ari["with"], picks, re.S).group(0)
    row_without = re.search(r"<tr[^>]*>\s*<td class=\"mono\">%s</td>.*?"
                            r"</tr>" % picked_by_ari["without"], picks,
                            re.S).group(0)
    assert "Ari Associate" in row_with and "G01" in row_with
    assert "Ari Associate" not in row_without and "G07" in row_without
    note = html[html.index('id="note-%d"' % picked_by_ari["note"]):]
    note = note[:note.index("</li>")]
    assert re.search(r"Acknowledged by <strong[^>]*>Ari Associate</strong> "
                     r"on gun\s*<strong class=\"mono\">G02</strong>", note)
    history = re.search(r'<table class="table history">.*?</table>', html,
                        re.S).group(0)
    assert re.search(r"Ari Associate</span> <span class=\"muted\">on</span> "
                     r"G02", history)
    twin = client.get("/orders/1001.json").get_json()
    by_serial = {p["serial"]: p for p in twin["d"]["picks"]}
    assert by_serial[picked_by_ari["with"]]["staff_name"] == "Ari Associate"
    assert by_serial[picked_by_ari["without"]]["staff_name"] is None
    [ack] = [n for n in twin["profile"]["notes"]
             if n["id"] == picked_by_ari["note"]][0]["acks"]
    assert (ack["staff_name"], ack["device_id"]) == ("Ari Associate", "G02")
    dispensing = client.get("/orders/1001?tab=dispensing").get_data(
        as_text=True)
    table = re.search(r'<table class="table dispensed">.*?</table>',
                      dispensing, re.S).group(0)
    assert "Ari Associate" in table and "G07" in table


def test_the_dispensing_record_names_who_picked_each_bottle(
        demo, picked_by_ari):
    pdf = receipts.render(demo, 1001, "dispensing_record", "x")
    text = " ".join(" ".join(p.extract_text().split())
                    for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Picked by" in text
    assert re.search(picked_by_ari["with"] + r".*?Ari Associate, G01", text)
    assert re.search(picked_by_ari["without"] + r".*?G07", text)
    assert text.count("Ari Associate") == 1
