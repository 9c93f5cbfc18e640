"""The wire contract, on CPython and inside the real MicroPython."""
import json
import subprocess
from pathlib import Path

import pytest

from server.gunlink.gun_payloads import check_event, check_status
from server.orders import states
from shared import wire

REPO = Path(__file__).resolve().parents[2]

BOTTLE = wire.bottle_code("B000123", "CBD-OIL-30", "L2311A")


def test_codes_round_trip():
    assert wire.parse_code(wire.order_code(1042)) == ("order", 1042)
    assert wire.parse_code(BOTTLE) == ("bottle", "B000123", "CBD-OIL-30",
                                       "L2311A")
    assert wire.parse_code("  " + BOTTLE + "\r\n")[0] == "bottle"
    assert wire.parse_code(BOTTLE.encode())[0] == "bottle"


def test_codes_use_qr_alphanumeric_only():
    for code in (BOTTLE, wire.order_code(987654321)):
        assert all(ch in wire.ALNUM for ch in code)


@pytest.mark.parametrize("code", [BOTTLE, wire.order_code(1042)])
def test_every_single_misread_and_neighbour_swap_is_refused(code):
    chars = wire.ALNUM
    for i in range(len(code)):
        for ch in chars:
            if ch == code[i]:
                continue
            bad = code[:i] + ch + code[i + 1:]
            with pytest.raises(wire.CodeError):
                wire.parse_code(bad)
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            bad = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            with pytest.raises(wire.CodeError):
                wire.parse_code(bad)


@pytest.mark.parametrize("text,reason", [
    ("", "foreign"),
    ("https://example.com/", "foreign"),
    ("0123456789012", "foreign"),
    ("PGX:1:1", "foreign"),
    ("PGO:1042:", "format"),
    ("PGO:1042", "foreign"),
    ("pgo:1042:8", "foreign"),
    ("PGO:0:" + wire.check_char("PGO:0"), "format"),
    ("PGO:12A:" + wire.check_char("PGO:12A"), "format"),
    ("PGB:B1:SKU:" + wire.check_char("PGB:B1:SKU"), "format"),
    ("PGB:B1:S:L:X:" + wire.check_char("PGB:B1:S:L:X"), "format"),
    ("PGB:B1::L:" + wire.check_char("PGB:B1::L"), "format"),
    ("PGB:é:S:L:1", "format"),
    (b"\xff\xfe", "foreign"),
])
def test_bad_codes_are_refused_with_a_reason(text, reason):
    with pytest.raises(wire.CodeError) as err:
        wire.parse_code(text)
    assert err.value.reason == reason
    assert wire.reason_text(reason)


def test_making_a_bad_code_is_refused():
    for args in (("", "S", "L"), ("B1", "s", "L"), ("B1", "S", "L" * 13),
                 ("B:1", "S", "L")):
        with pytest.raises(wire.CodeError):
            wire.bottle_code(*args)
    with pytest.raises(wire.CodeError):
        wire.order_code(10 ** 9)


def test_the_guns_may_pick_what_the_state_machine_says():
    # The wire's "pick" flag and the server's FULFILMENT are one rule.
    for status in wire.STATUSES:
        snap = wire.snapshot(1001, 1, status, "", [], [], [])
        assert snap["pick"] == (status in states.FULFILMENT), status
    assert set(wire.STATUSES) == set(states.STATUSES)


def test_topics():
    assert wire.dev_topic("G01", wire.EVT) == "pickgun/dev/G01/evt"
    assert wire.parse_topic("pickgun/dev/G01/ack") == ("ack", "G01")
    assert wire.parse_topic(b"pickgun/order/7") == ("order", 7)
    for bad in ("pickgun/dev/g01/evt", "pickgun/dev/G01/other",
                "pickgun/order/x", "other/dev/G01/evt", "pickgun/dev//evt"):
        with pytest.raises(wire.WireError):
            wire.parse_topic(bad)


def test_payloads_validate():
    ev = wire.event(5, 1, wire.PICK, 1042, 0, code=BOTTLE)
    assert check_event(wire.decode(wire.encode(ev))) == ev
    notes = wire.event(5, 2, wire.NOTES_ACK, 1042, 0, notes=[1, 2])
    assert check_event(notes)["n"] == [1, 2]
    ack = wire.ack(5, 2, [{"seq": 2, "why": "over_pick", "o": 1, "c": ""}])
    assert wire.check_ack(wire.decode(wire.encode(ack)))["upto"] == 2
    snap = wire.snapshot(1, 3, "placed", "Jo", [{"sku": "A", "name": "a",
                                                 "qty": 1, "got": 0}], [], [])
    assert wire.check_snapshot(snap)["pick"] is True
    assert check_status(wire.status(True, "1", 0, 5, 2))["online"]


@pytest.mark.parametrize("payload", [
    b"", b"not json", b"[1, 2]", b'{"v": 2}', b'"text"', b"\xff",
    json.dumps({"v": 1, "ep": 0, "seq": 1, "k": "pick", "o": 1, "at": 0,
                "c": "x"}).encode(),
    json.dumps({"v": 1, "ep": 1, "seq": True, "k": "pick", "o": 1,
                "at": 0, "c": "x"}).encode(),
    json.dumps({"v": 1, "ep": 1, "seq": 1, "k": "dance", "o": 1,
                "at": 0}).encode(),
    json.dumps({"v": 1, "ep": 1, "seq": 1, "k": "notes_ack", "o": 1,
                "at": 0, "n": ["a"]}).encode(),
])
def test_malformed_events_are_refused(payload):
    with pytest.raises(wire.WireError):
        check_event(wire.decode(payload))


LINE = [{"sku": "A", "name": "a", "qty": 1, "got": 0}]


def test_note_severity_round_trips():
    notes = [wire.note(3, "Fragile"), wire.note(4, "Gift wrap", True),
             {"id": 5, "text": "Check ID", "s": "a"}]
    assert notes[0] == {"id": 3, "text": "Fragile"}       # as before: no "s"
    assert notes[1] == {"id": 4, "text": "Gift wrap", "s": "i"}
    snap = wire.snapshot(1, 3, "placed", "Jo", LINE, notes, [])
    back = wire.check_snapshot(wire.decode(wire.encode(snap)))
    assert back == snap
    assert [wire.is_info(n) for n in back["notes"]] == [False, True, False]


def test_unknown_severity_is_kept_as_must_acknowledge():
    # A newer server's severity must never make a gun ask less.
    snap = wire.snapshot(1, 3, "placed", "Jo", LINE,
                         [{"id": 3, "text": "x", "s": "warn"},
                          {"id": 4, "text": "y", "s": ""}], [])
    back = wire.check_snapshot(wire.decode(wire.encode(snap)))
    assert not any(wire.is_info(n) for n in back["notes"])


@pytest.mark.parametrize("notes", [
    [3], ["note"], [{"text": "no id"}], [{"id": True, "text": "x"}],
    [{"id": 0, "text": "x"}], [{"id": 3}], [{"id": 3, "text": None}],
    [{"id": 3, "text": "x", "s": 1}], [{"id": 3, "text": "x", "s": None}],
    [{"id": 3, "text": "x", "s": ["i"]}],
])
def test_malformed_notes_are_refused(notes):
    snap = wire.snapshot(1, 3, "placed", "Jo", LINE, [], [])
    snap["notes"] = notes
    with pytest.raises(wire.WireError):
        wire.check_snapshot(wire.decode(wire.encode(snap)))


def test_same_module_runs_inside_micropython(micropython):
    script = """
from shared import wire
c = wire.bottle_code("B000123", "CBD-OIL-30", "L2311A")
assert c == %r, c
assert wire.parse_code(c)[1] == "B000123"
assert wire.order_code(1042) == %r
for bad in ("PGO:1042:0", "hello", "PGB:B1:S:L"):
    try:
        wire.parse_code(bad)
        raise SystemExit("accepted " + bad)
    except wire.CodeError as e:
        assert e.reason in ("foreign", "check", "format")
try:
    wire.decode(b"[1]")
    raise SystemExit("accepted a list")
except wire.WireError:
    pass
line = [{"sku": "A", "name": "a", "qty": 1, "got": 0}]
notes = [wire.note(3, "Fragile"), wire.note(4, "Gift wrap", True),
         {"id": 5, "text": "z", "s": "a"}, {"id": 6, "text": "z", "s": "q"}]
snap = wire.snapshot(1, 3, "placed", "Jo", line, notes, [])
back = wire.check_snapshot(wire.decode(wire.encode(snap)))
assert back == snap, back
assert "s" not in back["notes"][0]
assert [wire.is_info(n) for n in back["notes"]] == [False, True, False, False]
for bad in ([3], [{"id": 3}], [{"id": 3, "text": "x", "s": 1}],
            [{"id": False, "text": "x"}]):
    snap["notes"] = bad
    try:
        wire.check_snapshot(wire.decode(wire.encode(snap)))
        raise SystemExit("accepted notes " + repr(bad))
    except wire.WireError:
        pass
print("ok")
""" % (BOTTLE, wire.order_code(1042))
    out = subprocess.run([str(micropython), "-X", "heapsize=110k", "-c",
                          script], env={"MICROPYPATH": "%s:.frozen" % REPO},
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def _snap(**kw):
    snap = wire.snapshot(1042, 3, "placed", "Jo R.", [dict(LINE[0])],
                         [wire.note(1, "x")], ["B000100"])
    snap.update(kw)
    return snap


@pytest.mark.parametrize("change", [
    {"cl": 5}, {"cl": None}, {"cl": "x" * 65}, {"pick": "yes"}, {"pick": 1},
    {"pick": None}, {"st": "cancelled", "pick": True}, {"o": True},
    {"o": 10 ** 9}, {"o": 1042.0}, {"rev": True}, {"rev": 2 ** 31},
    {"rev": wire.SMALL_MAX + 1}, {"rev": 3.0}, {"bot": [5]}, {"bot": [None]},
    {"bot": ["B" * 13]}, {"bot": ["B 1"]}, {"bot": [""]},
    {"lines": [dict(LINE[0], name=5)]}, {"lines": [dict(LINE[0], qty=True)]},
    {"lines": [dict(LINE[0], qty=2 ** 40)]},
    {"lines": [dict(LINE[0], got=-1)]},
    {"lines": [dict(LINE[0], sku="A\x00")]},
    {"notes": [{"id": 2 ** 31, "text": "x"}]},
    {"notes": [{"id": 1, "text": "x" * (wire.TEXT_MAX + 1)}]},
])
def test_snapshot_fields_are_checked_by_type_and_range(change):
    with pytest.raises(wire.WireError):
        wire.check_snapshot(_snap(**change))


def test_snapshot_within_the_contract_passes():
    ok = _snap(cl="", pick=False, lines=[dict(LINE[0], qty=wire.SMALL_MAX)],
               notes=[wire.note(wire.SMALL_MAX, "")], bot=[])
    del ok["lines"][0]["name"]                 # a line's name is optional
    assert wire.check_snapshot(ok) is ok
    assert wire.check_snapshot(_snap(st="placed", pick=False))["pick"] is False
