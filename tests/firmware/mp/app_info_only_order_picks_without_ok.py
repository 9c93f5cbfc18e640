import fakes
from app_info import acks, info
from app_prelude import make

notes = [info(4, "Client prefers morning pickup"), info(6, "Blue box")]
a, b, j, s, sy = make(fakes.snapshot(notes=notes))
assert a.on_scan(fakes.order()) == "order"
assert a.screen == "info" and b.beeps[-1] == "info", (a.screen, b.beeps)
assert not a.todo_notes and a.state()["notes"] == 0 and a.state()["info"] == 2
rows = a.refresh()
assert (
    rows[1] == "INFO 1/2"
    and rows[3] == "Client prefers"
    and rows[4] == "morning pickup"
    and rows[7] == "OK: more"
), rows
# no OK needed: the first bottle is accepted straight from the alert
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.screen == "picking" and b.beeps[-1] == "ok"
assert acks(j) == [] and j.pending_count() == 1
# reopened: shown again, and OK pages through to the order screen
a.on_key("BACK")
assert a.on_scan(fakes.order()) == "order" and a.screen == "info"
a.on_key("OK")
rows = a.refresh()
assert (
    rows[1] == "INFO 2/2"
    and rows[3] == "Blue box"
    and rows[7] == "OK/scan to go on"
), rows
a.on_key("OK")
assert a.screen == "order" and a.refresh()[7] == "Scan bottles"
a.on_key("OK")
assert a.screen == "picking"
assert acks(j) == [] and sy.kicks == 1
