"""Lots on hold and recalls, in the domain: the status machine and its
append-only history, refusals that change nothing, the flags of bottles
picked from a refused lot, the picking list's and the guns' suggested
lot, and the recall report with its CSV and PDF read back."""
import csv
import datetime
import io
import itertools
import sqlite3

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.core.db import transaction
from server.core.errors import ActionRefused, BadInput
from server.documents.recall_pdf import recall_pdf
from server.gunlink import snapshots
from server.orders import lot_checks, lots, picking, recall
from shared import wire

TODAY = datetime.date.today().isoformat()


def everything(db):
    return {t: [tuple(r) for r in db.execute("SELECT * FROM %s" % t)]
            for t in ("lots", "lot_history", "orders", "bottles")}


def picked_lot(db, order_id=1003):
    """(lot id, serial) of a bottle picked for a placed demo order."""
    row = db.execute("SELECT lot_id, serial FROM bottles WHERE order_id = ? "
                     "AND status = 'picked'", [order_id]).fetchone()
    return row["lot_id"], row["serial"]


def shipped_lot(db):
    return db.execute("SELECT lot_id FROM bottles WHERE status = 'shipped' "
                      "ORDER BY serial LIMIT 1").fetchone()[0]


_ids = itertools.count(1)


def new_lot(db, sku="CBD-OIL-30", expires_in=365, bottles=2, packaged_ago=30,
            lot_id=None):
    lot_id = lot_id or "LT%04d" % next(_ids)
    today = datetime.date.today()
    with transaction(db):
        db["lots"].insert({
            "id": lot_id, "sku": sku,
            "packaged_on": (today - datetime.timedelta(
                days=packaged_ago)).isoformat(),
            "expires_on": (today + datetime.timedelta(
                days=expires_in)).isoformat()})
        for i in range(bottles):
            db["bottles"].insert({"serial": "%s-%d" % (lot_id, i),
                                  "sku": sku, "lot_id": lot_id,
                                  "status": "in_stock"})
    return lot_id


# ------------------------------------------------------ the status machine
def test_hold_release_recall_each_write_one_history_row(demo):
    lot_id, _ = picked_lot(demo)
    assert lots.change_status(demo, lot_id, "hold", " Mould found ",
                              "sam") == "on_hold"
    assert lots.change_status(demo, lot_id, "release", "Lab cleared it",
                              "sam") == "released"
    assert lots.change_status(demo, lot_id, "recall", "Health Canada",
                              "alex") == "recalled"
    history = lots.lot_history(demo, lot_id)
    assert [(h["from_status"], h["to_status"], h["reason"], h["actor"])
            for h in history] == [
        ("released", "on_hold", "Mould found", "sam"),
        ("on_hold", "released", "Lab cleared it", "sam"),
        ("released", "recalled", "Health Canada", "alex")]
    assert all(h["at"] for h in history)
    assert lots.get_lot(demo, lot_id)["actions"] == []


@pytest.mark.parametrize("steps, action, words", [
    ((), "release", "not on hold"),
    (("hold",), "hold", "already on hold"),
    (("recall",), "recall", "recall is final"),
    (("recall",), "release", "recall is final"),
    (("recall",), "hold", "recall is final"),
])
def test_a_change_the_status_does_not_allow_changes_nothing(
        demo, steps, action, words):
    lot_id = new_lot(demo)
    for step in steps:
        lots.change_status(demo, lot_id, step, "Set up", "sam")
    before = everything(demo)
    with pytest.raises(ActionRefused, match=words):
        lots.change_status(demo, lot_id, action, "Try", "sam")
    assert everything(demo) == before


@pytest.mark.parametrize("reason", [None, "", "   ", "x" * 10_240,
                                    "bad\x00char", 42])
def test_a_missing_or_bad_reason_changes_nothing(demo, reason):
    lot_id = new_lot(demo)
    before = everything(demo)
    with pytest.raises(BadInput, match="Reason"):
        lots.change_status(demo, lot_id, "hold", reason, "sam")
    assert everything(demo) == before


def test_unknown_lot_or_action_changes_nothing(demo):
    before = everything(demo)
    with pytest.raises(lots.LotNotFound, match="NOPE"):
        lots.change_status(demo, "NOPE", "hold", "Why", "sam")
    with pytest.raises(BadInput, match="Unknown lot action"):
        lots.change_status(demo, new_lot(demo), "destroy", "Why", "sam")
    assert everything(demo)["lot_history"] == before["lot_history"]


def test_the_database_refuses_to_edit_or_delete_lot_history(demo):
    lot_id = new_lot(demo)
    lots.change_status(demo, lot_id, "hold", "Why", "sam")
    for sql in ("UPDATE lot_history SET reason = 'edited'",
                "DELETE FROM lot_history"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            demo.execute(sql)
    assert lots.lot_history(demo, lot_id)[0]["reason"] == "Why"


ACTIONS = st.sampled_from(sorted(lots.TRANSITIONS) + ["bogus"])
REASONS = st.one_of(st.just("Because"), st.just(""), st.text(max_size=8),
                    st.just("r" * (lots.REASON_MAX + 1)))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(ACTIONS, REASONS), max_size=8))
def test_no_sequence_of_changes_edits_history_or_leaves_the_machine(
        demo, steps):
    """Whatever is tried, in any order: the status is one of the three,
    only TRANSITIONS moves it, a recalled lot stays recalled, every
    accepted change adds exactly one row and no row ever changes."""
    db = demo
    lot_id = new_lot(db, bottles=0)
    status, rows = "released", []
    for action, reason in steps:
        try:
            to = lots.change_status(db, lot_id, action, reason, "prop")
        except (ActionRefused, BadInput):
            to = None
        history = [tuple(h.values()) for h in lots.lot_history(db, lot_id)]
        if to is None:
            assert history == rows
        else:
            label, allowed, target = lots.TRANSITIONS[action]
            assert status in allowed and to == target
            assert history[:-1] == rows and len(history) == len(rows) + 1
            assert history[-1][1:4] == (status, to, reason.strip())
            status, rows = to, history
        assert lots.get_lot(db, lot_id)["status"] == status
        assert status in lots.STATUS_LABELS
    if any(h[2] == "recalled" for h in rows):
        assert status == "recalled"


# ------------------------------------------------------------ the list
def test_list_counts_bottles_and_filters(demo):
    lot_id, serial = picked_lot(demo)
    everyone = {lot["id"]: lot for lot in lots.list_lots(demo)}
    lot = everyone[lot_id]
    assert (lot["picked"], lot["shipped"], lot["returned"]) == (1, 2, 0)
    assert lot["in_stock"] == demo.execute(
        "SELECT count(*) FROM bottles WHERE lot_id = ? AND status = "
        "'in_stock'", [lot_id]).fetchone()[0]
    assert lot["product"].startswith("CBD Oil 30 mL")
    assert lot["refusal"] is None
    expiries = [x["expires_on"] for x in everyone.values()]
    assert expiries == sorted(expiries)
    lots.change_status(demo, lot_id, "hold", "Why", "sam")
    held = lots.list_lots(demo, status="on_hold")
    assert [x["id"] for x in held] == [lot_id]
    assert held[0]["refusal"] == "lot_on_hold"
    assert {x["sku"] for x in lots.list_lots(demo, sku="THC-CAP-10")} == {
        "THC-CAP-10"}
    assert lots.list_lots(demo, sku="NOPE") == []
    with pytest.raises(BadInput, match="Status"):
        lots.list_lots(demo, status="bogus")


def test_lot_checks_judge_recalled_held_and_expired(demo):
    good, expired = new_lot(demo), new_lot(demo, expires_in=0)
    held, gone = new_lot(demo), new_lot(demo, expires_in=0)
    lots.change_status(demo, held, "hold", "Why", "sam")
    lots.change_status(demo, gone, "recall", "Why", "sam")
    assert lot_checks.lot_refusal(demo, good, TODAY) is None
    assert lot_checks.lot_refusal(demo, expired, TODAY) == "expired"
    assert lot_checks.lot_refusal(demo, held, TODAY) == "lot_on_hold"
    assert lot_checks.lot_refusal(demo, gone, TODAY) == "lot_recalled"
    refused = dict(map(tuple, lot_checks.refused_lots(demo, TODAY)))
    assert refused == {expired: "expired", held: "lot_on_hold",
                       gone: "lot_recalled"}
    wire.check_lots(wire.lots(lot_checks.refused_lots(demo, TODAY)))


# ------------------------------------------------------------- the flags
def test_bottles_picked_from_a_held_lot_are_flagged_until_reset(demo):
    from server.orders import actions
    lot_id, serial = picked_lot(demo)
    assert lots.order_lot_flags(demo, 1003) == []
    lots.change_status(demo, lot_id, "hold", "Mould", "sam")
    flags = lots.order_lot_flags(demo, 1003)
    assert flags == [{
        "lot_id": lot_id, "refusal": "lot_on_hold", "count": 1,
        "serials": [serial],
        "text": "1 bottle of lot %s, on hold: reset picking" % lot_id,
        "reason": "Lot %s on hold" % lot_id}]
    entry = next(e for e in picking.picking_list(demo)
                 if e["order"]["id"] == 1003)
    assert entry["lot_flags"] == flags
    # Shipped bottles of the lot are the recall report's, not a flag.
    assert lots.order_lot_flags(demo, 1001) == []
    actions.apply_action(demo, 1003, "reset_picking", "casey",
                         {"reason": flags[0]["reason"]})
    assert lots.order_lot_flags(demo, 1003) == []


def test_expired_and_recalled_lots_are_flagged_too(demo):
    lot_id, _ = picked_lot(demo)
    with transaction(demo):
        demo.execute("UPDATE lots SET expires_on = ? WHERE id = ?",
                     [TODAY, lot_id])
    assert lots.order_lot_flags(demo, 1003)[0]["text"].endswith(
        ", expired: reset picking")
    lots.change_status(demo, lot_id, "recall", "Why", "sam")
    assert lots.order_lot_flags(demo, 1003)[0]["refusal"] == "lot_recalled"


# ------------------------------------------------- the lot to pick from
def _snapshot_lots(db, order_id):
    snap = snapshots.order_snapshot(db, order_id)
    assert snap is not None
    wire.check_snapshot(snap)
    return {line["sku"]: line.get("lot") for line in snap["lines"]}


def test_snapshot_lines_name_the_first_expiring_good_lot(demo):
    # Order 1004 waits for THC-CAP-10 (one demo lot): a sooner lot,
    # held or expired lots, and the one the picking list suggests.
    (only,) = [r[0] for r in demo.execute(
        "SELECT id FROM lots WHERE sku = 'THC-CAP-10'")]
    assert _snapshot_lots(demo, 1004)["THC-CAP-10"] == only
    sooner = new_lot(demo, "THC-CAP-10", expires_in=10)
    expired = new_lot(demo, "THC-CAP-10", expires_in=0)
    assert _snapshot_lots(demo, 1004)["THC-CAP-10"] == sooner
    rev = demo.execute("SELECT rev FROM orders WHERE id = 1004").fetchone()[0]
    lots.change_status(demo, sooner, "hold", "Why", "sam")
    # The change reaches the guns: the order's snapshot goes out again.
    assert demo.execute("SELECT rev FROM orders WHERE id = 1004"
                        ).fetchone()[0] == rev + 1
    assert _snapshot_lots(demo, 1004)["THC-CAP-10"] == only
    suggested = {b["lot_id"] for e in picking.picking_list(demo)
                 for line in e["lines"] if line["sku"] == "THC-CAP-10"
                 for b in line["suggested"]}
    assert suggested == {only} and expired not in suggested
    lots.change_status(demo, only, "recall", "Why", "sam")
    assert _snapshot_lots(demo, 1004)["THC-CAP-10"] is None
    assert picking.suggested_lot(demo, "THC-CAP-10", TODAY) is None


def test_a_full_line_or_a_lot_id_a_gun_cannot_take_names_no_lot(demo):
    lots_of = _snapshot_lots(demo, 1003)
    assert lots_of["CBD-OIL-30"] is None           # 1 of 1 picked
    new_lot(demo, "THC-CAP-10", expires_in=5, lot_id="lower-case")
    assert picking.suggested_lot(demo, "THC-CAP-10", TODAY) == "lower-case"
    assert _snapshot_lots(demo, 1004)["THC-CAP-10"] is None


def test_lot_goes_with_the_names_when_a_snapshot_does_not_fit(demo):
    snap = snapshots._full_snapshot(demo, 1004)
    assert snap is not None
    snap["lines"] = [dict(snap["lines"][0], sku="SKU-%d" % i)
                     for i in range(100)]
    assert all("lot" in line for line in snap["lines"])
    snap, payload = snapshots.fit(snap)
    assert len(payload) <= wire.SNAPSHOT_MAX
    assert not any("lot" in line or "name" in line
                   for line in snap["lines"])
    assert snap["lines"]                    # still pickable


# ------------------------------------------------------- recall report
def test_recall_report_lists_every_bottle_that_left(demo):
    lot_id = shipped_lot(demo)
    with pytest.raises(ActionRefused, match="not recalled"):
        recall.recall_report(demo, lot_id)
    lots.change_status(demo, lot_id, "recall", "Contamination", "alex")
    report = recall.recall_report(demo, lot_id, "alex")
    left = demo.execute(
        "SELECT serial, order_id FROM bottles WHERE lot_id = ? AND status "
        "IN ('shipped', 'returned', 'destroyed') ORDER BY order_id, serial",
        [lot_id]).fetchall()
    assert [(r["serial"], r["order_id"]) for r in report["rows"]] == [
        tuple(r) for r in left] and left
    row = report["rows"][0]
    order = demo.execute("SELECT * FROM orders WHERE id = ?",
                         [row["order_id"]]).fetchone()
    assert row["shipped_at"] == order["shipped_at"]
    assert row["delivered_at"] == order["delivered_at"]
    assert row["client_name"] and row["ship_to"]
    assert report["orders"] == len({r["order_id"] for r in left})


def test_recall_report_uses_the_lot_index(demo):
    plan = " ".join(r[3] for r in demo.execute(
        "EXPLAIN QUERY PLAN " + recall.REPORT_SQL, ["L1"]))
    assert "bottles_lot_status" in plan and "SCAN b" not in plan


def test_recall_csv_reads_back_and_defuses_formulas(demo):
    lot_id = shipped_lot(demo)
    lots.change_status(demo, lot_id, "recall", "Why", "alex")
    client_id = demo.execute(
        "SELECT o.client_id FROM bottles b JOIN orders o ON o.id = "
        "b.order_id WHERE b.lot_id = ? AND b.status = 'shipped'",
        [lot_id]).fetchone()[0]
    hostile = '=HYPERLINK("http://x","y"), "quoted"\nline'
    with transaction(demo):
        demo.execute("UPDATE clients SET name = ?, phone = '+1 555', "
                     "email = '@evil' WHERE id = ?", [hostile, client_id])
    report = recall.recall_report(demo, lot_id)
    rows = list(csv.reader(io.StringIO(recall.recall_csv(report))))
    assert rows[0][0] == "Bottle serial" and len(rows) == len(
        report["rows"]) + 1
    mine = [r for r in rows[1:] if r[5].startswith("'=")]
    assert mine and mine[0][5] == "'" + hostile
    assert mine[0][7] == "'+1 555" and mine[0][6] == "'@evil"
    for r in rows[1:]:
        assert not any(cell[:1] in "=+-@" and cell for cell in r)
        assert r[0] in {x["serial"] for x in report["rows"]}


def test_recall_pdf_reads_back(demo):
    lot_id = shipped_lot(demo)
    lots.change_status(demo, lot_id, "recall", "Contamination found",
                       "alex")
    report = recall.recall_report(demo, lot_id, "alex")
    # Enough rows for several pages; a long address is cut to its column.
    report["rows"] = report["rows"] * 40
    report["rows"][0] = dict(report["rows"][0],
                             ship_to="Very long street name " * 10)
    reader = pypdf.PdfReader(io.BytesIO(recall_pdf(report)))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) > 1
    assert "Recall report: lot %s" % lot_id in text
    assert "Contamination found" in text
    assert report["rows"][0]["serial"] in text
    assert report["rows"][0]["client_name"] in text
    assert "Page 2 of %d" % len(reader.pages) in text
    assert "Very long street name Very long street name" in text
    assert "Very long street name " * 10 not in text and "..." in text
