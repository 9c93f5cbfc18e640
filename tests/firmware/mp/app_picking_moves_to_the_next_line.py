# The picking screen: the line being picked until it is full, then the
# next that needs bottles, named, with its position and the lot to take;
# the last bottle shows Order complete, what to do next, the done beep.
import fakes
from app_prelude import make

snap = fakes.snapshot(lines=[
    {"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL", "qty": 2, "got": 0,
     "lot": "L2311A"},
    {"sku": "THC-FLW-3G", "name": "Flower 3 g", "qty": 1, "got": 0},
    {"sku": "GUMMY-10", "name": "Gummies", "qty": 1, "got": 1},
])
a, b, j, s, sy = make(snap)
assert a.on_scan(fakes.order()) == "order"
a.on_key("OK")
assert a.screen == "picking"
rows = a.refresh()
assert rows[2] == "0/2" and rows[4] == "CBD-OIL-30", rows
assert rows[5] == "Take lot L2311A" and rows[6] == "Line 1 of 3", rows
assert rows[7] == "3 bottles left", rows
# Any good lot is accepted: the suggestion is the first-expiring one.
assert a.on_scan(fakes.bottle("B000001", lot="L2312B")) == "accepted"
rows = a.refresh()
assert rows[2] == "1/2" and rows[4] == "CBD-OIL-30", rows
assert rows[6] == "OK B000001" and b.beeps[-1] == "ok", rows
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
rows = a.refresh()
# Full: the next line that needs bottles, named (the third is full).
assert rows[2] == "0/1" and rows[4] == "THC-FLW-3G", rows
assert rows[5] == "Flower 3 g" and rows[6] == "Now line 2 of 3", rows
assert rows[7] == "1 bottle left" and b.beeps[-1] == "ok", rows
assert a.on_scan(fakes.bottle("B000003", sku="THC-FLW-3G")) == "accepted"
assert a.screen == "complete" and b.beeps[-1] == "done"
rows = a.refresh()
assert rows[3].strip() == "Order complete" and rows[6] == "Take to packing"
assert rows[7] == "Scan next order", rows
print("OK")
