"""Sign-in and the lots a gun refuses (firmware/gun/staff.py) under
CPython: the roster checks a badge by its staff number and hash, the
badge signed in signs out, a roster without the associate signs them
out; the lots message's reasons, a lot matched whole; both kept on
flash (a folder here) and read back at start-up; a malformed message or
an empty payload as docs/protocol.md says; hostile ones change
nothing."""
import importlib.util
import json
from pathlib import Path

import pytest

from shared import wire

STAFF = Path(__file__).resolve().parents[2] / "firmware" / "gun" / "staff.py"
_spec = importlib.util.spec_from_file_location("gun_staff", STAFF)
assert _spec is not None and _spec.loader is not None
staff = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(staff)

ANA = "PGS:42:K3J9XQ2M7PLA"
BEN = "PGS:7:AAAABBBBCCCC"


def _entry(body, name):
    return {"id": int(body.split(":")[1]), "n": name,
            "h": wire.badge_hash(body)}


def _roster(*entries, req=True, idle=900):
    return wire.roster(list(entries), required=req, idle=idle)


def _take(s, obj, lots=0):
    """As gun/sync.py hands a message over: decoded, and its bytes."""
    payload = b"" if obj is None else json.dumps(obj).encode()
    return s.take(obj, payload, lots)


def test_a_badge_signs_in_and_out_by_its_roster_entry(tmp_path):
    s = staff.Staff(str(tmp_path))
    assert (s.who, s.req) == (0, False)
    assert s.badge(42, ANA) == "badge_unknown"      # no roster yet
    _take(s, _roster(_entry(ANA, "Ana P."), _entry(BEN, "Ben K.")))
    assert (s.req, s.idle) == (True, 900)
    assert s.badge(42, "PGS:42:K3J9XQ2M7PLB") == "badge_unknown"
    assert s.badge(7, ANA) == "badge_unknown"       # another's number
    assert s.who == 0
    assert s.badge(42, ANA) == "in" and (s.who, s.name) == (42, "Ana P.")
    assert s.badge(7, BEN) == "in" and (s.who, s.name) == (7, "Ben K.")
    assert s.badge(7, BEN) == "out" and (s.who, s.name) == (0, "")
    s.badge(42, ANA)
    s.out()
    assert s.who == 0


def test_a_roster_without_the_signed_in_associate_signs_them_out(tmp_path):
    s = staff.Staff(str(tmp_path))
    _take(s, _roster(_entry(ANA, "Ana P."), _entry(BEN, "Ben K.")))
    s.badge(42, ANA)
    # the same roster again, or one without Ben: Ana stays
    assert _take(s, _roster(_entry(ANA, "Ana P."))) is False
    assert s.who == 42
    # reissued: a new badge body, the old one withdrawn
    assert _take(s, _roster(_entry("PGS:42:ZZZZZZZZZZZZ", "Ana P."),
                            _entry(BEN, "Ben K."))) is True
    assert (s.who, s.name) == (0, "")
    assert s.badge(42, ANA) == "badge_unknown"
    assert s.badge(42, "PGS:42:ZZZZZZZZZZZZ") == "in"
    assert _take(s, None) is True                    # no roster at all
    assert (s.who, s.req, s.idle) == (0, False, 0)
    assert s.badge(42, "PGS:42:ZZZZZZZZZZZZ") == "badge_unknown"


def test_lots_are_matched_whole_with_their_reasons(tmp_path):
    s = staff.Staff(str(tmp_path))
    assert s.lot("L2311A") is None
    _take(s, wire.lots([["L2311A", "lot_on_hold"], ["L2209C", "lot_recalled"],
                        ["L2101B", "expired"], ["X-1", "quarantine"],
                        ["ABCDEFGHIJKL", "lot_recalled"]]), 1)
    assert [s.lot(x) for x in ("L2311A", "L2209C", "L2101B", "X-1",
                               "ABCDEFGHIJKL")] == [
        "lot_on_hold", "lot_recalled", "expired", "quarantine",
        "lot_recalled"]
    # a lot is a whole record: no prefix, suffix or straddle matches
    for other in ("L2311", "2311A", "L2311AB", "X", "A", "L2209CL2101",
                  "ABCDEFGHIJK", "BCDEFGHIJKL", "1", "-"):
        assert s.lot(other) is None, other
    # more distinct reasons than kept: refused anyway, as on hold
    many = [["L%d" % i, "why_%d" % i] for i in range(40)]
    _take(s, wire.lots(many), 1)
    assert all(s.lot("L%d" % i) is not None for i in range(40))
    assert s.lot("L3") == "why_3" and s.lot("L39") == "lot_on_hold"
    _take(s, None, 1)
    assert s.lot("L3") is None


def test_both_messages_are_kept_on_flash_for_a_reboot(tmp_path):
    s = staff.Staff(str(tmp_path))
    _take(s, _roster(_entry(ANA, "Ana P."), req=True, idle=60))
    _take(s, wire.lots([["L2311A", "lot_recalled"]]), 1)
    s.badge(42, ANA)
    again = staff.Staff(str(tmp_path))
    assert (again.req, again.idle, again.who) == (True, 60, 0)  # signed out
    assert again.lot("L2311A") == "lot_recalled"
    assert again.badge(42, ANA) == "in"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lots", "roster"]
    # a file that is not a message: none
    (tmp_path / "roster").write_bytes(b'{"v": 1, "req": true, "s": 5}')
    (tmp_path / "lots").write_bytes(b"\xff\x00garbage")
    again = staff.Staff(str(tmp_path))
    assert (again.req, again.lot("L2311A")) == (False, None)
    assert again.badge(42, ANA) == "badge_unknown"
    # an empty payload is kept as none
    _take(s, None)
    assert staff.Staff(str(tmp_path)).badge(42, ANA) == "badge_unknown"


def _entries(n):
    return [{"id": i + 1, "n": "N%d" % i,
             "h": wire.badge_hash("PGS:%d:AAAABBBBCCCC" % (i + 1))}
            for i in range(n)]


GOOD = _entry(ANA, "Ana P.")
HOSTILE_ROSTERS = [
    {"v": 1, "req": True, "idle": 0, "s": _entries(101)},
    {"v": 1, "req": "yes", "idle": 0, "s": []},
    {"v": 1, "req": True, "idle": True, "s": []},
    {"v": 1, "req": True, "idle": -1, "s": []},
    {"v": 1, "req": True, "idle": 2 ** 64, "s": []},
    {"v": 1, "req": True, "idle": 1.5, "s": []},
    {"v": 1, "req": True, "idle": 0, "s": {"42": GOOD}},
    {"v": 1, "req": True, "idle": 0, "s": [[42, "Ana", GOOD["h"]]]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, id=True)]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, id=0)]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, id=10 ** 9)]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, id=2 ** 70)]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, id="42")]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, n="")]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, n="x" * 17)]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, n=5)]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, h=GOOD["h"].upper())]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, h=GOOD["h"][:15])]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, h=GOOD["h"] + "0")]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, h="g" * 16)]},
    {"v": 1, "req": True, "idle": 0, "s": [dict(GOOD, h=None)]},
    {"v": 1, "req": True, "idle": 0, "s": [GOOD, None]},
    {"v": 1, "req": True, "idle": 0},
]
HOSTILE_LOTS = [
    {"v": 1, "lots": [["L%d" % i, "lot_on_hold"] for i in range(201)]},
    {"v": 1, "lots": {"L1": "lot_on_hold"}},
    {"v": 1, "lots": [["L1"]]}, {"v": 1, "lots": [["L1", "x", "y"]]},
    {"v": 1, "lots": [[True, "lot_on_hold"]]},
    {"v": 1, "lots": [[12, "lot_on_hold"]]},
    {"v": 1, "lots": [["", "lot_on_hold"]]},
    {"v": 1, "lots": [["l2311a", "lot_on_hold"]]},
    {"v": 1, "lots": [["L2311A:1", "lot_on_hold"]]},
    {"v": 1, "lots": [["X" * 13, "lot_on_hold"]]},
    {"v": 1, "lots": [["L1", ""]]}, {"v": 1, "lots": [["L1", True]]},
    {"v": 1, "lots": [["L1", "x" * 40]]}, {"v": 1, "lots": [["L1", None]]},
    {"v": 1, "lots": ["L1"]}, {"v": 1, "lots": None}, {"v": 1},
]


@pytest.mark.parametrize("lots", [0, 1])
def test_hostile_messages_change_nothing(tmp_path, lots):
    s = staff.Staff(str(tmp_path))
    _take(s, _roster(GOOD, req=True, idle=30))
    _take(s, wire.lots([["L2311A", "lot_on_hold"]]), 1)
    s.badge(42, ANA)
    kept = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for obj in HOSTILE_LOTS if lots else HOSTILE_ROSTERS:
        with pytest.raises(wire.WireError):
            _take(s, obj, lots)
        assert (s.who, s.name, s.req, s.idle) == (42, "Ana P.", True, 30)
        assert s.lot("L2311A") == "lot_on_hold" and s.lot("L1") is None
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == kept
