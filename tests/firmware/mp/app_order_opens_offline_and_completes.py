import fakes
from app_prelude import make

snap = fakes.snapshot(
    lines=[{"sku": "CBD-OIL-30", "name": "Oil", "qty": 2, "got": 0}]
)
a, b, j, s, sy = make(snap)
a.on_link("offline")
assert a.on_scan(fakes.order()) == "order"
rows = a.refresh()
assert rows[0].startswith("Offline")
assert (
    rows[1] == "Order 1042"
    and rows[2] == "Jane Doe"
    and rows[3] == "0/2 CBD-OIL-30"
), rows
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
assert a.screen == "complete" and b.beeps[-1] == "done"
rows = a.refresh()
assert "Order complete" in rows[3] and rows[0].endswith("2 wait"), rows
a.on_key("OK")
assert a.screen == "idle"
rows = a.refresh()
assert "2 waiting" in rows[4], rows
