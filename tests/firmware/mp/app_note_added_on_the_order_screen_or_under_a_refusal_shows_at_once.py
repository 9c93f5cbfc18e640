from shared import wire
import fakes
from app_prelude import ready

a, b, j, s, sy = ready(fakes.snapshot())
assert a.screen == "order" and b.beeps[-1] == "ok"
s.put(fakes.snapshot(rev=2, notes=[wire.note(5, "Gift")]))
a.on_snapshot(1042)
assert a.screen == "note" and b.beeps[-1] == "note"
a.on_key("OK")
assert a.screen == "order" and j.decoded()[-1]["n"] == [5]
# under a refusal: the refusal stays until OK, then the note
a.on_key("OK")
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.bottle("B000009", "GUMMY-10")) == "wrong_product"
s.put(
    fakes.snapshot(
        rev=3, notes=[wire.note(5, "Gift"), wire.note(6, "Seal the bag")]
    )
)
a.on_snapshot(1042)
assert a.screen == "refused" and a.reason == "wrong_product"
assert b.beeps[-1] == "note"
a.on_key("OK")
assert a.screen == "note" and a.refresh()[3] == "Seal the bag"
a.on_key("OK")
assert a.screen == "picking" and j.decoded()[-1]["n"] == [6]
