import fakes
from gun.app import App

ACKED_ORDERS = 32  # app.py's _ACKED_ORDERS (a const)
b, j, st = fakes.Board(), fakes.Journal(), fakes.Store()
a = App(b, j, st)
for oid in range(1, ACKED_ORDERS + 20):
    a._add_acked(oid, [oid * 10])
assert len(a.acked) == ACKED_ORDERS, len(a.acked)
print("ok")
