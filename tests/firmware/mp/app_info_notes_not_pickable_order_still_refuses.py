import fakes
from app_info import info
from app_prelude import ready

a, b, j, s, sy = ready(
    fakes.snapshot(status="cancelled", notes=[info(1, "Returned once")])
)
assert a.screen == "info"
assert a.on_scan(fakes.bottle("B000001")) == "not_pickable"
a.on_key("OK")
assert a.screen == "info"
a.on_key("OK")
assert a.screen == "order" and a.refresh()[7] == "Not pickable"
