import fakes
from app_prelude import ready

a, b, j, s, sy = ready(fakes.snapshot())
code = fakes.bottle("B000123")
assert a.on_scan(code) == "accepted"
assert a.on_scan(fakes.bottle("B000124")) == "accepted"
assert a.on_scan(fakes.bottle("B000125")) == "over_pick"
j.ack(7, 2)
a.on_acked([{"seq": 1, "why": "bottle_taken", "o": 1042, "c": code}])
assert a.screen == "refused" and b.beeps[-1] == "warn"
rows = a.refresh()
text = " ".join(rows)
assert "B000123 on" in text and "other order" in text, rows
assert "B000123" not in a.picks and "B000124" in a.picks
a.on_key("OK")
assert a.screen == "picking"
# the line has room again
assert a.on_scan(fakes.bottle("B000125")) == "accepted"
