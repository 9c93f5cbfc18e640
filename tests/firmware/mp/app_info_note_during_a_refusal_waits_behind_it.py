import fakes
from app_info import info
from app_prelude import ready

a, b, j, s, sy = ready(fakes.snapshot())
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.bottle("B000009", "GUMMY-10")) == "wrong_product"
s.put(fakes.snapshot(rev=2, notes=[info(8, "Leave at reception")]))
a.on_snapshot(1042)
assert a.screen == "refused" and a.reason == "wrong_product"
a.on_key("OK")
rows = a.refresh()
assert a.screen == "info" and rows[3:5] == ["Leave at", "reception"], rows
a.on_key("OK")
assert a.screen == "picking"
