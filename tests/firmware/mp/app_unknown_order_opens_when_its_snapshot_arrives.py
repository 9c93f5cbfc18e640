import fakes
from app_prelude import make

a, b, j, s, sy = make()
assert a.on_scan(fakes.order()) == "unknown_order"
s.put(fakes.snapshot())
a.on_snapshot(1042)
assert a.screen == "order" and a.oid == 1042
