import fakes
from faults_prelude import make


class Shaky(fakes.Store):
    def get(self, order_id):
        if order_id == 7:
            raise KeyError("o")  # a bug, say
        return super().get(order_id)


a, b, j, s = make(fakes.snapshot(), store=Shaky())
assert a.handle(a.on_scan, fakes.order(7)) == "error"
assert a.screen == "refused" and b.beeps[-1] == "err"
assert "Gun error" in " ".join(a.refresh())
assert j.pending_count() == 0
a.handle(a.on_key, "OK")
assert a.handle(a.on_scan, fakes.order()) == "order"
print("OK")
