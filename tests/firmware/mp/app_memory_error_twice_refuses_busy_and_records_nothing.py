import fakes
from app_memory import boot, oom

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
