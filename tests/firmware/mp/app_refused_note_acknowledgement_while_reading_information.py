from shared import wire
import fakes
from app_notes_refused import acks, confirm, notes_refused, refusal
from app_prelude import ready

notes = [{"id": 3, "text": "Fragile"}, wire.note(4, "Blue box", True)]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes))
confirm(a, 1)
assert a.screen == "info"  # after the confirmation
j.ack(7, 1)
a.on_acked([refusal(1, "bad_event", ids=[3])])
notes_refused(a, b, "bad_event")
a.on_key("OK")
assert a.screen == "note" and a.refresh()[3] == "Fragile"
confirm(a, 1)  # the note, then the info again
assert a.screen == "info" and acks(j) == [[3]]
a.on_key("OK")
assert a.screen == "order"
