import fakes
from app_prelude import make, refused

a, b, j, s, sy = make(
    fakes.snapshot(), fakes.snapshot(order=7, status="shipped")
)
assert a.on_scan(fakes.bottle("B000001")) == "no_order"
refused(a, b, j, "no_order")
assert a.on_scan(fakes.order(555)) == "unknown_order"
refused(a, b, j, "unknown_order")
assert "sync" in " ".join(a.refresh()).lower()
assert a.on_scan(fakes.order(7)) == "order"
assert a.on_scan(fakes.bottle("B000001")) == "not_pickable"
refused(a, b, j, "not_pickable")
