"""What the server puts in an order snapshot, and which orders get one:
never more than a gun can take (a big order is shortened, its status
always gets through), no more of the client's name than a gun shows, no
snapshot for an order no gun needs."""
import json
import sys
from pathlib import Path

import pytest

from server.core import db as dbm
from server.gunlink import snapshots
from server.core.history import bump_rev
from shared import wire

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "firmware"))
from mp import check as mp_check


@pytest.fixture
def db(tmp_path):
    conn = dbm.connect(str(tmp_path / "pickgun.db"))
    dbm.migrate(conn)
    at = dbm.now()
    with dbm.transaction(conn):
        conn["clients"].insert({"id": 1, "name": "Ada Lovelace Client",
                                "created_at": at})
    yield conn
    conn.conn.close()


def add_order(db, order_id, status="placed", lines=(("CBD-OIL-30", 2),),
              names=None):
    with dbm.transaction(db):
        for sku, _qty in lines:
            db["products"].insert({"sku": sku, "grams": 1.0,
                                   "name": (names or {}).get(sku, sku)},
                                  ignore=True)
        db["orders"].insert({"id": order_id, "client_id": 1,
                             "status": status, "created_at": dbm.now()})
        db["order_lines"].insert_all([
            {"order_id": order_id, "sku": sku, "qty": qty}
            for sku, qty in lines])


def add_notes(db, order_id, texts, severity="ack"):
    with dbm.transaction(db):
        for text in texts:
            db["notes"].insert({"order_id": order_id, "text": text,
                                "severity": severity,
                                "created_at": dbm.now()})
        bump_rev(db, order_id)


def add_picks(db, order_id, sku, serials):
    with dbm.transaction(db):
        db["picks"].insert_all([
            {"order_id": order_id, "serial": s, "sku": sku,
             "device_id": "G01", "status": "accepted"} for s in serials])
        bump_rev(db, order_id)


def set_status(db, order_id, status):
    with dbm.transaction(db):
        db.execute("UPDATE orders SET status = ? WHERE id = ?",
                   [status, order_id])
        bump_rev(db, order_id)


def payload(db, order_id):
    """What the outbox publishes for the order now (and is then on the
    broker)."""
    out, passed = snapshots.outgoing(db, [order_id])
    assert len(out) == 1, (out, passed)
    with dbm.transaction(db):
        snapshots.mark_published(db, order_id, out[0][1])
    return out[0][2]


@pytest.mark.parametrize("name,label", [
    ("Jane Roy", "Jane R."), ("  jane   van der roy ", "jane r."),
    ("Cher", "Cher"), ("", ""), (None, ""),
    ("Maximilianus-Alexandros Roy", "Maximilianus R."),
    ("Bartholomew-Maximilian", "Bartholomew-Maxi"),
])
def test_client_label_is_first_name_and_last_initial(name, label):
    assert snapshots.client_label(name) == label
    assert len(label) <= snapshots.LABEL_MAX


def test_snapshot_carries_the_client_label_only(db):
    add_order(db, 1001)
    snap = snapshots.order_snapshot(db, 1001)
    assert snap["cl"] == "Ada C."
    assert b"Lovelace" not in payload(db, 1001)


BIG_LINES = [("SKU-%02d" % i, 10) for i in range(40)]
LONG_NAMES = {sku: "Product %s with a long descriptive name" % sku
              for sku, _ in BIG_LINES}


def _big_order(db):
    add_order(db, 1042, lines=BIG_LINES, names=LONG_NAMES)
    add_notes(db, 1042, ["Must read %d: " % i + "x" * 480 for i in range(10)])
    add_notes(db, 1042, ["Info %d: " % i + "y" * 490 for i in range(10)],
              "info")


def _check_fits(db, picked):
    """The snapshot of order 1042 with `picked` serials accepted."""
    raw = payload(db, 1042)
    assert len(raw) <= wire.SNAPSHOT_MAX
    snap = wire.check_snapshot(wire.decode(raw))
    # Every line, with every bottle counted.
    assert [(line["sku"], line["qty"]) for line in snap["lines"]] == \
        BIG_LINES
    assert sum(line["got"] for line in snap["lines"]) == len(picked)
    # Every must-acknowledge note, so the gun still stops for each.
    musts = [n for n in snap["notes"] if not wire.is_info(n)]
    assert [n["id"] for n in musts] == list(range(1, 11))
    assert all(n["text"].startswith("Must read %d: " % i)
               for i, n in enumerate(musts))
    # The newest bottles, so a gun's own picks just synced are among them.
    assert picked[len(picked) - len(snap["bot"]):] == snap["bot"]
    return raw, snap


def test_big_order_always_fits_and_its_cancellation_gets_through(db, tmp_path):
    _big_order(db)
    sizes = []
    raw, snap = _check_fits(db, [])
    assert any(wire.is_info(n) for n in snap["notes"]) is False
    payloads = [raw]
    picked = []
    for start in range(0, 400, 50):         # 40 lines x 10 bottles
        serials = ["B%06d" % i for i in range(start, start + 50)]
        for i, serial in enumerate(serials):
            add_picks(db, 1042, BIG_LINES[(start + i) // 10][0], [serial])
        picked += serials
        raw, snap = _check_fits(db, picked)
        sizes.append(len(raw))
        payloads.append(raw)
    assert snap["bot"] and len(snap["bot"]) < len(picked)
    set_status(db, 1042, "cancelled")
    raw = payload(db, 1042)
    snap = wire.check_snapshot(wire.decode(raw))
    assert (snap["st"], snap["pick"]) == ("cancelled", False)
    assert len(raw) <= wire.SNAPSHOT_MAX
    payloads.append(raw)
    # And a real gun takes every one of them, in turn.
    with open(tmp_path / "snapshots.bin", "wb") as f:
        for p in payloads:
            f.write(len(p).to_bytes(2, "little") + p)
    out = mp_check("""
from gun.store import OrderStore
rx = bytearray(8192)                  # the gun's receive buffer
mv = memoryview(rx)
size = bytearray(2)
s = OrderStore("data")
with open("snapshots.bin", "rb") as f:
    while f.readinto(size) == 2:
        n = size[0] | size[1] << 8
        f.readinto(mv[0:n])
        assert s.offer(mv[0:n], 1042) == 1042, n
        print("REV", s.rev(1042))
assert s.get(1042)["st"] == "cancelled"
print("OK")
""", cwd=str(tmp_path))
    revs = [json.loads(p)["rev"] for p in payloads]
    assert [int(line.split()[1]) for line in out.splitlines()
            if line.startswith("REV")] == revs
    assert out.strip().endswith("OK")


def test_notes_are_cut_only_when_they_must_be(db):
    add_order(db, 1001)
    add_notes(db, 1001, ["Fragile: pack with care", "z" * 500])
    snap = snapshots.order_snapshot(db, 1001)
    assert [n["text"] for n in snap["notes"]] == ["Fragile: pack with care",
                                                  "z" * 500]
    # Over the gun's limit (written before it existed): cut, and said so.
    with dbm.transaction(db):
        db.execute("UPDATE notes SET text = ? WHERE text = ?",
                   ["w" * 700, "z" * 500])
    text = snapshots.order_snapshot(db, 1001)["notes"][1]["text"]
    assert len(text) <= wire.TEXT_MAX and text.endswith(snapshots.MORE)


def test_order_too_big_for_a_gun_gets_its_status(db):
    lines = [("LINE-%03d" % i, 100) for i in range(200)]
    add_order(db, 1050, lines=lines)
    raw = payload(db, 1050)
    snap = wire.check_snapshot(wire.decode(raw))
    assert (snap["st"], snap["pick"], snap["lines"]) == ("placed", False, [])
    set_status(db, 1050, "cancelled")
    assert wire.decode(payload(db, 1050))["st"] == "cancelled"


def test_nothing_a_gun_cannot_take_is_published(db):
    add_order(db, 10 ** 9)                  # beyond a 9-digit order code
    add_order(db, 1001)
    add_notes(db, 1001, ["Check ID"])
    with dbm.transaction(db):
        db.execute("UPDATE notes SET id = ? WHERE order_id = 1001",
                   [wire.SMALL_MAX + 1])
    out, passed = snapshots.outgoing(db, [10 ** 9, 1001])
    assert [o for o, _ in passed] == [10 ** 9]
    assert [o for o, _, _ in out] == [1001]
    snap = wire.check_snapshot(wire.decode(out[0][2]))
    assert (snap["pick"], snap["notes"]) == (False, [])   # status only


def test_only_orders_a_gun_may_need_get_a_snapshot(db):
    add_order(db, 1001, "open")
    add_order(db, 1002, "placed")
    out, passed = snapshots.outgoing(db, [1001, 1002])
    assert [o for o, _, _ in out] == [1002]
    assert passed == [(1001, 1)]
    with dbm.transaction(db):
        snapshots.mark_passed(db, 1001, 1)
        snapshots.mark_published(db, 1002, 1)
    row = db.execute("SELECT published_rev, cleared_rev, published_at FROM "
                     "orders WHERE id = 1001").fetchone()
    assert tuple(row) == (1, 1, None)
    # Awaiting Payment, then Placed: now the guns need it.
    set_status(db, 1001, "awaiting_payment")
    assert snapshots.outgoing(db, [1001])[0] == []
    set_status(db, 1001, "placed")
    assert snapshots.outgoing(db, [1001])[0][0][:2] == (1001, 3)
    # A published order that closes gets its pick:false snapshot.
    set_status(db, 1002, "cancelled")
    out = snapshots.outgoing(db, [1002])[0]
    assert wire.decode(out[0][2])["pick"] is False
    # Cleared from the broker: no gun holds it, later changes stay home.
    with dbm.transaction(db):
        snapshots.mark_published(db, 1002, 2)
        snapshots.mark_cleared(db, 1002, 2)
        bump_rev(db, 1002)
    assert snapshots.outgoing(db, [1002]) == ([], [(1002, 3)])


def test_closing_an_order_whose_snapshot_is_on_its_way_reaches_the_guns(db):
    """Placed, its snapshot handed to the broker (a gun may have it), and
    cancelled before the broker's acknowledgement is recorded: the
    cancellation is published, not passed over as never seen."""
    add_order(db, 1001, "awaiting_payment")
    with dbm.transaction(db):
        snapshots.mark_passed(db, 1001, 1)
    set_status(db, 1001, "placed")
    [(order_id, rev, _)] = snapshots.outgoing(db, [1001])[0]
    with dbm.transaction(db):
        snapshots.mark_offered(db, order_id, rev)
    set_status(db, 1001, "cancelled")
    out, passed = snapshots.outgoing(db, [1001])
    assert passed == []
    assert (wire.decode(out[0][2])["st"], wire.decode(out[0][2])["pick"]) \
        == ("cancelled", False)


def test_retained_orders_are_read_a_page_at_a_time_from_the_index(db):
    with dbm.transaction(db):
        for i in range(1, 301):
            retained = i % 3 == 0
            db["orders"].insert({
                "id": i, "client_id": 1, "status": "delivered",
                "created_at": "x", "rev": 2, "published_rev": 2,
                "published_at": "2026-01-%02d 00:00:00" % (i % 28 + 1),
                "cleared_rev": 0 if retained else 2})
    plan = " ".join(str(tuple(r)) for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT published_at, id FROM orders WHERE "
        "cleared_rev < rev AND cleared_rev < published_rev AND "
        "published_at IS NOT NULL AND (published_at, id) > (?, ?) "
        "ORDER BY published_at, id LIMIT ?", ["", 0, 7]))
    assert "orders_retained_to_clear" in plan and "SCAN orders" not in plan
    seen, after = [], ("", 0)
    while True:
        page = snapshots.retained(db, after, 7)
        assert len(page) <= 7
        if not page:
            break
        seen += [order_id for _, order_id in page]
        after = page[-1]
    assert sorted(seen) == list(range(3, 301, 3))
