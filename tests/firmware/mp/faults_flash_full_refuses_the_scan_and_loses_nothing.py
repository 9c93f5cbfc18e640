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
assert (
    st.offer(
        wire.encode(
            fakes.snapshot(
                lines=[
                    {"sku": "CBD-OIL-30", "name": "Oil", "qty": 3, "got": 0}
                ]
            )
        )
    )
    == 1042
)
a, b, j, s = make(journal=j, store=st)
assert a.handle(a.on_scan, fakes.order()) == "order"
assert a.handle(a.on_scan, fakes.bottle("B000001")) == "accepted"
before = on_flash(j)
print("FILLED", len(fill("/fl", BS)))

assert a.handle(a.on_scan, fakes.bottle("B000002")) == "flash_full"
assert b.beeps[-1] == "flash" and "flash" not in b.beeps[:-1]
rows = a.refresh()
assert rows[1] == "REFUSED" and rows[3] == "Flash full: sync", rows
assert "Get WiFi" in " ".join(rows), rows
# nothing recorded, nothing lost: memory and flash as before
assert j.pending_count() == 1 and j.next_seq == 2 and len(a.picks) == 1
assert "B000002" not in a.picks and on_flash(j) == before
# the snapshot cache is refused quietly, the cached one is kept
assert st.offer(wire.encode(fakes.snapshot(order=7))) is None
assert st.get(7) is None and st.get(1042)["o"] == 1042

# the server acks the pick: the gun takes note, then room is made
assert j.ack(j.ep, 1) == 1 and j.pending_count() == 0
for k in range(8):
    os.remove("/fl/fill%d" % k)
a.handle(a.on_key, "OK")
assert a.handle(a.on_scan, fakes.bottle("B000002")) == "accepted"
assert b.beeps[-1] == "ok"
ep, upto, nxt, events = on_flash(j)
assert (ep, upto, nxt) == (before[0], 1, 3), (upto, nxt)
assert [(q, e["c"].split(":")[1]) for q, e in events] == [(2, "B000002")]
print("OK")
