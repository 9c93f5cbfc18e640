import fakes
from gun.journal import Journal
from gun.store import OrderStore
from shared import wire
from faults_flash import dev, on_flash
from faults_prelude import make

j = Journal("/fl", capacity=40)
st = OrderStore("/fl")
st.offer(wire.encode(fakes.snapshot()))
a, b, j, s = make(journal=j, store=st)
assert a.handle(a.on_scan, fakes.order()) == "order"
assert a.handle(a.on_scan, fakes.bottle("B000001")) == "accepted"
before = on_flash(j)

dev.broken = True
dev.bad = dev.reads + 1  # and every read from now on
assert a.handle(a.on_scan, fakes.bottle("B000002")) == "flash_error"
dev.broken = False  # writes would work, reads fail
for _ in range(2):
    a.handle(a.on_key, "OK")
    assert a.handle(a.on_scan, fakes.bottle("B000002")) == "flash_error"
    assert b.beeps[-1] == "flash"
    rows = a.refresh()
    assert rows[3] == "Flash error" and "ask a lead" in " ".join(rows), rows
    assert j.next_seq == 2 and len(a.picks) == 1 and "B000002" not in a.picks

dev.bad = 0
assert on_flash(j) == before  # nothing written meanwhile
a.handle(a.on_key, "OK")
assert a.handle(a.on_scan, fakes.bottle("B000002")) == "accepted"
ep, upto, nxt, events = on_flash(j)
assert (ep, upto, nxt) == (before[0], 0, 3), (ep, upto, nxt)
assert [e["c"].split(":")[1] for q, e in events] == ["B000001", "B000002"]
print("OK")
