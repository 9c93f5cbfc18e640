"""Badges (server.staff.badges): an issued badge's code parses as the
wire contract says and its hash is the only thing kept; reissuing and
revoking make the old code worthless; a deactivated account's badge is
not valid and a deactivated account is issued none; the badge card PDF
carries the exact code in a QR code a scanner reads."""
import io
import logging

import pypdf
import pytest
import zxingcpp

from order_helpers import everything
from server.documents.badge_card import CARD_H, CARD_W, badge_card_pdf
from server.staff import accounts, badges
from shared import wire

PT_PER_MM = 72 / 25.4


def staff_id(db, username="t-associate"):
    return db.execute("SELECT id FROM staff WHERE username = ?",
                      [username]).fetchone()[0]


def badge_row(db, sid):
    return dict(db.execute(
        "SELECT active, badge_hash, badge_issued_at, badge_revoked_at "
        "FROM staff WHERE id = ?", [sid]).fetchone())


def valid_ids(db):
    """The accounts the roster lists: the rule badges.VALID_SQL states."""
    return {r[0] for r in db.execute(
        "SELECT id FROM staff WHERE " + badges.VALID_SQL)}


def test_issue_keeps_only_the_hash_of_a_well_formed_code(db):
    sid = staff_id(db)
    issued = badges.issue(db, sid, "t-admin")
    code = issued["code"]
    kind, parsed_id, body = wire.parse_code(code)
    assert (kind, parsed_id) == ("badge", sid)
    token = body.split(":")[2]
    assert len(token) == wire.TOKEN_LEN
    assert set(token) <= set(badges.TOKEN_CHARS)
    row = badge_row(db, sid)
    assert row["badge_hash"] == wire.badge_hash(body)
    assert row["badge_issued_at"] and row["badge_revoked_at"] is None
    assert "badge_hash" not in issued["account"]
    # The token is nowhere in the database, only its hash.
    assert token not in repr(everything(db))
    assert code not in repr(everything(db))
    assert badges.check(db, code) == sid
    assert sid in valid_ids(db)


def test_tokens_are_fresh_each_time(db):
    sid = staff_id(db)
    codes = {badges.issue(db, sid)["code"] for _ in range(20)}
    assert len(codes) == 20


def test_reissue_makes_the_old_code_worthless(db, caplog):
    sid = staff_id(db)
    old = badges.issue(db, sid)["code"]
    with caplog.at_level(logging.INFO, logger="server.staff.badges"):
        new = badges.issue(db, sid, "t-admin")["code"]
    assert old != new
    assert badges.check(db, old) is None
    assert badges.check(db, new) == sid
    assert "reissued for t-associate" in caplog.text
    assert "by t-admin" in caplog.text


def test_revoke_drops_the_badge_and_is_refused_twice(db):
    sid = staff_id(db)
    code = badges.issue(db, sid)["code"]
    account = badges.revoke(db, sid, "t-admin")
    assert account["badge_revoked_at"]
    row = badge_row(db, sid)
    assert row["badge_hash"] is None and row["badge_revoked_at"]
    assert badges.state(row) == badges.REVOKED
    assert badges.check(db, code) is None
    assert sid not in valid_ids(db)
    before = everything(db)
    with pytest.raises(badges.BadgeRefused, match="no badge to revoke"):
        badges.revoke(db, sid)
    assert everything(db) == before
    # A new badge after a revocation is valid again.
    code = badges.issue(db, sid)["code"]
    assert badges.state(badge_row(db, sid)) == badges.VALID
    assert badges.check(db, code) == sid


def test_deactivated_account_badge_stops_working(db):
    sid = staff_id(db)
    admin = staff_id(db, "t-admin")
    code = badges.issue(db, sid)["code"]
    accounts.change(db, sid, admin, active=False)
    assert badges.check(db, code) is None
    assert sid not in valid_ids(db)
    assert badges.state(badge_row(db, sid)) == badges.SUSPENDED
    before = everything(db)
    with pytest.raises(badges.BadgeRefused, match="deactivated"):
        badges.issue(db, sid)
    assert everything(db) == before
    # Reactivated: the same card works again (revoke it if it must not).
    accounts.change(db, sid, admin, active=True)
    assert badges.check(db, code) == sid


def test_unknown_account_and_foreign_codes(db):
    before = everything(db)
    for call in (badges.issue, badges.revoke):
        with pytest.raises(accounts.StaffNotFound):
            call(db, 999999)
    assert everything(db) == before
    sid = staff_id(db)
    code = badges.issue(db, sid)["code"]
    body = code.rsplit(":", 1)[0]
    other = staff_id(db, "t-csr")
    forged = wire.badge_code(other, body.split(":")[2])
    for text in (forged, "PGO:1001:" + wire.check_char("PGO:1001"),
                 code[:-1] + ("0" if code[-1] != "0" else "1"), "", None,
                 123, "PGS:" + str(sid) + ":SHORT:0"):
        assert badges.check(db, text) is None, text


def test_no_badge_state(db):
    sid = staff_id(db)
    assert badges.state(badge_row(db, sid)) == badges.NONE
    listed = {a["id"]: a for a in accounts.list_accounts(db)}
    assert not listed[sid]["has_badge"]
    assert "badge_hash" not in listed[sid]


def card_reader(pdf):
    assert pdf.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(pdf))


def test_card_is_credit_card_size_and_its_qr_is_the_code(db):
    sid = staff_id(db)
    issued = badges.issue(db, sid)
    pdf = badge_card_pdf(issued["code"], "Ari Associate",
                         "Fulfilment associate", sid,
                         issued["account"]["badge_issued_at"], "Pickgun")
    reader = card_reader(pdf)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert round(float(page.mediabox.width) / PT_PER_MM, 1) == CARD_W
    assert round(float(page.mediabox.height) / PT_PER_MM, 1) == CARD_H
    text = " ".join(page.extract_text().split())
    for words in ("Ari Associate", "Fulfilment associate",
                  "Staff no. %d" % sid, "Not a password"):
        assert words in text, words
    found = [r.text for image in page.images
             for r in zxingcpp.read_barcodes(
                 image.image, formats=zxingcpp.BarcodeFormat.QRCode)]
    assert found == [issued["code"]]
    kind, parsed_id, body = wire.parse_code(found[0])
    assert (kind, parsed_id) == ("badge", sid)
    assert badge_row(db, sid)["badge_hash"] == wire.badge_hash(body)
