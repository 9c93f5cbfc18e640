import fakes
from app_info import acks, info, must
from app_prelude import ready

a, b, j, s, sy = ready(fakes.snapshot(notes=[info(2, "Gift wrap")]))
assert a.screen == "info"
s.put(fakes.snapshot(rev=2, notes=[info(2, "Gift wrap"), must(4, "Stop")]))
a.on_snapshot(1042)
assert a.screen == "note" and b.beeps[-1] == "note"
assert a.state()["notes"] == 1 and a.refresh()[3] == "Stop"
a.on_key("OK")
assert acks(j) == [[4]]
# the interrupted information note comes back after the confirmation
assert a.screen == "info" and a.refresh()[3] == "Gift wrap"
