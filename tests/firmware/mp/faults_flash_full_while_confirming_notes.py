import fakes
import os
from gun.journal import Journal
from gun.store import OrderStore
from shared import wire
from sim_flash import fill
from faults_flash import BS, on_flash
from faults_prelude import make

j = Journal("/fl", capacity=40)
st = OrderStore("/fl")
st.offer(wire.encode(fakes.snapshot(notes=[wire.note(3, "Fragile")])))
a, b, j, s = make(journal=j, store=st)
assert a.handle(a.on_scan, fakes.order()) == "order"
assert a.screen == "note"
fill("/fl", BS)
assert a.handle(a.on_key, "OK") == "flash_full"
assert a.screen == "refused" and b.beeps[-1] == "flash"
assert j.pending_count() == 0 and a.todo_notes and a.acked.get(1042) == []
a.handle(a.on_key, "OK")  # dismissed: back to the note
assert a.screen == "note"
for k in range(4):
    os.remove("/fl/fill%d" % k)
a.handle(a.on_key, "OK")  # confirmed now
assert a.screen == "order" and not a.todo_notes
assert [e["n"] for q, e in on_flash(j)[3]] == [[3]]
print("OK")
