# The app and the sync session together: the server refuses a notes
# acknowledgement, and the refusal reaches the screen before the ack is
# recorded, even when the heap is full the first time it arrives.
from sync_acks_app_buffers import RX, picks
import json

import fakes
from gun.app import App
from gun.journal import Journal
from gun.store import OrderStore
from gun.sync import Sync
from shared import wire


def deliver(topic, obj):
    payload = json.dumps(obj).encode()
    RX[0:len(payload)] = payload
    sync._on_message(topic, memoryview(RX)[0:len(payload)], False)


board = fakes.Board()
journal = Journal("data/journal")
store = OrderStore("data")
app = App(board, journal, store, picks=picks)
sync = Sync(board, {"id": "G01", "password": "pw", "broker": "127.0.0.1"},
            journal, store, app, rxbuf=RX)
app.sync = sync

deliver("pickgun/order/1042", fakes.snapshot(
    notes=[wire.note(3, "Fragile"), wire.note(9, "Call client first")]))
assert app.on_scan(fakes.order()) == "order"
for _ in range(3):
    app.on_key("OK")
assert app.screen == "picking"
assert app.on_scan(fakes.bottle("B000001")) == "accepted"
sync._hi = 2                 # both published (what _session does)
# The server refuses the acknowledgement (a note it no longer has) and
# accepts the pick; the ack's own o and c are not what the gun shows.
ack = {"v": 1, "ep": journal.ep, "since": 0, "upto": 2,
       "rej": [{"seq": 1, "why": "unknown_note", "o": 7, "c": "x"}]}
# The first time, the heap is full while the app takes the rejection in:
# the ack is not recorded (no PUBACK), and the broker delivers it again.
show = app.on_acked


def full(rej):
    raise MemoryError


app.on_acked = full
try:
    deliver("pickgun/dev/G01/ack", ack)
    raise AssertionError("ack taken while its rejection was not shown")
except MemoryError:
    pass
assert (journal.upto, journal.pending_count()) == (0, 2)
app.on_acked = show
deliver("pickgun/dev/G01/ack", ack)
assert (journal.upto, journal.pending_count()) == (2, 0)
rows = app.refresh()
assert app.screen == "refused" and board.beeps[-1] == "warn", rows
assert rows[3:6] == ["Notes refused:", "Unknown note", "Order 1042"], rows
app.on_key("OK")
rows = app.refresh()
assert app.screen == "note" and rows[1] == "NOTE 1/2", rows
assert app.on_scan(fakes.bottle("B000002")) == "notes_pending"
app.on_key("OK")
for _ in range(2):
    app.on_key("OK")
ev = wire.decode(journal.read(3))
assert ev["k"] == "notes_ack" and ev["n"] == [3, 9], ev
assert app.on_scan(fakes.bottle("B000002")) == "accepted"
print("OK")
