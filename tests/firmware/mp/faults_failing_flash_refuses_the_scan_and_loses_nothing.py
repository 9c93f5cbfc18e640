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
assert a.handle(a.on_scan, fakes.bottle("B000002")) == "flash_error"
assert b.beeps[-1] == "flash"
rows = a.refresh()
assert rows[3] == "Flash error" and "ask a lead" in " ".join(rows), rows
assert j.pending_count() == 1 and j.next_seq == 2 and len(a.picks) == 1
# an ack that cannot be written changes nothing (the broker sends it again)
try:
    j.ack(j.ep, 1)
    raise AssertionError("ack written on a failing flash")
except OSError as e:
    assert e.errno == 5
assert j.upto == 0 and j.pending_count() == 1
assert st.offer(wire.encode(fakes.snapshot(order=7))) is None
# keys and reopening the order still work: reads do
a.handle(a.on_key, "OK")
a.handle(a.on_key, "BACK")
assert a.handle(a.on_scan, fakes.order()) == "order"

dev.broken = False
assert on_flash(j) == before
assert a.handle(a.on_scan, fakes.bottle("B000002")) == "accepted"
assert [e["c"].split(":")[1] for q, e in on_flash(j)[3]] == [
    "B000001",
    "B000002",
]
print("OK")
