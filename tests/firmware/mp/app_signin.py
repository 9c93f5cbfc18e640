# Sign-in on the app (gun/staff.py through gun/app.py), with the fakes:
# the gate, a badge in and out, a long BACK, idle, a badge withdrawn;
# `by` on every event; a held lot refused before any other pick check.
import fakes
from app_prelude import make, refused
from shared import wire
from time import ticks_add, ticks_ms

ANA = "PGS:42:K3J9XQ2M7PLA"
BEN = "PGS:7:AAAABBBBCCCC"


def code(body):
    return body + ":" + wire.check_char(body)


def entry(body, name):
    return {"id": int(body.split(":")[1]), "n": name,
            "h": wire.badge_hash(body)}


def roster(*entries, req=True, idle=0):
    return wire.roster(list(entries), required=req, idle=idle)


def hello(a, b, name, who):
    assert a.screen == "staff" and a.reason == "signed_in", a.screen
    assert b.beeps[-1] == "ok" and a.state()["by"] == who
    rows = a.refresh()
    assert rows[1] == "HELLO" and name in rows, rows


def bye(a, b, name):
    assert a.screen == "staff" and a.reason == "signed_out", a.screen
    assert b.beeps[-1] == "info" and a.state()["by"] == 0
    assert a.oid is None                    # the order closed
    rows = a.refresh()
    assert rows[1] == "BYE" and name in rows, rows
    a.on_key("OK")
    assert a.screen == "idle", a.screen


snap = fakes.snapshot(notes=[{"id": 3, "text": "Call first"}])
a, b, j, s, sy = make(snap)
# No roster: nobody signs in, nothing is gated, events carry no `by`.
assert a.on_scan(code(ANA)) == "badge_unknown"
refused(a, b, j, "badge_unknown")
assert a.on_scan(fakes.order()) == "order"
a.on_key("OK")                              # the note confirmed
assert a.on_scan(fakes.bottle("B1", lot="L9")) == "accepted"
assert [e.get("by") for e in j.decoded()] == [None, None], j.decoded()

# A roster, sign-in required: order and bottle scans wait for a badge.
a.on_key("BACK")
a.on_staff(roster(entry(ANA, "Ana P."), entry(BEN, "Ben K.")), None, 0)
assert a.refresh()[2].strip() == "Scan your badge", a.rows
assert a.on_scan(fakes.order()) == "sign_in"
refused(a, b, j, "sign_in", 2)
assert a.on_scan(fakes.bottle("B2", lot="L9")) == "sign_in"
assert a.on_scan(code("PGS:42:K3J9XQ2M7PLB")) == "badge_unknown"
assert a.on_scan(code(ANA)) == "signed_in"
hello(a, b, "Signed in", 42)
a.on_key("OK")
rows = a.refresh()
assert rows[2].strip() == "Scan an order" and rows[3].strip() == "Ana P.", \
    rows
assert a.on_scan(fakes.order()) == "order"
assert a.refresh()[1] == "1042 Ana P.", a.rows
assert a.on_scan(fakes.bottle("B2", lot="L9")) == "accepted"
assert a.refresh()[1] == "1042 Ana P.", a.rows
# a notes_ack carries it too (the note asked again: a new revision)
snap2 = fakes.snapshot(rev=2, notes=[{"id": 3, "text": "Call first"},
                                     {"id": 4, "text": "Fragile"}])
s.put(snap2)
a.on_snapshot(1042)
a.on_key("OK")
assert [(e["k"], e.get("by")) for e in j.decoded()] == [
    ("notes_ack", None), ("pick", None), ("pick", 42), ("notes_ack", 42)], \
    j.decoded()

# The signed-in badge again: signed out, the order closed.
assert a.on_scan(code(ANA)) == "signed_out"
bye(a, b, "Ana P.")
assert a.on_scan(fakes.bottle("B3", lot="L9")) == "sign_in"
# Another associate, then over to the first: whoever scanned last.
assert a.on_scan(code(BEN)) == "signed_in" and a.staff.name == "Ben K."
assert a.on_scan(code(ANA)) == "signed_in" and a.staff.name == "Ana P."
# A long BACK (its BACK first, as a board tells it): signed out.
a.on_scan(fakes.order())
a.on_key("BACK")
a.on_key("BACK_LONG")
bye(a, b, "Ana P.")
a.on_key("BACK_LONG")                       # nobody: nothing happens
assert a.screen == "idle" and a.state()["by"] == 0
# Idle: signed out once `idle` seconds pass without a scan or key.
a.on_staff(roster(entry(ANA, "Ana P."), idle=2), None, 0)
a.on_scan(code(ANA))
a.on_key("OK")
a._idle_out()
assert a.staff.who == 42
a.used = ticks_add(ticks_ms(), -1900)
a._idle_out()
assert a.staff.who == 42
a.used = ticks_add(ticks_ms(), -2100)
a._idle_out()
bye(a, b, "Ana P.")
assert j.by is None
# A badge withdrawn while its associate is signed in: signed out at once.
a.on_scan(code(ANA))
a.on_scan(fakes.order())
a.on_staff(roster(entry(BEN, "Ben K.")), None, 0)
bye(a, b, "Ana P.")
assert a.on_scan(code(ANA)) == "badge_unknown"
# Not required: scans go on without a sign-in, and carry no `by`.
a.on_staff(roster(entry(ANA, "Ana P."), req=False), None, 0)
a.on_key("OK")
assert a.refresh()[2].strip() == "Scan an order"
n = j.pending_count()
assert a.on_scan(fakes.order()) == "order"
assert a.on_scan(fakes.bottle("B4", "THC-FLW-3G", lot="L9")) == "accepted"
assert j.decoded()[-1].get("by") is None and j.pending_count() == n + 1

# Lots: refused before any other check, with no order open too.
a.on_staff(wire.lots([["L2311A", "lot_on_hold"], ["L2209C", "lot_recalled"],
                      ["L2101B", "expired"], ["Q-7", "quarantine"]]), None, 1)
n = j.pending_count()
for lot, why in (("L2311A", "lot_on_hold"), ("L2209C", "lot_recalled"),
                 ("L2101B", "expired")):
    assert a.on_scan(fakes.bottle("B5", lot=lot)) == why
    refused(a, b, j, why, n)
    assert a.refresh()[5] == "Lot " + lot, a.rows
# even a bottle the order has counted, or of a SKU not on it
assert a.on_scan(fakes.bottle("B4", "GUMMY", lot="L2311A")) == "lot_on_hold"
assert a.on_scan(fakes.bottle("B6", lot="Q-7")) == "quarantine"
assert "quarantine" in a.refresh()[3], a.rows      # shown by its name
a.on_key("BACK")
assert a.on_scan(fakes.bottle("B5", lot="L2311A")) == "lot_on_hold"
assert a.on_scan(fakes.bottle("B5", lot="L2311B")) == "no_order"
assert j.pending_count() == n

# A full heap as the sign-in or out beeps: handle() does not scan the
# badge again (which would undo it).
a.on_key("BACK")
beep = b.beep


def full(pattern):
    raise MemoryError


b.beep = full
assert a.handle(a.on_scan, code(ANA)) == "signed_in" and a.staff.who == 42
assert a.screen == "staff"
assert a.handle(a.on_scan, code(ANA)) == "signed_out" and a.staff.who == 0
b.beep = beep
print("OK")
