import fakes
from app_prelude import ready

a, b, j, s, sy = ready(fakes.snapshot())
c1, c2 = fakes.bottle("B000001"), fakes.bottle("B000002")
a.on_scan(c1)
a.on_scan(c2)
a.on_acked(
    [
        {"seq": 1, "why": "not_in_stock", "o": 1042, "c": c1},
        {"seq": 2, "why": "lot_mismatch", "o": 1042, "c": c2},
    ]
)
assert "B000001" in " ".join(a.refresh())
a.on_key("OK")
assert a.screen == "refused" and "B000002" in " ".join(a.refresh())
a.on_key("OK")
assert a.screen == "picking" and len(a.picks) == 0
