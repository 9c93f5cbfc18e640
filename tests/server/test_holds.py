"""The guns' hold lists (server.fleet.holds): the rules of
docs/protocol.md against a small model, and their stability: an order
placed or shipped changes only its own guns' lists, a gun added takes
only its share."""
import hashlib

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from server.core import db as dbm
from server.fleet import holds
from shared import wire

GUNS = ["G%02d" % i for i in range(1, 13)]


def model_top(order, guns, k):
    """Consistent hashing, spelled out: 64 points a gun on a ring of
    64-bit numbers (the blake2b of "<gun>#<i>"), the order at the blake2b
    of its number, its guns the first k different ones clockwise."""
    def at(text):
        return int.from_bytes(hashlib.blake2b(
            text.encode(), digest_size=8).digest(), "big")
    ring = sorted((at("%s#%d" % (g, i)), g) for g in guns for i in range(64))
    here = at(str(order))
    clockwise = [g for p, g in ring if p > here] + [g for p, g in ring
                                                   if p <= here]
    out = []
    for g in clockwise:
        if g not in out:
            out.append(g)
    return out[:k]


def model(placed, shares, touched):
    """Each gun's list as docs/protocol.md says it, gun by gun."""
    k = holds.deal_size(len(shares), sum(shares.values()), len(placed))
    out = {}
    for d, share in shares.items():
        mine = []
        for o in touched.get(d, []):
            if o in placed and o not in mine and len(mine) < 12:
                mine.append(o)
        dealt = [o for o in placed if d in model_top(o, list(shares), k)
                 and o not in mine]
        out[d] = mine + dealt[:min(share, wire.HOLD_MAX - len(mine))]
    return out


@st.composite
def fleets(draw, min_guns=1, min_placed=0):
    guns = draw(st.lists(st.sampled_from(GUNS), min_size=min_guns,
                         max_size=8, unique=True))
    shares = {d: draw(st.integers(0, holds.SHARE_MAX)) for d in sorted(guns)}
    placed = draw(st.lists(st.integers(1, 400), min_size=min_placed,
                           max_size=max(60, min_placed), unique=True))
    touched = {d: draw(st.lists(st.integers(1, 400), max_size=16))
               for d in guns}
    return placed, shares, touched


@settings(max_examples=150, deadline=None)
@given(fleets())
def test_lists_follow_the_rules(fleet):
    placed, shares, touched = fleet
    lists = holds.deal(placed, shares, touched)
    assert lists == model(placed, shares, touched)
    k = holds.deal_size(len(shares), sum(shares.values()), len(placed))
    assert k == len(shares) or k >= min(2, len(shares))
    for d, mine in lists.items():
        assert len(mine) <= wire.HOLD_MAX and len(set(mine)) == len(mine)
        assert set(mine) <= set(placed)
        first = [o for o in mine if o in touched[d]]
        assert len(first) >= min(12, len({o for o in touched[d]
                                          if o in placed}))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(1, 8))
def test_a_small_warehouse_has_every_gun_hold_every_order(count, guns):
    placed = list(range(1, count + 1))
    shares = {g: 24 for g in GUNS[:guns]}
    if count * guns <= 24 * guns and 24 * guns // count >= guns:
        assert all(v == placed for v in
                   holds.deal(placed, shares, {}).values())


def _changed(a, b):
    return {d for d in a if a[d] != b[d]}


def _holding(order, lists):
    return {d for d, mine in lists.items() if order in mine}


@settings(max_examples=150, deadline=None)
@given(st.one_of(fleets(), fleets(min_placed=120)), st.data())
def test_shipping_an_order_changes_only_its_guns(fleet, data):
    placed, shares, touched = fleet
    assume(placed)
    gone = data.draw(st.sampled_from(placed))
    after = [o for o in placed if o != gone]
    total = sum(shares.values())
    k = holds.deal_size(len(shares), total, len(placed))
    assume(k == holds.deal_size(len(shares), total, len(after)))
    before = holds.deal(placed, shares, touched)
    changed = _changed(before, holds.deal(after, shares, touched))
    assert changed <= _holding(gone, before) | \
        set(model_top(gone, list(shares), k))


@settings(max_examples=150, deadline=None)
@given(st.one_of(fleets(), fleets(min_placed=120)), st.integers(401, 500),
       st.data())
def test_placing_an_order_changes_only_its_guns(fleet, new, data):
    placed, shares, touched = fleet
    at = data.draw(st.integers(0, len(placed)))
    after = placed[:at] + [new] + placed[at:]
    total = sum(shares.values())
    k = holds.deal_size(len(shares), total, len(placed))
    assume(k == holds.deal_size(len(shares), total, len(after)))
    before = holds.deal(placed, shares, touched)
    changed = _changed(before, holds.deal(after, shares, touched))
    assert changed <= set(model_top(new, list(shares), k))


@settings(max_examples=150, deadline=None)
@given(st.one_of(fleets(), fleets(min_placed=120)), st.data())
def test_a_gun_added_takes_only_orders_dealt_to_it(fleet, data):
    placed, shares, touched = fleet
    new = data.draw(st.sampled_from([g for g in GUNS if g not in shares]))
    more = dict(shares, **{new: data.draw(st.integers(0, 28))})
    total = sum(more.values())
    k = holds.deal_size(len(shares), sum(shares.values()), len(placed))
    before = holds.deal(placed, shares, touched)
    after = holds.deal(placed, more, touched)
    if k == len(shares) and len(more) == holds.deal_size(
            len(more), total, len(placed)):
        # Every gun held every order it had room for, and still does.
        assert all(after[d] == before[d] for d in shares)
        return
    assume(k == holds.deal_size(len(more), total, len(placed)))
    for d in shares:
        for o in set(before[d]) - set(after[d]):
            assert new in model_top(o, list(more), k)


def test_many_guns_and_orders_deal_in_one_pass():
    guns = {"G%03d" % i: 24 for i in range(60)}
    placed = list(range(1, 801))
    lists = holds.deal(placed, guns, {})
    # k = 2: every order on two guns until the guns are full.
    assert holds.deal_size(60, 60 * 24, 800) == 2
    held = [o for mine in lists.values() for o in mine]
    assert len(held) <= 60 * 24 and len(set(held)) >= 500
    assert all(len(mine) <= 24 for mine in lists.values())


# ------------------------------------------------------------- database
def _db(tmp_path):
    db = dbm.connect(str(tmp_path / "h.db"))
    dbm.migrate(db)
    at = dbm.now()
    with dbm.transaction(db):
        db.table("clients").insert({"id": 1, "name": "Ada Client",
                              "created_at": at})
        for oid, status, placed_at in (
                (1001, "placed", "2024-01-03"), (1002, "placed",
                                                 "2024-01-01"),
                (1003, "shipped", "2024-01-02"), (1004, "placed", None)):
            db.table("orders").insert({"id": oid, "client_id": 1,
                                       "status": status,
                                       "created_at": "2024-01-05",
                                       "placed_at": placed_at})
        for d in ("G01", "G02", "G03"):
            db.table("devices").insert({"id": d, "created_at": at})
        db.execute("UPDATE devices SET retired_at = ? WHERE id = 'G03'", [at])
    return db


def test_lists_from_the_database_touched_first_then_picking_order(tmp_path):
    db = _db(tmp_path)
    with dbm.transaction(db):
        holds.touch(db, [("G01", 1004, "2999-01-01 00:00:00"),
                         ("G01", 1003, "2999-01-02 00:00:00"),
                         ("G02", 1001, "1999-01-01 00:00:00")])
    lists = holds.Dealer().lists(db)
    assert set(lists) == {"G01", "G02"}             # G03 is retired
    # Two guns, three placed orders: every gun holds every one.
    assert lists["G01"] == [1004, 1002, 1001]        # shipped 1003 left out
    assert lists["G02"] == [1002, 1001, 1004]        # an old touch counts not
    out = holds.changes(db, lists)
    assert out == [("G01", [1004, 1002, 1001]), ("G02", [1002, 1001, 1004])]
    with dbm.transaction(db):
        holds.mark_sent(db, out + [("G03", [1001])])
    assert holds.changes(db, lists) == [("G03", None)]
    assert holds.changes(db, lists, everything=True) == out[:1] + out[1:] \
        + [("G03", None)]
    assert holds.current_list(db, "G01") == [1004, 1002, 1001]
    with dbm.transaction(db):
        assert holds.set_share(db, "G02", 0)
        assert not holds.set_share(db, "NOPE", 3)
    assert holds.Dealer().lists(db)["G02"] == []
