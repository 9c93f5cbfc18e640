import fakes
from app_notes_refused import acks, confirm, notes_refused, refusal
from app_prelude import ready

notes = [{"id": 3, "text": "Fragile"}]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes), fakes.snapshot(order=2001))
confirm(a, 2)
assert a.screen == "picking" and acks(j) == [[3]]
assert a.on_scan(fakes.order(2001)) == "order"
j.ack(7, 1)
a.on_acked([refusal(1, "not_pickable", ids=[3])])
notes_refused(a, b, "not_pickable")
a.on_key("OK")
assert a.screen == "order" and a.oid == 2001  # where it was
# order 1042's note is to be confirmed again when it is opened
assert a.on_scan(fakes.order()) == "order"
assert b.beeps[-1] == "note" and [n["id"] for n in a.todo_notes] == [3]
assert a.screen == "note"
assert a.on_scan(fakes.bottle("B000001")) == "notes_pending"
