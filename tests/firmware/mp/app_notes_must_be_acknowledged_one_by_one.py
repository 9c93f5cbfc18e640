import gc
from gun.app import App
import fakes
from app_prelude import ready, refused

notes = [{"id": 3, "text": "Fragile"}, {"id": 9, "text": "Call client first"}]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes))
# the first note at once, with the note beep: no "OK: read 2 notes" first
assert a.screen == "note" and b.beeps[-1] == "note"
rows = a.refresh()
assert (
    rows[1] == "NOTE 1/2"
    and rows[3] == "Fragile"
    and rows[7] == "OK to confirm"
), rows
assert a.state()["notes"] == 2
assert a.on_scan(fakes.bottle("B000001")) == "notes_pending"
refused(a, b, j, "notes_pending")
a.on_key("OK")  # dismiss the refusal: the note again
assert a.screen == "note" and a.refresh()[1] == "NOTE 1/2"
a.on_key("OK")
assert a.screen == "note" and a.refresh()[1] == "NOTE 2/2"
assert j.pending_count() == 0  # nothing until every note is confirmed
assert a.on_scan(fakes.bottle("B000001")) == "notes_pending"
a.on_key("OK")  # back to note 2
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

gc.collect()
a2 = App(fakes.Board(), j, s, sy)
a2.on_scan(fakes.order())
assert a2.todo_notes == []
