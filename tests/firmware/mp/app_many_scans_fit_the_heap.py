import fakes
from app_prelude import ready

import gc

lines = [{"sku": "CBD-OIL-30", "name": "Oil", "qty": 400, "got": 0}]
a, b, j, s, sy = ready(fakes.snapshot(lines=lines))
gc.collect()
free = gc.mem_free()
for i in range(300):
    r = a.on_scan(fakes.bottle("B%06d" % i))
    assert r == "accepted", r
    a.on_scan("junk")
    a.refresh()
    del b.beeps[:], b.reports[:]
    if i % 50 == 49:
        j.ack(7, j.next_seq - 1)  # the fake keeps events in RAM
gc.collect()
print("used", free - gc.mem_free())
assert len(a.picks) == 300
