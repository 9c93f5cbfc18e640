import fakes
from app_memory import boot, oom

a, b, j, s, sy = boot(fakes.snapshot())
scans = a.scans
oom.arm("append")
assert a.handle(a.on_scan, fakes.bottle("B000001")) == "accepted"
assert a.scans == scans + 1  # counted once
assert j.pending_count() == 1 and len(a.picks) == 1 and "B000001" in a.picks
assert b.beeps[-1] == "ok" and sy.kicks == 1 and a.screen == "picking"
