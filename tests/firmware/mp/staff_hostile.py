# Runs in a folder holding roster.bin and lots.bin: hostile rosters and
# lots messages, each after its size (2 bytes, little-endian).  Each goes
# to Sync._on_message from the receive buffer, as the MQTT client hands
# it over, on to the app's Staff: none changes who is signed in, the
# roster, the lots or the files kept on flash.
from snapshots_buffers import rx
import os
import fakes
from gun.app import App
from gun.store import OrderStore
from gun.sync import Sync
from gun.staff import Staff
from shared import wire

CFG = {"id": "G01", "password": "pw", "broker": "127.0.0.1"}
BODY = "PGS:42:K3J9XQ2M7PLA"


def check(cond, msg):
    if not cond:
        print("FAIL", msg)
        raise SystemExit(1)


def deliver(topic, payload):
    mv = memoryview(rx)
    mv[0:len(payload)] = payload
    sync._on_message(topic, mv[0:len(payload)], True)


def payloads(name):
    mv = memoryview(rx)
    size = bytearray(2)
    with open(name, "rb") as f:
        while f.readinto(size) == 2:
            n = size[0] | size[1] << 8
            f.readinto(mv[0:n])
            yield mv[0:n]


def files():
    out = {}
    for name in ("roster", "lots"):
        with open("data/" + name, "rb") as f:
            out[name] = f.read()
    return out


class Board(fakes.Board):
    DATA_DIR = "data"


os.mkdir("data")
app = App(Board(), fakes.Journal(), OrderStore("data"))
sync = Sync(app.board, CFG, app.journal, app.store, app, rxbuf=rx)
st = app.staff
deliver(wire.ROSTER_TOPIC, wire.encode(wire.roster(
    [{"id": 42, "n": "Ana P.", "h": wire.badge_hash(BODY)}], True, 30)))
deliver(wire.LOTS_TOPIC, wire.encode(wire.lots([["L2311A", "lot_recalled"]])))
check(app.on_scan(BODY + ":" + wire.check_char(BODY)) == "signed_in", "in")
kept = files()
n = 0
for topic, name in ((wire.ROSTER_TOPIC, "roster.bin"),
                    (wire.LOTS_TOPIC, "lots.bin")):
    for payload in payloads(name):
        n += 1
        sync._on_message(topic, payload, True)
        check((st.who, st.name, st.req, st.idle, len(st._ids)) ==
              (42, "Ana P.", True, 30, 1), "hostile %d: %r" % (n, st.who))
        check(st.lot("L2311A") == "lot_recalled" and st.lot("L1") is None,
              "lots %d" % n)
        check(files() == kept, "files %d" % n)
        check(app.journal.by == 42, "by %d" % n)
check(sync.ignored == n, "ignored %d of %d" % (sync.ignored, n))
# A reboot reads back what was kept (signed out: RAM only).
again = Staff("data")
check((again.who, again.req, again.lot("L2311A")) == (0, True,
                                                      "lot_recalled"), "boot")
# Empty payloads: no roster (signed out at once), no lot refused.
deliver(wire.ROSTER_TOPIC, b"")
check(st.who == 0 and not st.req and app.journal.by is None, "no roster")
check(app.screen == "staff" and app.reason == "signed_out", app.screen)
deliver(wire.LOTS_TOPIC, b"")
check(st.lot("L2311A") is None, "no lots")
again = Staff("data")
check(not again.req and again.lot("L2311A") is None, "none after a boot")
print("REFUSED", n)
print("OK")
