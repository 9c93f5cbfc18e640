import fakes
from app_info import acks, info, must
from app_prelude import ready

a, b, j, s, sy = ready(fakes.snapshot(notes=[must(3, "Fragile")]))
a.on_key("OK")
a.on_key("OK")
assert a.screen == "picking" and acks(j) == [[3]]
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
s.put(
    fakes.snapshot(
        rev=2, notes=[must(3, "Fragile"), info(8, "Driver arrives at 3 pm")]
    )
)
a.on_snapshot(1042)
assert a.screen == "info" and b.beeps[-1] == "info"
assert not a.todo_notes and a.state()["notes"] == 0
rows = a.refresh()
assert rows[1] == "INFO 1/1" and "Driver arrives" in rows[3], rows
# a scan carries on picking at once
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
assert a.screen == "picking"
# a later revision (a pick counted) does not show it again
s.put(
    fakes.snapshot(
        rev=3, notes=[must(3, "Fragile"), info(8, "Driver arrives at 3 pm")]
    )
)
a.on_snapshot(1042)
assert a.screen == "picking", a.screen
# another info note, over the complete screen: OK goes back there
assert a.on_scan(fakes.bottle("B000003", sku="THC-FLW-3G")) == "accepted"
assert a.screen == "complete"
s.put(
    fakes.snapshot(
        rev=4,
        notes=[must(3, "Fragile"), info(8, "x"), info(9, "Seal the bag")],
    )
)
a.on_snapshot(1042)
assert a.screen == "info" and a.refresh()[3] == "Seal the bag"
a.on_key("OK")
assert a.screen == "complete"
assert acks(j) == [[3]] and j.pending_count() == 4
# a must-acknowledge note added mid-pick still stops the gun
a.on_key("OK")  # complete -> idle
s.put(
    fakes.snapshot(
        rev=5,
        notes=[must(3, "Fragile"), info(8, "x"), info(9, "Seal the bag")],
        lines=[{"sku": "CBD-OIL-30", "name": "Oil", "qty": 5, "got": 0}],
    )
)
assert a.on_scan(fakes.order()) == "order" and a.screen == "info"
a.on_key("OK")
a.on_key("OK")
assert a.screen == "order"
a.on_key("OK")
assert a.screen == "picking"
s.put(
    fakes.snapshot(
        rev=6,
        notes=[
            must(3, "Fragile"),
            info(8, "x"),
            info(9, "Seal the bag"),
            must(10, "Call client first"),
        ],
        lines=[{"sku": "CBD-OIL-30", "name": "Oil", "qty": 5, "got": 0}],
    )
)
a.on_snapshot(1042)
rows = a.refresh()
assert a.screen == "note" and b.beeps[-1] == "note"
assert rows[1] == "NOTE 1/1" and rows[3:5] == ["Call client", "first"], rows
assert a.on_scan(fakes.bottle("B000004")) == "notes_pending"
a.on_key("OK")
a.on_key("OK")  # the refusal, then the note
assert acks(j) == [[3], [10]], acks(j)
assert a.screen == "picking"  # where the note found the gun
assert a.on_scan(fakes.bottle("B000004")) == "accepted"
