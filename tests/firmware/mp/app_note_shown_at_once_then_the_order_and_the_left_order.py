from shared import wire
import fakes
from app_prelude import ready

a, b, j, s, sy = ready(
    fakes.snapshot(), fakes.snapshot(order=2001, notes=[wire.note(5, "Gift")])
)
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.order(2001)) == "order"
rows = a.refresh()
assert a.screen == "note" and b.beeps[-1] == "note"
assert rows[1] == "NOTE 1/1" and rows[3] == "Gift", rows
a.on_key("OK")
rows = a.refresh()
assert a.screen == "order" and rows[1] == "Order 2001", rows
assert rows[7] == "Left 1042 open", rows
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
