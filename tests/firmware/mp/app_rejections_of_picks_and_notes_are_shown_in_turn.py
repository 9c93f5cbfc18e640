import fakes
from app_notes_refused import confirm, notes_refused, refusal
from app_prelude import ready

notes = [{"id": 3, "text": "Fragile"}]
a, b, j, s, sy = ready(fakes.snapshot(notes=notes))
confirm(a, 2)
c1 = fakes.bottle("B000001")
assert a.on_scan(c1) == "accepted"
j.ack(7, 2)
a.on_acked(
    [
        refusal(1, ids=[3]),
        {
            "seq": 2,
            "why": "not_in_stock",
            "o": 1042,
            "c": c1,
            "k": "pick",
            "n": None,
        },
    ]
)
notes_refused(a, b)
a.on_key("OK")
assert a.screen == "refused" and "B000001" in " ".join(a.refresh())
assert "B000001" not in a.picks
a.on_key("OK")
assert a.screen == "note" and a.todo_notes
