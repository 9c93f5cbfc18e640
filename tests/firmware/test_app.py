"""The gun's app state machine, run inside MicroPython (110 KB heap) with
fake journal, store, sync and board."""
from mp import check

PRELUDE = """
import fakes
from gun.app import App
from gun import rules
from gun.scanner import MISREAD
from shared import wire

def make(*snaps, journal=None):
    b = fakes.Board()
    j = journal if journal is not None else fakes.Journal()
    s = fakes.Store()
    sy = fakes.Sync()
    for sn in snaps:
        s.put(sn)
    return App(b, j, s, sy), b, j, s, sy

def refused(a, b, j, reason, before=0):
    assert a.screen == "refused", a.screen
    assert a.reason == reason, a.reason
    assert b.beeps[-1] == "err", b.beeps
    assert j.pending_count() == before, j.decoded()
    rows = a.refresh()
    assert rows[1] == "REFUSED", rows
    text = " ".join(rows)
    for word in wire.reason_text(reason).split()[:2]:
        assert word in text, (word, rows)

def ready(*snaps, **kw):
    a, b, j, s, sy = make(*snaps, **kw)
    assert a.on_scan(fakes.order()) == "order"
    return a, b, j, s, sy
"""


def run(body):
    return check(PRELUDE + body)


def test_code_refusals_record_nothing():
    run("""
a, b, j, s, sy = ready(fakes.snapshot())
assert a.on_scan("https://example.com/x") == "foreign"
refused(a, b, j, "foreign")
good = fakes.bottle("B000001")
bad = good[:-1] + ("0" if good[-1] != "0" else "1")
assert a.on_scan(bad) == "check"
refused(a, b, j, "check")
assert a.on_scan(MISREAD) == "check"
refused(a, b, j, "check")
body = "PGB:B1:CBD-OIL-30"
assert a.on_scan(body + ":" + wire.check_char(body)) == "format"
refused(a, b, j, "format")
assert sy.kicks == 0
""")


def test_order_level_refusals():
    run("""
a, b, j, s, sy = make(fakes.snapshot(), fakes.snapshot(order=7, status="shipped"))
assert a.on_scan(fakes.bottle("B000001")) == "no_order"
refused(a, b, j, "no_order")
assert a.on_scan(fakes.order(555)) == "unknown_order"
refused(a, b, j, "unknown_order")
assert "sync" in " ".join(a.refresh()).lower()
assert a.on_scan(fakes.order(7)) == "order"
assert a.on_scan(fakes.bottle("B000001")) == "not_pickable"
refused(a, b, j, "not_pickable")
""")


def test_line_refusals():
    run("""
snap = fakes.snapshot(lines=[
    {"sku": "CBD-OIL-30", "name": "Oil", "qty": 2, "got": 1},
    {"sku": "THC-FLW-3G", "name": "Flower", "qty": 1, "got": 0}],
    bot=["B000100"])
a, b, j, s, sy = ready(snap)
assert a.on_scan(fakes.bottle("B000001", "GUMMY-10")) == "wrong_product"
refused(a, b, j, "wrong_product")
# already accepted by the server
assert a.on_scan(fakes.bottle("B000100")) == "duplicate"
refused(a, b, j, "duplicate")
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
assert j.pending_count() == 1
# this gun's own pick, not yet synced
assert a.on_scan(fakes.bottle("B000002")) == "duplicate"
refused(a, b, j, "duplicate", 1)
# got 1 + own 1 = qty 2
assert a.on_scan(fakes.bottle("B000003")) == "over_pick"
refused(a, b, j, "over_pick", 1)
assert a.rows[5] == "CBD-OIL-30"
""")


def test_memory_full_refused():
    run("""
a, b, j, s, sy = ready(fakes.snapshot(), journal=fakes.Journal(capacity=1))
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.bottle("B000002")) == "journal_full"
refused(a, b, j, "journal_full", 1)
""")


def test_accepted_pick_recorded_before_the_beep_then_kicked():
    run("""
class J(fakes.Journal):
    def append(self, *args, **kw):
        self.beeps_at_append = list(board.beeps)
        self.kicks_at_append = sync.kicks
        return super().append(*args, **kw)

a, board, j, s, sync = ready(fakes.snapshot(), journal=J())
before = list(board.beeps)
code = fakes.bottle("B000001")
assert a.on_scan(code + "\\r") == "accepted"
assert j.beeps_at_append == before
assert j.kicks_at_append == 0
assert board.beeps[-1] == "ok"
assert sync.kicks == 1
ev = j.decoded()[0]
assert ev["k"] == "pick" and ev["o"] == 1042 and ev["c"] == code
assert ev["at"] == board.now
assert a.screen == "picking"
rows = a.refresh()
assert rows[2] == "1/2" and rows[4] == "CBD-OIL-30", rows
assert "OK B000001" in rows, rows
assert rows[0].endswith("1 wait"), rows
""")


def test_notes_must_be_acknowledged_one_by_one():
    run("""
notes = [{"id": 3, "text": "Fragile"}, {"id": 9, "text": "Call client first"}]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes))
# the first note at once, with the note beep: no "OK: read 2 notes" first
assert a.screen == "note" and b.beeps[-1] == "note"
rows = a.refresh()
assert rows[1] == "NOTE 1/2" and rows[3] == "Fragile" and rows[7] == "OK to confirm", rows
assert a.state()["notes"] == 2
assert a.on_scan(fakes.bottle("B000001")) == "notes_pending"
refused(a, b, j, "notes_pending")
a.on_key("OK")                       # dismiss the refusal: the note again
assert a.screen == "note" and a.refresh()[1] == "NOTE 1/2"
a.on_key("OK")
assert a.screen == "note" and a.refresh()[1] == "NOTE 2/2"
assert j.pending_count() == 0        # nothing until every note is confirmed
assert a.on_scan(fakes.bottle("B000001")) == "notes_pending"
a.on_key("OK")                       # back to note 2
assert a.screen == "note" and a.refresh()[1] == "NOTE 2/2"
a.on_key("OK")
# confirmed: the order screen, where a scan picks and OK goes to picking
assert a.screen == "order" and b.beeps[-1] == "ok"
rows = a.refresh()
assert rows[1] == "Order 1042" and rows[7] == "Scan bottles", rows
evs = j.decoded()
assert len(evs) == 1 and evs[0]["k"] == "notes_ack" and evs[0]["n"] == [3, 9]
assert sy.kicks == 1
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
# reopening the order in the same session does not ask again
a.on_key("BACK")
assert a.screen == "idle"
assert a.on_scan(fakes.order()) == "order"
assert a.refresh()[7] == "Scan bottles"
# a fresh start rebuilds acknowledged notes from the unsynced journal
del a
import gc; gc.collect()
a2 = App(fakes.Board(), j, s, sy)
a2.on_scan(fakes.order())
assert a2.todo_notes == []
""")


def test_long_note_pages():
    run("""
text = "Fragile: wrap each bottle in bubble wrap and double-box it; the client complained last time about a leak"
a, b, j, s, sy = ready(fakes.snapshot(notes=[{"id": 1, "text": text}]))
rows = a.refresh()
assert a.screen == "note" and rows[7] == "OK: more", rows
a.on_key("OK")
assert a.screen == "note" and a.refresh()[7] == "OK to confirm"
a.on_key("OK")
assert a.screen == "order"
assert j.decoded()[0]["n"] == [1]
""")


def test_note_shown_at_once_then_the_order_and_the_left_order():
    # Opening an order with a must-acknowledge note, another order being
    # open: the note first, then the order screen, which still says which
    # order was left open.
    run("""
a, b, j, s, sy = ready(fakes.snapshot(),
                       fakes.snapshot(order=2001, notes=[wire.note(5, "Gift")]))
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.order(2001)) == "order"
rows = a.refresh()
assert a.screen == "note" and b.beeps[-1] == "note"
assert rows[1] == "NOTE 1/1" and rows[3] == "Gift", rows
a.on_key("OK")
rows = a.refresh()
assert a.screen == "order" and rows[1] == "Order 2001", rows
assert rows[7] == "Left 1042 open", rows
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
""")


def test_note_of_an_order_not_pickable_waits_behind_its_order_screen():
    # Nothing can be picked, so the order screen says so first; OK there
    # still shows the notes, as before.
    run("""
a, b, j, s, sy = ready(fakes.snapshot(status="shipped",
                                      notes=[wire.note(5, "Gift")]))
assert a.screen == "order" and b.beeps[-1] == "note"
assert a.refresh()[7] == "Not pickable"
a.on_key("OK")
assert a.screen == "note" and a.refresh()[3] == "Gift"
""")


def test_note_added_on_the_order_screen_or_under_a_refusal_shows_at_once():
    run("""
a, b, j, s, sy = ready(fakes.snapshot())
assert a.screen == "order" and b.beeps[-1] == "ok"
s.put(fakes.snapshot(rev=2, notes=[wire.note(5, "Gift")]))
a.on_snapshot(1042)
assert a.screen == "note" and b.beeps[-1] == "note"
a.on_key("OK")
assert a.screen == "order" and j.decoded()[-1]["n"] == [5]
# under a refusal: the refusal stays until OK, then the note
a.on_key("OK")
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.bottle("B000009", "GUMMY-10")) == "wrong_product"
s.put(fakes.snapshot(rev=3, notes=[wire.note(5, "Gift"),
                                   wire.note(6, "Seal the bag")]))
a.on_snapshot(1042)
assert a.screen == "refused" and a.reason == "wrong_product"
assert b.beeps[-1] == "note"
a.on_key("OK")
assert a.screen == "note" and a.refresh()[3] == "Seal the bag"
a.on_key("OK")
assert a.screen == "picking" and j.decoded()[-1]["n"] == [6]
""")


def test_order_opens_offline_and_completes():
    run("""
snap = fakes.snapshot(lines=[{"sku": "CBD-OIL-30", "name": "Oil", "qty": 2, "got": 0}])
a, b, j, s, sy = make(snap)
a.on_link("offline")
assert a.on_scan(fakes.order()) == "order"
rows = a.refresh()
assert rows[0].startswith("Offline")
assert rows[1] == "Order 1042" and rows[2] == "Jane Doe" and rows[3] == "0/2 CBD-OIL-30", rows
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
assert a.screen == "complete" and b.beeps[-1] == "done"
rows = a.refresh()
assert "Order complete" in rows[3] and rows[0].endswith("2 wait"), rows
a.on_key("OK")
assert a.screen == "idle"
rows = a.refresh()
assert "2 waiting" in rows[4], rows
""")


def test_unknown_order_opens_when_its_snapshot_arrives():
    run("""
a, b, j, s, sy = make()
assert a.on_scan(fakes.order()) == "unknown_order"
s.put(fakes.snapshot())
a.on_snapshot(1042)
assert a.screen == "order" and a.oid == 1042
""")


def test_snapshot_refresh_counts_server_picks():
    run("""
a, b, j, s, sy = ready(fakes.snapshot())
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
j.ack(7, 1)                          # server committed it
snap = fakes.snapshot(rev=2, lines=[
    {"sku": "CBD-OIL-30", "name": "Oil", "qty": 2, "got": 1},
    {"sku": "THC-FLW-3G", "name": "Flower", "qty": 1, "got": 0}], bot=["B000001"])
s.put(snap)
a.on_snapshot(1042)
assert "B000001" not in a.picks      # now counted by the snapshot
assert rules.count(a.snap["lines"][0], a.picks, a.oid) == 1
assert a.on_scan(fakes.bottle("B000001")) == "duplicate"
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
assert a.on_scan(fakes.bottle("B000003")) == "over_pick"
""")


def test_server_rejection_shown_and_pick_dropped():
    run("""
a, b, j, s, sy = ready(fakes.snapshot())
code = fakes.bottle("B000123")
assert a.on_scan(code) == "accepted"
assert a.on_scan(fakes.bottle("B000124")) == "accepted"
assert a.on_scan(fakes.bottle("B000125")) == "over_pick"
j.ack(7, 2)
a.on_acked([{"seq": 1, "why": "bottle_taken", "o": 1042, "c": code}])
assert a.screen == "refused" and b.beeps[-1] == "warn"
rows = a.refresh()
text = " ".join(rows)
assert "B000123 on" in text and "other order" in text, rows
assert "B000123" not in a.picks and "B000124" in a.picks
a.on_key("OK")
assert a.screen == "picking"
# the line has room again
assert a.on_scan(fakes.bottle("B000125")) == "accepted"
""")


def test_several_rejections_are_shown_in_turn():
    run("""
a, b, j, s, sy = ready(fakes.snapshot())
c1, c2 = fakes.bottle("B000001"), fakes.bottle("B000002")
a.on_scan(c1); a.on_scan(c2)
a.on_acked([{"seq": 1, "why": "not_in_stock", "o": 1042, "c": c1},
            {"seq": 2, "why": "lot_mismatch", "o": 1042, "c": c2}])
assert "B000001" in " ".join(a.refresh())
a.on_key("OK")
assert a.screen == "refused" and "B000002" in " ".join(a.refresh())
a.on_key("OK")
assert a.screen == "picking" and len(a.picks) == 0
""")


NOTES_ACK_REFUSED = """
def notes_refused(a, b, why="unknown_note", order=1042):
    assert a.screen == "refused" and b.beeps[-1] == "warn", a.screen
    rows = a.refresh()
    text = " ".join(rows)
    assert rows[3] == "Notes refused:", rows
    assert wire.reason_text(why) in text and "Order %d" % order in text, rows
    assert "Read the notes" in text, rows

def refusal(seq, why="unknown_note", order=1042, ids=(3, 9)):
    # as sync.py hands a rejection over: the event as the gun wrote it
    return {"seq": seq, "why": why, "o": order, "c": "",
            "k": "notes_ack", "n": list(ids)}

def acks(j):
    return [e["n"] for e in j.decoded() if e["k"] == "notes_ack"]

def confirm(a, n):
    for _ in range(n):
        a.on_key("OK")
"""


def test_refused_note_acknowledgement_is_shown_and_asked_again():
    # The server rejects a notes_ack whole (docs/protocol.md): none of its
    # notes counts as acknowledged, so the gun asks for them again.
    run(NOTES_ACK_REFUSED + """
notes = [{"id": 3, "text": "Fragile"}, {"id": 9, "text": "Call client first"}]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes))
confirm(a, 3)
assert a.screen == "picking" and acks(j) == [[3, 9]]
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
j.ack(7, 2)
a.on_acked([refusal(1)])
notes_refused(a, b)
assert "B000001" in a.picks                # the pick was not refused
a.on_key("OK")
# the notes are asked again, at once: the first is back on the screen
rows = a.refresh()
assert a.screen == "note" and rows[1] == "NOTE 1/2" and rows[3] == "Fragile", rows
assert a.on_scan(fakes.bottle("B000002")) == "notes_pending"
a.on_key("OK")
confirm(a, 2)
# confirmed again: back to picking, where the gun was
assert a.screen == "picking" and acks(j) == [[3, 9]] and j.pending_count() == 1
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
""")


def test_refused_note_acknowledgement_of_an_order_not_open():
    run(NOTES_ACK_REFUSED + """
notes = [{"id": 3, "text": "Fragile"}]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes),
                       fakes.snapshot(order=2001))
confirm(a, 2)
assert a.screen == "picking" and acks(j) == [[3]]
assert a.on_scan(fakes.order(2001)) == "order"
j.ack(7, 1)
a.on_acked([refusal(1, "not_pickable", ids=[3])])
notes_refused(a, b, "not_pickable")
a.on_key("OK")
assert a.screen == "order" and a.oid == 2001   # where it was
# order 1042's note is to be confirmed again when it is opened
assert a.on_scan(fakes.order()) == "order"
assert b.beeps[-1] == "note" and [n["id"] for n in a.todo_notes] == [3]
assert a.screen == "note"
assert a.on_scan(fakes.bottle("B000001")) == "notes_pending"
""")


def test_refused_note_acknowledgement_while_reading_information():
    run(NOTES_ACK_REFUSED + """
notes = [{"id": 3, "text": "Fragile"}, wire.note(4, "Blue box", True)]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes))
confirm(a, 1)
assert a.screen == "info"                   # after the confirmation
j.ack(7, 1)
a.on_acked([refusal(1, "bad_event", ids=[3])])
notes_refused(a, b, "bad_event")
a.on_key("OK")
assert a.screen == "note" and a.refresh()[3] == "Fragile"
confirm(a, 1)                               # the note, then the info again
assert a.screen == "info" and acks(j) == [[3]]
a.on_key("OK")
assert a.screen == "order"
""")


def test_rejections_of_picks_and_notes_are_shown_in_turn():
    run(NOTES_ACK_REFUSED + """
notes = [{"id": 3, "text": "Fragile"}]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes))
confirm(a, 2)
c1 = fakes.bottle("B000001")
assert a.on_scan(c1) == "accepted"
j.ack(7, 2)
a.on_acked([refusal(1, ids=[3]),
            {"seq": 2, "why": "not_in_stock", "o": 1042, "c": c1,
             "k": "pick", "n": None}])
notes_refused(a, b)
a.on_key("OK")
assert a.screen == "refused" and "B000001" in " ".join(a.refresh())
assert "B000001" not in a.picks
a.on_key("OK")
assert a.screen == "note" and a.todo_notes
""")


def test_restart_rebuilds_pick_set():
    run("""
a, b, j, s, sy = ready(fakes.snapshot())
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
del a
import gc; gc.collect()
a2, b2, _, _, _ = make(journal=j)
a2.store = s
a2.on_scan(fakes.order())
assert a2.on_scan(fakes.bottle("B000001")) == "duplicate"
assert a2.on_scan(fakes.bottle("B000003")) == "over_pick"
assert j.pending_count() == 2
""")


def test_other_order_switches_and_back_goes_idle():
    run("""
a, b, j, s, sy = ready(fakes.snapshot(), fakes.snapshot(order=2001))
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.order(2001)) == "order"
assert a.oid == 2001
assert a.refresh()[7] == "Left 1042 open"
assert a.on_scan(fakes.order(1042)) == "order"
assert rules.count(a.snap["lines"][0], a.picks, a.oid) == 1
a.on_key("BACK")
assert a.screen == "idle" and a.oid is None
assert a.on_scan(fakes.bottle("B000002")) == "no_order"
""")


def test_link_and_pending_always_shown():
    run("""
a, b, j, s, sy = ready(fakes.snapshot())
for state, word in (("online", "Online"), ("connecting", "Linking"), ("offline", "Offline")):
    a.on_link(state)
    for scr in ("order", "picking", "refused"):
        if scr == "refused":
            a.refuse("check")
        else:
            a.show(scr)
        a.dirty = True
        rows = a.refresh()
        assert rows[0].startswith(word) and rows[0].endswith("synced"), rows
a.on_key("OK")
a.on_scan(fakes.bottle("B000001"))
assert a.refresh()[0] == "Offline   1 wait"
assert b.reports[-1][1]["pending"] == 1 and b.reports[-1][1]["link"] == "offline"
""")


def test_many_scans_fit_the_heap():
    run("""
import gc
lines = [{"sku": "CBD-OIL-30", "name": "Oil", "qty": 400, "got": 0}]
a, b, j, s, sy = ready(fakes.snapshot(lines=lines))
gc.collect()
free = gc.mem_free()
for i in range(300):
    r = a.on_scan(fakes.bottle("B%06d" % i))
    assert r == "accepted", r
    a.on_scan("junk")
    a.refresh()
    del b.beeps[:], b.reports[:]
    if i % 50 == 49:
        j.ack(7, j.next_seq - 1)       # the fake keeps events in RAM
gc.collect()
print("used", free - gc.mem_free())
assert len(a.picks) == 300
""")


MEMORY = """
class OOM:
    # raises MemoryError the next `n` times `where` is called
    def __init__(self):
        self.left = {}
    def arm(self, where, n=1):
        self.left[where] = n
    def hit(self, where):
        if self.left.get(where, 0):
            self.left[where] -= 1
            raise MemoryError

oom = OOM()

class J(fakes.Journal):
    def append(self, *args, **kw):
        oom.hit("append")                # before anything is recorded
        seq = super().append(*args, **kw)
        oom.hit("after append")          # recorded: on "flash"
        return seq

class B(fakes.Board):
    def beep(self, pattern):
        oom.hit("beep")
        super().beep(pattern)

def boot(*snaps):
    b = B()
    j = J()
    s = fakes.Store()
    for sn in snaps:
        s.put(sn)
    sy = fakes.Sync()
    a = App(b, j, s, sy)
    assert a.handle(a.on_scan, fakes.order()) == "order"
    return a, b, j, s, sy
"""


def test_memory_error_before_the_append_is_retried_once():
    run(MEMORY + """
a, b, j, s, sy = boot(fakes.snapshot())
scans = a.scans
oom.arm("append")
assert a.handle(a.on_scan, fakes.bottle("B000001")) == "accepted"
assert a.scans == scans + 1                     # counted once
assert j.pending_count() == 1 and len(a.picks) == 1 and "B000001" in a.picks
assert b.beeps[-1] == "ok" and sy.kicks == 1 and a.screen == "picking"
""")


def test_memory_error_twice_refuses_busy_and_records_nothing():
    run(MEMORY + """
a, b, j, s, sy = boot(fakes.snapshot())
oom.arm("append", 2)
assert a.handle(a.on_scan, fakes.bottle("B000001")) == "busy"
assert a.screen == "refused" and a.reason == "busy", a.reason
assert b.beeps[-1] == "err"
assert j.pending_count() == 0 and len(a.picks) == 0 and sy.kicks == 0
rows = a.refresh()
assert rows[1] == "REFUSED" and "Busy - scan again" in " ".join(rows), rows
# the heap has room again: the same bottle is simply scanned again
assert a.handle(a.on_scan, fakes.bottle("B000001")) == "accepted"
assert j.pending_count() == 1 and a.screen == "picking"
""")


def test_memory_error_after_the_append_is_not_recorded_twice():
    run(MEMORY + """
a, b, j, s, sy = boot(fakes.snapshot())
# once: the pick is on flash; only the beep and screen are done again
oom.arm("after append")
assert a.handle(a.on_scan, fakes.bottle("B000001")) == "accepted"
assert j.pending_count() == 1 and len(a.picks) == 1
assert b.beeps[-1] == "ok" and a.screen == "picking" and sy.kicks == 1
oom.arm("beep")
assert a.handle(a.on_scan, fakes.bottle("B000002")) == "accepted"
assert j.pending_count() == 2 and b.beeps[-1] == "ok"
# twice: the pick stays recorded (journal and pick table agree), the gun
# says busy, and a rescan says it is already counted
oom.arm("beep", 2)
assert a.handle(a.on_scan, fakes.bottle("B000003", sku="THC-FLW-3G")) == "busy"
assert a.reason == "busy"
assert j.pending_count() == 3 and "B000003" in a.picks
assert [e["c"].split(":")[1] for e in j.decoded()] == ["B000001", "B000002", "B000003"]
assert a.handle(a.on_scan, fakes.bottle("B000003", sku="THC-FLW-3G")) == "duplicate"
assert j.pending_count() == 3
""")


def test_memory_error_confirming_notes():
    run(MEMORY + """
notes = [{"id": 3, "text": "Fragile"}, {"id": 9, "text": "Call first"}]
a, b, j, s, sy = boot(fakes.snapshot(notes=notes))
assert a.screen == "note" and a.note_i == 0
a.handle(a.on_key, "OK")
assert a.screen == "note" and a.note_i == 1
oom.arm("append")                   # before the ack is recorded
keys = a.keys
a.handle(a.on_key, "OK")
assert a.keys == keys + 1
assert a.screen == "order" and not a.todo_notes
evs = j.decoded()
assert len(evs) == 1 and evs[0]["n"] == [3, 9], evs
# after the append, twice: recorded once, acked in memory, busy shown
a.on_key("BACK")
s.put(fakes.snapshot(order=7, notes=[{"id": 5, "text": "Gift"}]))
assert a.handle(a.on_scan, fakes.order(7)) == "order"
assert a.screen == "note"
oom.arm("after append")
oom.arm("beep", 1)
from gun.app import BUSY_KEY
assert a.handle(a.on_key, "OK", BUSY_KEY) == "busy"
assert a.message == "Busy - press again"
assert len(j.decoded()) == 2 and a.acked[7] == [5]
a.on_key("OK")                      # dismiss: the notes are not asked again
a.on_key("BACK")
assert a.on_scan(fakes.order(7)) == "order" and not a.todo_notes
""")


def test_input_task_survives_a_full_heap():
    run(MEMORY + """
import asyncio

class Scanner:
    def __init__(self, codes):
        self.codes = codes
    async def read(self):
        while not self.codes:
            await asyncio.sleep_ms(5)
        c = self.codes.pop(0)
        if c is None:
            raise MemoryError            # the decoder's read ran out too
        return c
    def forget(self):
        pass

a, b, j, s, sy = boot(fakes.snapshot())
sc = Scanner([fakes.bottle("B000001"), None, fakes.bottle("B000002")])
oom.arm("append", 2)                 # the first scan is refused: busy
t = asyncio.create_task(a.input_task(sc))

async def main():
    await asyncio.sleep_ms(50)
    assert not sc.codes
    assert a.reason is None and a.screen == "picking", a.reason
    assert [e["c"].split(":")[1] for e in j.decoded()] == ["B000002"]
    assert b.beeps.count("err") == 2     # the busy scan, the failed read
    sc.codes.append(fakes.bottle("B000001"))
    await asyncio.sleep_ms(30)
    assert j.pending_count() == 2 and a.screen == "picking"
    t.cancel()

asyncio.run(main())
print("OK")
""")


def test_note_acknowledgements_are_bounded():
    out = check("""
import fakes
from gun.app import App
from gun import rules
ACKED_ORDERS = 32                   # app.py's _ACKED_ORDERS (a const)
b, j, st = fakes.Board(), fakes.Journal(), fakes.Store()
a = App(b, j, st)
for oid in range(1, ACKED_ORDERS + 20):
    a._add_acked(oid, [oid * 10])
assert len(a.acked) == ACKED_ORDERS, len(a.acked)
print("ok")
""")
    assert out.strip().endswith("ok")


# ------------------------------------------------ note severities
# Must-acknowledge notes (no "s", or "a") stop picking until OK confirms
# them; information notes ("s": "i") are shown as INFO alerts that a scan
# goes past, and never acknowledged.
INFO = """
def info(i, text):
    return wire.note(i, text, True)

def must(i, text):
    return wire.note(i, text)

def acks(j):
    return [e["n"] for e in j.decoded() if e["k"] == "notes_ack"]
"""


def test_info_only_order_picks_without_ok():
    run(INFO + """
notes = [info(4, "Client prefers morning pickup"), info(6, "Blue box")]
a, b, j, s, sy = make(fakes.snapshot(notes=notes))
assert a.on_scan(fakes.order()) == "order"
assert a.screen == "info" and b.beeps[-1] == "info", (a.screen, b.beeps)
assert not a.todo_notes and a.state()["notes"] == 0 and a.state()["info"] == 2
rows = a.refresh()
assert rows[1] == "INFO 1/2" and rows[3] == "Client prefers" \\
    and rows[4] == "morning pickup" and rows[7] == "OK: more", rows
# no OK needed: the first bottle is accepted straight from the alert
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.screen == "picking" and b.beeps[-1] == "ok"
assert acks(j) == [] and j.pending_count() == 1
# reopened: shown again, and OK pages through to the order screen
a.on_key("BACK")
assert a.on_scan(fakes.order()) == "order" and a.screen == "info"
a.on_key("OK")
rows = a.refresh()
assert rows[1] == "INFO 2/2" and rows[3] == "Blue box" \\
    and rows[7] == "OK/scan to go on", rows
a.on_key("OK")
assert a.screen == "order" and a.refresh()[7] == "Scan bottles"
a.on_key("OK")
assert a.screen == "picking"
assert acks(j) == [] and sy.kicks == 1
""")


def test_mixed_notes_only_must_ack_ones_need_ok():
    run(INFO + """
notes = [info(2, "Gift wrap"), must(3, "Fragile"),
         {"id": 5, "text": "Check ID at door", "s": "a"},
         info(7, "Second box in the van")]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes))
# the must-acknowledge notes first, at once; the information ones wait
rows = a.refresh()
assert a.screen == "note" and b.beeps[-1] == "note"
assert rows[1] == "NOTE 1/2" and rows[3] == "Fragile", rows
assert a.on_scan(fakes.bottle("B000001")) == "notes_pending"
a.on_key("OK")                       # dismiss the refusal
rows = a.refresh()
assert a.screen == "note" and rows[1] == "NOTE 1/2" and rows[3] == "Fragile", rows
a.on_key("OK")
rows = a.refresh()
assert rows[1] == "NOTE 2/2" and rows[3] == "Check ID at door", rows
assert acks(j) == []
a.on_key("OK")
# confirmed: only the must-acknowledge ids are recorded ...
assert acks(j) == [[3, 5]], j.decoded()
assert a.acked[1042] == [3, 5]
# ... then the information notes are shown, without blocking
assert a.screen == "info" and a.msg == "Notes confirmed"
rows = a.refresh()
assert rows[1] == "INFO 1/2" and rows[3] == "Gift wrap", rows
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.screen == "picking" and acks(j) == [[3, 5]]
# reopened: no must-acknowledge note asked again; the info ones shown
a.on_key("BACK")
assert a.on_scan(fakes.order()) == "order"
assert a.screen == "info" and not a.todo_notes and b.beeps[-1] == "info"
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
assert len(acks(j)) == 1
""")


def test_info_note_added_mid_pick_does_not_stop_picking():
    run(INFO + """
a, b, j, s, sy = ready(fakes.snapshot(notes=[must(3, "Fragile")]))
a.on_key("OK"); a.on_key("OK")
assert a.screen == "picking" and acks(j) == [[3]]
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
s.put(fakes.snapshot(rev=2, notes=[must(3, "Fragile"),
                                   info(8, "Driver arrives at 3 pm")]))
a.on_snapshot(1042)
assert a.screen == "info" and b.beeps[-1] == "info"
assert not a.todo_notes and a.state()["notes"] == 0
rows = a.refresh()
assert rows[1] == "INFO 1/1" and "Driver arrives" in rows[3], rows
# a scan carries on picking at once
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
assert a.screen == "picking"
# a later revision (a pick counted) does not show it again
s.put(fakes.snapshot(rev=3, notes=[must(3, "Fragile"),
                                   info(8, "Driver arrives at 3 pm")]))
a.on_snapshot(1042)
assert a.screen == "picking", a.screen
# another info note, over the complete screen: OK goes back there
assert a.on_scan(fakes.bottle("B000003", sku="THC-FLW-3G")) == "accepted"
assert a.screen == "complete"
s.put(fakes.snapshot(rev=4, notes=[must(3, "Fragile"), info(8, "x"),
                                   info(9, "Seal the bag")]))
a.on_snapshot(1042)
assert a.screen == "info" and a.refresh()[3] == "Seal the bag"
a.on_key("OK")
assert a.screen == "complete"
assert acks(j) == [[3]] and j.pending_count() == 4
# a must-acknowledge note added mid-pick still stops the gun
a.on_key("OK")                       # complete -> idle
s.put(fakes.snapshot(rev=5, notes=[must(3, "Fragile"), info(8, "x"),
      info(9, "Seal the bag")], lines=[{"sku": "CBD-OIL-30", "name": "Oil",
                                        "qty": 5, "got": 0}]))
assert a.on_scan(fakes.order()) == "order" and a.screen == "info"
a.on_key("OK"); a.on_key("OK")
assert a.screen == "order"
a.on_key("OK")
assert a.screen == "picking"
s.put(fakes.snapshot(rev=6, notes=[must(3, "Fragile"), info(8, "x"),
      info(9, "Seal the bag"), must(10, "Call client first")],
      lines=[{"sku": "CBD-OIL-30", "name": "Oil", "qty": 5, "got": 0}]))
a.on_snapshot(1042)
rows = a.refresh()
assert a.screen == "note" and b.beeps[-1] == "note"
assert rows[1] == "NOTE 1/1" and rows[3:5] == ["Call client", "first"], rows
assert a.on_scan(fakes.bottle("B000004")) == "notes_pending"
a.on_key("OK"); a.on_key("OK")       # the refusal, then the note
assert acks(j) == [[3], [10]], acks(j)
assert a.screen == "picking"         # where the note found the gun
assert a.on_scan(fakes.bottle("B000004")) == "accepted"
""")


def test_info_note_during_a_refusal_waits_behind_it():
    run(INFO + """
a, b, j, s, sy = ready(fakes.snapshot())
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.bottle("B000009", "GUMMY-10")) == "wrong_product"
s.put(fakes.snapshot(rev=2, notes=[info(8, "Leave at reception")]))
a.on_snapshot(1042)
assert a.screen == "refused" and a.reason == "wrong_product"
a.on_key("OK")
rows = a.refresh()
assert a.screen == "info" and rows[3:5] == ["Leave at", "reception"], rows
a.on_key("OK")
assert a.screen == "picking"
""")


def test_must_ack_note_interrupting_an_info_alert():
    run(INFO + """
a, b, j, s, sy = ready(fakes.snapshot(notes=[info(2, "Gift wrap")]))
assert a.screen == "info"
s.put(fakes.snapshot(rev=2, notes=[info(2, "Gift wrap"), must(4, "Stop")]))
a.on_snapshot(1042)
assert a.screen == "note" and b.beeps[-1] == "note"
assert a.state()["notes"] == 1 and a.refresh()[3] == "Stop"
a.on_key("OK")
assert acks(j) == [[4]]
# the interrupted information note comes back after the confirmation
assert a.screen == "info" and a.refresh()[3] == "Gift wrap"
""")


def test_unknown_severity_is_must_acknowledge():
    run(INFO + """
notes = [{"id": 3, "text": "Cold chain", "s": "z"}]
snap = fakes.snapshot(notes=notes)
assert wire.check_snapshot(snap) is snap and not wire.is_info(notes[0])
a, b, j, s, sy = ready(snap)
assert a.screen == "note" and a.todo_notes
assert a.on_scan(fakes.bottle("B000001")) == "notes_pending"
a.on_key("OK"); a.on_key("OK")
assert acks(j) == [[3]] and a.screen == "order"
""")


def test_info_notes_not_pickable_order_still_refuses():
    run(INFO + """
a, b, j, s, sy = ready(fakes.snapshot(status="shipped",
                                      notes=[info(1, "Returned once")]))
assert a.screen == "info"
assert a.on_scan(fakes.bottle("B000001")) == "not_pickable"
a.on_key("OK")
assert a.screen == "info"
a.on_key("OK")
assert a.screen == "order" and a.refresh()[7] == "Not pickable"
""")
