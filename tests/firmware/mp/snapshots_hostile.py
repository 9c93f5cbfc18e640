# Runs in a folder holding good.bin, hostile.bin and odd.bin: snapshot
# payloads, each after its size (2 bytes, little-endian).
from snapshots_buffers import picks, rx
import gc
import fakes
from gun.journal import Journal
from gun.store import OrderStore
from gun.sync import Sync
from gun.app import App

TOPIC = "pickgun/order/1042"
CFG = {"id": "G01", "password": "pw", "broker": "127.0.0.1"}


def check(cond, msg):
    if not cond:
        print("FAIL", msg)
        raise SystemExit(1)


def payloads(name):
    # Each one into the receive buffer, as the MQTT client hands it over.
    mv = memoryview(rx)
    size = bytearray(2)
    with open(name, "rb") as f:
        while f.readinto(size) == 2:
            n = size[0] | size[1] << 8
            f.readinto(mv[0:n])
            yield mv[0:n]


board = fakes.Board()
journal = Journal("data")
store = OrderStore("data")
app = App(board, journal, store, picks=picks)
sync = Sync(board, CFG, journal, store, app, rxbuf=rx)
app.sync = sync

for payload in payloads("good.bin"):
    sync._on_message(TOPIC, payload, True)
check(store.rev(1042) == 3, "good snapshot stored")
check(app.on_scan(fakes.order(1042)) == "order", "opened")
app.on_key("OK")  # the information note
check(app.on_scan(fakes.bottle("B000001")) == "accepted", "pick")
check(journal.pending_count() == 1, "journal")
screen = app.screen
rows = app.refresh()

i = 0
for payload in payloads("hostile.bin"):
    for topic in (TOPIC, "pickgun/order/1043"):
        try:
            sync._on_message(topic, payload, True)
        except Exception as e:
            check(False, "%d raised %r" % (i, e))
    try:
        shown = app.refresh()
    except Exception as e:
        check(False, "%d: screen %r" % (i, e))
    check(
        store.rev(1042) == 3 and store.get(1042)["rev"] == 3,
        "%d replaced the cached snapshot" % i,
    )
    check(store.ids() == [1042], "%d stored %r" % (i, store.ids()))
    check(journal.pending_count() == 1, "%d journal" % i)
    check(app.screen == screen and shown == rows, "%d screen changed" % i)
    payload = shown = None
    gc.collect()
    i += 1
print("REFUSED", i)

# Picking goes on: the order opens again, the next bottle is accepted.
check(app.on_scan(fakes.order(1042)) == "order", "reopened")
app.on_key("OK")
check(app.on_scan(fakes.bottle("B000002")) == "accepted", "next pick")
check(app.on_scan(fakes.bottle("B000100")) == "duplicate", "bot kept")

rev = 10
for payload in payloads("odd.bin"):
    sync._on_message(TOPIC, payload, True)
    check(store.rev(1042) == rev, "odd snapshot %d refused" % rev)
    app.refresh()
    check(app.on_scan(fakes.order(1042)) == "order", "odd reopened")
    n = 0
    while app.screen != "picking" and n < 40:
        app.refresh()
        app.on_key("OK")
        n += 1
    app.refresh()
    check(app.screen == "picking", "odd %d: %s" % (rev, app.screen))
    rev += 1
# two picks and the acknowledgement of notes 5 and 7
check(journal.pending_count() == 3, "journal %d" % journal.pending_count())

# All of it on flash as it was.
check(OrderStore("data").rev(1042) == rev - 1, "store reopened")
check(Journal("data").pending_count() == 3, "journal reopened")
print("OK")
