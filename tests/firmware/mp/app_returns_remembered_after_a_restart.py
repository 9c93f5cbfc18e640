# A restart: the unsynced returns in the journal are remembered (a
# second scan is refused at once), their count shown again.
import fakes
from app_prelude import make
from shared import wire

j = fakes.Journal()
j.append(wire.RETURN, 1042, 1, code=fakes.bottle("B000001"))
j.append(wire.PICK, 7, 1, code=fakes.bottle("B000009"))
a, b, _, s, _ = make(fakes.snapshot(status="shipped",
                                    bot=["B000001", "B000002"]),
                     journal=j)
assert len(a.picks) == 1 and len(a.rets) == 1
assert a.on_scan(fakes.order()) == "order"
a.on_key("OK")
assert a.screen == "returns" and a.refresh()[5] == "1 returned"
assert a.on_scan(fakes.bottle("B000001")) == "duplicate"
assert a.on_scan(fakes.bottle("B000002")) == "accepted"
assert [e["k"] for e in j.decoded()] == [wire.RETURN, wire.PICK, wire.RETURN]
print("OK")
