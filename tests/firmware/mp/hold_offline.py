# Runs in a folder holding hold.bin and answer.bin: hostile hold lists and
# answers, each after its size (2 bytes, little-endian).  The hold list's
# store side (eviction, the file) and the session's handling of hold and
# answer messages, with no broker: each message goes to Sync._on_message
# from the receive buffer, as the MQTT client hands it over.
from snapshots_buffers import rx
import gc
import os
import fakes
from gun.store import OrderStore
from gun.sync import Sync
from shared import wire

CFG = {"id": "G01", "password": "pw", "broker": "127.0.0.1"}
HOLD = "pickgun/dev/G01/hold"
ANSWER = "pickgun/dev/G01/order"


def check(cond, msg):
    if not cond:
        print("FAIL", msg)
        raise SystemExit(1)


def deliver(topic, payload):
    mv = memoryview(rx)
    mv[0:len(payload)] = payload
    sync._on_message(topic, mv[0:len(payload)], False)


def payloads(name):
    # each one read into the receive buffer (yielded: a view of it)
    mv = memoryview(rx)
    size = bytearray(2)
    with open(name, "rb") as f:
        while f.readinto(size) == 2:
            n = size[0] | size[1] << 8
            f.readinto(mv[0:n])
            yield mv[0:n]


def snap(o, rev=1, st="placed"):
    return wire.encode(fakes.snapshot(o, rev, st))


class Listener:
    def __init__(self):
        self.snaps = []
        self.answers = []

    def on_snapshot(self, o):
        self.snaps.append(o)

    def on_answer(self, o, why):
        self.answers.append((o, why))


# --- eviction: held orders are kept before any other (limit 6)
store = OrderStore("ev", limit=6)
store.set_hold([1, 2, 3])
for o in (1, 2, 3, 4, 5, 6):
    check(store.offer(snap(o)) == o, "stored %d" % o)
check(store.held() == 3, "held %d" % store.held())
check(store.offer(snap(7)) == 7 and store.rev(4) == 0, "4 evicted, not 1")
check(store.offer(snap(8, st="shipped")) is None, "no pickable evicted")
store.get(5)                                    # the open order
store.set_hold([5, 6, 7])                       # 1..3 dropped
check(sorted(store.ids()) == [5, 6, 7], store.ids())
check(store.held() == 3, "held after the change")
store.set_hold([])                              # the open one stays
check(sorted(store.ids()) == [5], store.ids())
check(store.held() == 0, "nothing held")
store.set_hold([9, 5])
check(OrderStore("ev", limit=6).hold == [9, 5], "the list after a reboot")
check(OrderStore("ev", limit=6).held() == 1, "held after a reboot")
# a list on flash that is not one: hold nothing
with open("ev/hold", "wb") as f:
    f.write(b"\xff\xff\xff\xff\x01\x00\x00\x00")
check(OrderStore("ev", limit=6).hold == [], "bad file: nothing held")
with open("ev/hold", "wb") as f:
    f.write(b"")
check(OrderStore("ev", limit=6).hold == [], "empty file: nothing held")

# --- the session's side: hold messages
store = OrderStore("data")
listener = Listener()
sync = Sync(fakes.Board(), CFG, fakes.Journal(), store, listener, rxbuf=rx)
check(sync._subs == [] and sync._unsubs == [], "nothing to follow")
deliver(HOLD, wire.encode(wire.hold([11, 12, 13])))
check(store.hold == [11, 12, 13], store.hold)
check(sync._subs == [11, 12, 13], sync._subs)
sync._subs[:] = []                              # subscribed
with open("data/hold", "rb") as f:
    before = f.read()
n = 0
for payload in payloads("hold.bin"):
    sync._on_message(HOLD, payload, True)
    n += 1
    check(store.hold == [11, 12, 13], "hostile hold %d: %r" % (n, store.hold))
    check(sync._subs == [] and sync._unsubs == [], "followed %d" % n)
with open("data/hold", "rb") as f:
    check(f.read() == before, "the file unchanged")
check(sync.ignored == n, "ignored %d of %d" % (sync.ignored, n))
deliver(HOLD, wire.encode(wire.hold([13, 14])))
check(sync._subs == [14] and sync._unsubs == [11, 12], (sync._subs,
                                                        sync._unsubs))
deliver(HOLD, wire.encode(wire.hold([12, 13])))   # before it was followed
check(sync._subs == [12] and sync._unsubs == [11, 14], (sync._subs,
                                                        sync._unsubs))
deliver(HOLD, b"")                                  # hold nothing
check(store.hold == [] and sync._subs == [], store.hold)
check(sorted(sync._unsubs) == [11, 12, 13, 14], sync._unsubs)
check(OrderStore("data").hold == [], "nothing held after a reboot")
deliver(HOLD, wire.encode(wire.hold([15])))
gc.collect()
check(Sync(fakes.Board(), CFG, fakes.Journal(), OrderStore("data"), listener,
           rxbuf=rx)._subs == [15], "a boot subscribes to the held ones")

# --- answers
ignored = sync.ignored
m = 0
for payload in payloads("answer.bin"):
    sync._on_message(ANSWER, payload, False)
    m += 1
    check(not listener.snaps and not listener.answers,
          "hostile answer %d: %r %r" % (m, listener.snaps, listener.answers))
check(store.rev(42) == 0, "nothing stored")
check(sync.ignored == ignored + m, "ignored %d" % (sync.ignored - ignored))
deliver(ANSWER, wire.encode(wire.no_order(42)))
deliver(ANSWER, wire.encode(wire.no_order(43, "gone_fishing")))
check(listener.answers == [(42, "unknown_order"), (43, "gone_fishing")],
      listener.answers)
deliver(ANSWER, snap(42, 2, "shipped"))
deliver(ANSWER, snap(42, 2, "shipped"))            # a repeat: no news
check(listener.snaps == [42] and store.rev(42) == 2, listener.snaps)
check(store.held() == 0, "an answer is not held")
os.stat("data/hold")
print("REFUSED", n, m)
print("OK")
