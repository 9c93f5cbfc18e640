from shared import wire
import fakes
from app_info import acks
from app_prelude import ready

notes = [{"id": 3, "text": "Cold chain", "s": "z"}]
snap = fakes.snapshot(notes=notes)
assert wire.check_snapshot(snap) is snap and not wire.is_info(notes[0])
a, b, j, s, sy = ready(snap)
assert a.screen == "note" and a.todo_notes
assert a.on_scan(fakes.bottle("B000001")) == "notes_pending"
a.on_key("OK")
a.on_key("OK")
assert acks(j) == [[3]] and a.screen == "order"
