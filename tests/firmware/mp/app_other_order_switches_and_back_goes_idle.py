from gun import rules
import fakes
from app_prelude import ready

a, b, j, s, sy = ready(fakes.snapshot(), fakes.snapshot(order=2001))
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.order(2001)) == "order"
assert a.oid == 2001
assert a.refresh()[7] == "Left 1042 open"
assert a.on_scan(fakes.order(1042)) == "order"
assert rules.count(a.snap["lines"][0], a.picks, a.oid) == 1
a.on_key("BACK")
assert a.screen == "idle" and a.oid is None
assert a.on_scan(fakes.bottle("B000002")) == "no_order"
