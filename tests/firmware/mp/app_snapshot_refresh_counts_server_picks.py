from gun import rules
import fakes
from app_prelude import ready

a, b, j, s, sy = ready(fakes.snapshot())
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
j.ack(7, 1)  # server committed it
snap = fakes.snapshot(
    rev=2,
    lines=[
        {"sku": "CBD-OIL-30", "name": "Oil", "qty": 2, "got": 1},
        {"sku": "THC-FLW-3G", "name": "Flower", "qty": 1, "got": 0},
    ],
    bot=["B000001"],
)
s.put(snap)
a.on_snapshot(1042)
assert "B000001" not in a.picks  # now counted by the snapshot
assert rules.count(a.snap["lines"][0], a.picks, a.oid) == 1
assert a.on_scan(fakes.bottle("B000001")) == "duplicate"
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
assert a.on_scan(fakes.bottle("B000003")) == "over_pick"
