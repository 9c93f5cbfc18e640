"""The gun's pick checks (firmware/gun/rules.py) under CPython: for every
combination of an order's state and a bottle's, rules.check() gives the
reason docs/protocol.md (Rejection reasons) says, by the checks' order
written there.

The server judges a pick by: not_pickable, unknown_bottle, lot_mismatch,
the bottle's status (duplicate: picked for this order), wrong_product,
over_pick.  Offline, the gun judges what it can know from the order's
snapshot and its own unsynced picks (not_pickable, duplicate,
wrong_product, over_pick), and adds its own refusals: no_order (no order
open: nothing to judge by), notes_pending (after not_pickable: an order
that cannot be picked says so first).

The gun tests the SKU before the serial (wrong_product, then duplicate),
the server the other way round.  They only disagree for a label whose SKU
contradicts its bottle record, which the server refuses first as
lot_mismatch; every bottle here carries a label that matches it (a
bottle the order counts is of a SKU on the order), so the documented order
must hold for the gun as written."""
import importlib.util
import itertools
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "firmware" / "gun" / "rules.py"
_spec = importlib.util.spec_from_file_location("gun_rules", RULES)
assert _spec is not None and _spec.loader is not None
rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rules)

ORDER = 1042
OTHER = 1043
SERIAL = "B000001"
SKUS = ("CBD-OIL-30", "THC-FLW-3G")     # the order's lines
NOT_ON_ORDER = "GUMMY-10"


class Picks:
    """This gun's unsynced picks: (serial, order, sku), with what rules.py
    asks of gun/picks.py's PickSet."""

    def __init__(self, picks=()):
        self.picks = list(picks)

    def __contains__(self, serial):
        return any(p[0] == serial for p in self.picks)

    def count(self, order, sku):
        return sum(1 for p in self.picks if p[1] == order and p[2] == sku)


def world(pickable, sku, where, full):
    """The open order's snapshot and the gun's picks, for a bottle SERIAL
    of `sku` that is fresh, counted by the server for this order
    ("counted": in the snapshot's bot, included in got) or this gun's own
    unsynced pick for it ("own"); its line has all its bottles if `full`.
    The other line has one of two."""
    qty = 2
    lines = []
    picks = []
    bot = []
    for s in SKUS:
        got = 1
        if s == sku:
            if where == "own":
                picks.append((SERIAL, ORDER, s))
                got = 1 if full else 0
            else:
                got = qty if full else (1 if where == "counted" else 0)
                if where == "counted":
                    bot.append(SERIAL)
        lines.append({"sku": s, "name": s.title(), "qty": qty, "got": got})
    snap = {"o": ORDER, "rev": 3, "st": "placed" if pickable else "cancelled",
            "pick": pickable, "lines": lines, "bot": bot, "notes": []}
    return snap, Picks(picks)


def documented(is_open, pickable, notes, sku, where, full):
    """The reason protocol.md gives, by its order, or None: accepted."""
    if not is_open:
        return "no_order"
    if not pickable:
        return "not_pickable"
    if notes:
        return "notes_pending"
    if where != "fresh":
        return "duplicate"          # picked for this order
    if sku not in SKUS:
        return "wrong_product"
    if full:
        return "over_pick"
    return None


def cases():
    for is_open, pickable, notes, sku, where, full in itertools.product(
            (True, False), (True, False), (0, 1), SKUS + (NOT_ON_ORDER,),
            ("fresh", "counted", "own"), (False, True)):
        if where != "fresh" and sku not in SKUS:
            continue    # a bottle picked for the order is of one of its SKUs
        yield is_open, pickable, notes, sku, where, full


@pytest.mark.parametrize("is_open,pickable,notes,sku,where,full",
                         list(cases()))
def test_check_gives_the_documented_reason(is_open, pickable, notes, sku,
                                           where, full):
    snap, picks = world(pickable, sku, where, full)
    got = rules.check(snap if is_open else None, ORDER if is_open else None,
                      SERIAL, sku, picks, notes)
    assert got == documented(is_open, pickable, notes, sku, where, full)


def test_every_gun_reason_is_reached():
    reasons = {documented(*c) for c in cases()}
    assert reasons == {None, "no_order", "not_pickable", "notes_pending",
                       "duplicate", "wrong_product", "over_pick"}


def test_own_pick_for_another_order_is_counted_already():
    # The gun's own unsynced pick of the bottle for the order it left:
    # refused as duplicate ("Already counted"), judged from its own record
    # of the bottle; the server, seeing it picked for another order,
    # would say bottle_taken.
    snap, _ = world(True, SKUS[0], "fresh", False)
    picks = Picks([(SERIAL, OTHER, SKUS[0])])
    assert rules.check(snap, ORDER, SERIAL, SKUS[0], picks, 0) == "duplicate"


def test_counts_and_what_is_left():
    snap, picks = world(True, SKUS[0], "own", False)
    line = rules.line(snap, SKUS[0])
    assert line is snap["lines"][0] and rules.line(snap, NOT_ON_ORDER) is None
    assert rules.count(line, picks, ORDER) == 1         # got 0 + own 1
    assert rules.count(line, picks, OTHER) == 0
    assert rules.left(snap, picks, ORDER) == 2          # 1 + 1
    picks.picks.append(("B000002", ORDER, SKUS[0]))
    assert rules.left(snap, picks, ORDER) == 1
    assert rules.check(snap, ORDER, "B000003", SKUS[0], picks, 0) == \
        "over_pick"


class Returns:
    """The gun's own returns: serial -> order, with find() and order()."""

    def __init__(self, *pairs):
        self.pairs = list(pairs)

    def find(self, serial):
        for i, (s, _o) in enumerate(self.pairs):
            if s == serial:
                return i
        return -1

    def order(self, i):
        return self.pairs[i][1]


def shipped(st="shipped", bot=(SERIAL,), got=1, lines=True):
    return {"st": st, "pick": False, "bot": list(bot),
            "lines": [{"sku": SKUS[0], "qty": 1, "got": got}] if lines
            else []}


@pytest.mark.parametrize("st", ("open", "awaiting_payment", "placed",
                                "refused", "refunded", "cancelled"))
def test_a_return_needs_a_shipped_or_delivered_order(st):
    assert rules.check_return(shipped(st), ORDER, SERIAL,
                              Returns()) == "not_returnable"
    assert not rules.returnable(shipped(st)) and not rules.returnable(None)


def test_a_return_by_the_servers_order_of_checks():
    for st in ("shipped", "delivered"):
        snap = shipped(st)
        assert rules.check_return(snap, ORDER, SERIAL, Returns()) is None
        assert rules.check_return(snap, ORDER, "B000002",
                                  Returns()) == "not_on_order"
        assert rules.check_return(snap, ORDER, SERIAL, Returns(
            (SERIAL, ORDER))) == "duplicate"
        # returned on another order earlier: this order's return is new
        assert rules.check_return(snap, ORDER, SERIAL, Returns(
            (SERIAL, OTHER))) is None
        # not on the order comes before returned already
        assert rules.check_return(snap, ORDER, "B000002", Returns(
            ("B000002", ORDER))) == "not_on_order"


def test_a_cut_bot_leaves_serials_it_lacks_to_the_server():
    # lines count 3 bottles, bot lists 1: the server left 2 out
    assert rules.check_return(shipped(got=3), ORDER, "B000002",
                              Returns()) is None
    # status only: no lines, nothing to check against
    assert rules.check_return(shipped(bot=(), lines=False), ORDER,
                              "B000002", Returns()) is None
    assert rules.check_return(shipped(got=3), ORDER, "B000002", Returns(
        ("B000002", ORDER))) == "duplicate"
