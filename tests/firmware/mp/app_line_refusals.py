import fakes
from app_prelude import ready, refused

snap = fakes.snapshot(
    lines=[
        {"sku": "CBD-OIL-30", "name": "Oil", "qty": 2, "got": 1},
        {"sku": "THC-FLW-3G", "name": "Flower", "qty": 1, "got": 0},
    ],
    bot=["B000100"],
)
a, b, j, s, sy = ready(snap)
assert a.on_scan(fakes.bottle("B000001", "GUMMY-10")) == "wrong_product"
refused(a, b, j, "wrong_product")
# already accepted by the server
assert a.on_scan(fakes.bottle("B000100")) == "duplicate"
refused(a, b, j, "duplicate")
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
assert j.pending_count() == 1
# this gun's own pick, not yet synced
assert a.on_scan(fakes.bottle("B000002")) == "duplicate"
refused(a, b, j, "duplicate", 1)
# got 1 + own 1 = qty 2
assert a.on_scan(fakes.bottle("B000003")) == "over_pick"
refused(a, b, j, "over_pick", 1)
assert a.rows[5] == "CBD-OIL-30"
