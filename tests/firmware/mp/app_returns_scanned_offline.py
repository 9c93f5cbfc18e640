# Returns mode: a Shipped order's screen offers it, each bottle is checked
# against the serials shipped, journaled once as a ret event, counted on a
# screen headed RETURNS; refusals record nothing; BACK leaves; a restart
# remembers the unsynced returns; a server rejection is shown and undone.
import fakes
from app_prelude import make
from shared import wire

shipped = fakes.snapshot(status="shipped", bot=["B000001", "B000002"],
                         lines=[{"sku": "CBD-OIL-30", "qty": 2, "got": 2}])
placed = fakes.snapshot(order=7)
a, b, j, s, sy = make(shipped, placed)
a.on_link("offline")
assert a.on_scan(fakes.order()) == "order"
rows = a.refresh()
assert rows[6] == "Shipped" and rows[7] == "OK: scan returns", rows
# On the order screen a bottle is still no pick, and nothing is recorded.
assert a.on_scan(fakes.bottle("B000001")) == "not_pickable"
a.on_key("OK")
a.on_key("OK")
assert a.screen == "returns", a.screen
rows, big = a.view()
assert rows[1] == "RETURNS" and big == 1 and rows[3] == "Order 1042", rows
assert rows[5] == "0 returned", rows

code = fakes.bottle("B000001")
assert a.on_scan(code) == "accepted" and b.beeps[-1] == "ok"
ev = j.decoded()
assert len(ev) == 1 and ev[0]["k"] == wire.RETURN and ev[0]["c"] == code \
    and ev[0]["o"] == 1042, ev
rows = a.refresh()
assert rows[1] == "RETURNS" and rows[5] == "1 returned", rows
assert rows[6] == "OK B000001" and rows[0].endswith("1 wait"), rows
assert sy.kicks == 1

# Refused at once, nothing recorded, the mode's header still there.
for serial, reason in (("B000001", "duplicate"), ("B000009", "not_on_order")):
    assert a.on_scan(fakes.bottle(serial)) == reason
    assert a.screen == "refused" and b.beeps[-1] == "err"
    rows = a.refresh()
    assert rows[1] == "REFUSED" and rows[5] == "RETURNS", rows
    assert serial in rows[3] and len(j.decoded()) == 1, rows
    a.on_key("OK")
    assert a.screen == "returns"
assert a.refresh()[5] == "1 returned"
assert a.on_scan(fakes.bottle("B000002", lot="L9999Z")) == "accepted"
assert a.refresh()[5] == "2 returned" and len(j.decoded()) == 2

# A return the server rejects: shown, and no longer counted.
a.on_acked([{"seq": 2, "why": "lot_mismatch", "k": wire.RETURN, "o": 1042,
             "c": fakes.bottle("B000002", lot="L9999Z")}])
assert a.screen == "refused" and a.reason == "lot_mismatch"
rows = a.refresh()
assert "B000002" in rows[3] and rows[5] == "RETURNS 1042", rows
a.on_key("OK")
assert a.screen == "returns" and a.refresh()[5] == "1 returned"

# BACK leaves returns mode; scanning a bottle then is no return.
a.on_key("BACK")
assert a.screen == "idle"
assert a.on_scan(fakes.bottle("B000002")) == "no_order"
assert len(j.decoded()) == 2

# A placed order never enters returns mode: OK picks.
assert a.on_scan(fakes.order(7)) == "order"
assert a.refresh()[7] == "Scan bottles"
a.on_key("OK")
assert a.screen == "picking"
# Nor does one that is neither Shipped nor Delivered.
s.put(fakes.snapshot(order=8, status="refunded", bot=["B000001"]))
assert a.on_scan(fakes.order(8)) == "order"
a.on_key("OK")
assert a.screen == "order" and "returns" not in " ".join(a.refresh())

# A snapshot whose bot was cut (lines count 3, bot lists 1): a serial not
# listed is left to the server; one with a full bot is refused.
s.put(fakes.snapshot(order=9, status="delivered", bot=["B000005"],
                     lines=[{"sku": "CBD-OIL-30", "qty": 3, "got": 3}]))
assert a.on_scan(fakes.order(9)) == "order"
assert a.refresh()[6] == "Delivered"
a.on_key("OK")
assert a.on_scan(fakes.bottle("B000077")) == "accepted"
s.put(fakes.snapshot(order=10, status="shipped", bot=[], lines=[]))
assert a.on_scan(fakes.order(10)) == "order"
a.on_key("OK")
assert a.on_scan(fakes.bottle("B000078")) == "accepted"
assert len(j.decoded()) == 4
print("OK")
