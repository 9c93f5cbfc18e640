from shared import wire
import fakes
from app_prelude import ready

a, b, j, s, sy = ready(
    fakes.snapshot(status="cancelled", notes=[wire.note(5, "Gift")])
)
assert a.screen == "order" and b.beeps[-1] == "note"
assert a.refresh()[7] == "Not pickable"
a.on_key("OK")
assert a.screen == "note" and a.refresh()[3] == "Gift"
