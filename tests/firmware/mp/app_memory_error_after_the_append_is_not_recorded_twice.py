import fakes
from app_memory import boot, oom

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
assert [e["c"].split(":")[1] for e in j.decoded()] == [
    "B000001",
    "B000002",
    "B000003",
]
assert (
    a.handle(a.on_scan, fakes.bottle("B000003", sku="THC-FLW-3G"))
    == "duplicate"
)
assert j.pending_count() == 3
