import fakes
from gun.store import OrderStore
from shared import wire
from faults_flash import BS, dev

notes = [
    wire.note(i, "Handle with care, note %d " % i + "x" * 300)
    for i in range(1, 9)
]
snap = fakes.snapshot(notes=notes)
assert len(wire.encode(snap)) > 4 * BS
st = OrderStore("/fl")
assert st.offer(wire.encode(snap)) == 1042
k = 0
while True:
    k += 1
    st = OrderStore("/fl")  # nothing parsed yet
    dev.bad = dev.reads + k
    got = st.get(1042)
    dev.bad = 0
    if got is not None:  # read before the k-th read failed
        assert got == snap
        break
    assert st.rev(1042) == 1 and OrderStore("/fl").rev(1042) == 1, k
    assert st.get(1042) == snap, k
assert k > 4, k
print("OK")
