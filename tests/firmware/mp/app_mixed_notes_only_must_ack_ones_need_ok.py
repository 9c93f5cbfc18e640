import fakes
from app_info import acks, info, must
from app_prelude import ready

notes = [
    info(2, "Gift wrap"),
    must(3, "Fragile"),
    {"id": 5, "text": "Check ID at door", "s": "a"},
    info(7, "Second box in the van"),
]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes))
# the must-acknowledge notes first, at once; the information ones wait
rows = a.refresh()
assert a.screen == "note" and b.beeps[-1] == "note"
assert rows[1] == "NOTE 1/2" and rows[3] == "Fragile", rows
assert a.on_scan(fakes.bottle("B000001")) == "notes_pending"
a.on_key("OK")  # dismiss the refusal
rows = a.refresh()
assert a.screen == "note" and rows[1] == "NOTE 1/2" and rows[3] == "Fragile", (
    rows
)
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
