"""Snapshots that break the contract, fed to the real firmware (journal,
order store, sync session, app) inside MicroPython with a gun's heap:
each is refused as malformed, the cached snapshot and the journal stay as
they were, the screen still draws and picking goes on.  Snapshots that
are odd but within the contract are shown without a crash.  Script:
tests/firmware/mp/snapshots_hostile.py."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mp import check, script  # noqa: E402
from shared import wire  # noqa: E402
from tools.simulate import MPY_CODE_ALLOWANCE_K  # noqa: E402

# A gun's 110 KB plus what the unix port spends on the code, which a gun
# keeps in flash (as SimulatedGun runs it).
HEAP = "%dk" % (110 + MPY_CODE_ALLOWANCE_K)

LINES = [{"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL", "qty": 3, "got": 1},
         {"sku": "FLOWER-5G", "name": "Flower 5 g", "qty": 1, "got": 0}]


def good(rev=3, **kw):
    s = wire.snapshot(1042, rev, "placed", "Jane R.",
                      [dict(line) for line in LINES],
                      [wire.note(4, "Gift wrap", True)], ["B000100"])
    s.update(kw)
    return s


def line(**kw):
    return [dict(LINES[0], **kw)]


def without(key):
    s = good(9)
    del s[key]
    return s


def enc(obj):
    return obj if isinstance(obj, bytes) else json.dumps(obj).encode()


BIG = b"1" + b"0" * 40
DEEP = b"[" * 2000 + b"]" * 2000
GOOD9 = enc(good(9))

HOSTILE = [
    # wrong types
    good(9, cl=5), good(9, cl=None), good(9, cl=["Jane"]),
    good(9, cl={"a": 1}), good(9, cl=True),
    good(9, lines=line(name=5)), good(9, lines=line(name=None)),
    good(9, lines=line(name=["x"])),
    good(9, bot=[5]), good(9, bot=[None]), good(9, bot=[1.5]),
    good(9, bot=[["B000001"]]), good(9, bot=[True]), good(9, bot=[""]),
    good(9, bot=["B" * 13]), good(9, bot={"B1": 1}),
    good(9, pick="yes"), good(9, pick=1), good(9, pick=None),
    good(9, pick=0), good(9, pick="true"),
    good(9, st="cancelled", pick=True),
    good(9, st=5), good(9, st=None), good(9, st="PLACED"),
    good(9, st="placed\x00"),
    good(9, lines={}), good(9, lines=[1]), good(9, lines=[None]),
    good(9, lines=line(sku=5)), good(9, lines=line(sku="")),
    good(9, lines=line(sku="X" * 17)),
    good(9, notes={"id": 1}), good(9, notes=[{"id": 1, "text": 5}]),
    good(9, notes=[{"id": 1, "text": None}]), good(9, notes=[{"id": 1}]),
    good(9, notes=[{"text": "x"}]),
    good(9, notes=[{"id": 1, "text": "x", "s": 1}]),
    good(9, notes=[[1, "x"]]),
    # bools, floats and huge numbers for integers
    good(9, o=True), good(9, o="1042"), good(9, o=1042.0),
    good(True), good(9.0), good("9"), good(-9), good(0), good(2 ** 31),
    good(2 ** 64), good(10 ** 30), good(wire.SMALL_MAX + 1),
    good(9, lines=line(qty=True)), good(9, lines=line(qty=2 ** 31)),
    good(9, lines=line(qty=0)), good(9, lines=line(qty=1.5)),
    good(9, lines=line(got=-1)), good(9, lines=line(got=None)),
    good(9, lines=line(got=False)), good(9, lines=line(got=10 ** 20)),
    good(9, notes=[{"id": True, "text": "x"}]),
    good(9, notes=[{"id": 2 ** 40, "text": "x"}]),
    good(9, notes=[{"id": 1.0, "text": "x"}]),
    GOOD9.replace(b'"rev": 9', b'"rev": 1e999'),
    GOOD9.replace(b'"rev": 9', b'"rev": ' + BIG),
    GOOD9.replace(b'"qty": 3', b'"qty": ' + BIG),
    # NUL in a field that is part of a code
    good(9, lines=line(sku="CBD-OIL-30\x00")),
    # a line's suggested lot (docs/protocol.md, Snapshot lines may carry
    # lot): a lot code, nothing else
    good(9, lines=line(lot=5)), good(9, lines=line(lot=None)),
    good(9, lines=line(lot="")), good(9, lines=line(lot="L" * 13)),
    good(9, lines=line(lot="l2311a")), good(9, lines=line(lot="L2311A:X")),
    good(9, lines=line(lot=["L2311A"])), good(9, lines=line(lot="L2311A\x00")),
    # long strings: over a field's limit, over the snapshot's (a payload
    # over the 8 KB receive buffer never gets this far: gun/mqtt.py)
    good(9, cl="x" * 65), good(9, lines=line(name="n" * 65)),
    good(9, notes=[wire.note(1, "t" * 501)]), good(9, cl="x" * 7000),
    good(9, notes=[wire.note(1, "t" * 7000)]),
    good(9, bot=["B%06d" % i for i in range(600)]),
    # deep nesting
    GOOD9.replace(b'"bot": ["B000100"]', b'"bot": ' + DEEP),
    GOOD9.replace(b'"cl": "Jane R."', b'"cl": ' + DEEP),
    GOOD9.replace(b'"notes": [', b'"notes": [' + DEEP + b", "),
    # missing fields, not an object, other versions, broken JSON
    without("o"), without("rev"), without("st"), without("pick"),
    without("cl"), without("lines"), without("notes"), without("bot"),
    good(9, v=2), b"[]", b"null", b"{}", b'"snapshot"', b"{", b"\xff\xfe",
    GOOD9[:-3],
]

# Odd but within the contract: control characters, NUL and other scripts
# in the texts, an empty client label, the largest quantity.
ODD = [
    good(10, cl="J\x00R \x01\x7f\u00e9\u4e2d",
         lines=[dict(LINES[0], name="\x00\n\t" * 5), dict(LINES[1])],
         notes=[wire.note(5, "\x00" * 20 + "\n\n" + "w" * 300),
                wire.note(6, "", True), {"id": 7, "text": "x", "s": ""}]),
    good(11, cl="", lines=[dict(LINES[0]),
                           dict(LINES[1], qty=wire.SMALL_MAX)]),
    good(12, lines=[dict(LINES[0], lot="L2311A"), dict(LINES[1])]),
]


def _write(path, snaps):
    with open(path, "wb") as f:
        for s in snaps:
            payload = enc(s)
            assert len(payload) <= 8192         # the gun's receive buffer
            f.write(len(payload).to_bytes(2, "little") + payload)


def test_hostile_snapshots_change_nothing_on_the_gun(tmp_path):
    _write(tmp_path / "good.bin", [good()])
    _write(tmp_path / "hostile.bin", HOSTILE)
    _write(tmp_path / "odd.bin", ODD)
    for snap in ODD:
        wire.check_snapshot(snap)     # the same rules as on the server
    for payload in HOSTILE:
        try:
            snap = wire.decode(enc(payload))
        except wire.WireError:
            continue
        if len(enc(payload)) <= wire.SNAPSHOT_MAX:
            try:
                wire.check_snapshot(snap)
            except wire.WireError:
                continue
            raise AssertionError("accepted on the server: %r" % payload)
    out = check(script("snapshots_hostile"), cwd=str(tmp_path),
                heapsize=HEAP)
    assert "REFUSED %d" % len(HOSTILE) in out and out.strip().endswith("OK")
