import fakes
from app_prelude import ready

text = (
    "Fragile: wrap each bottle in bubble wrap and double-box it; "
    "the client complained last time about a leak"
)
a, b, j, s, sy = ready(fakes.snapshot(notes=[{"id": 1, "text": text}]))
rows = a.refresh()
assert a.screen == "note" and rows[7] == "OK: more", rows
a.on_key("OK")
assert a.screen == "note" and a.refresh()[7] == "OK to confirm"
a.on_key("OK")
assert a.screen == "order"
assert j.decoded()[0]["n"] == [1]
