import gc
import fakes
from app_prelude import make, ready

a, b, j, s, sy = ready(fakes.snapshot())
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
del a

gc.collect()
a2, b2, _, _, _ = make(journal=j)
a2.store = s
a2.on_scan(fakes.order())
assert a2.on_scan(fakes.bottle("B000001")) == "duplicate"
assert a2.on_scan(fakes.bottle("B000003")) == "over_pick"
assert j.pending_count() == 2
