from gun.app import BUSY_KEY
import fakes
from app_memory import boot, oom

notes = [{"id": 3, "text": "Fragile"}, {"id": 9, "text": "Call first"}]
a, b, j, s, sy = boot(fakes.snapshot(notes=notes))
assert a.screen == "note" and a.note_i == 0
a.handle(a.on_key, "OK")
assert a.screen == "note" and a.note_i == 1
oom.arm("append")  # before the ack is recorded
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

assert a.handle(a.on_key, "OK", BUSY_KEY) == "busy"
assert a.message == "Busy - press again"
assert len(j.decoded()) == 2 and a.acked[7] == [5]
a.on_key("OK")  # dismiss: the notes are not asked again
a.on_key("BACK")
assert a.on_scan(fakes.order(7)) == "order" and not a.todo_notes
