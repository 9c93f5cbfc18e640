import fakes
from app_notes_refused import acks, confirm, notes_refused, refusal
from app_prelude import ready

notes = [{"id": 3, "text": "Fragile"}, {"id": 9, "text": "Call client first"}]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes))
confirm(a, 3)
assert a.screen == "picking" and acks(j) == [[3, 9]]
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
j.ack(7, 2)
a.on_acked([refusal(1)])
notes_refused(a, b)
assert "B000001" in a.picks  # the pick was not refused
a.on_key("OK")
# the notes are asked again, at once: the first is back on the screen
rows = a.refresh()
assert a.screen == "note" and rows[1] == "NOTE 1/2" and rows[3] == "Fragile", (
    rows
)
assert a.on_scan(fakes.bottle("B000002")) == "notes_pending"
a.on_key("OK")
confirm(a, 2)
# confirmed again: back to picking, where the gun was
assert a.screen == "picking" and acks(j) == [[3, 9]] and j.pending_count() == 1
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
