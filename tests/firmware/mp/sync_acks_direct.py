# argv: the data folder, then "fresh" (hostile acks from DATA/../cases.bin,
# each a 2-byte little-endian length then the payload, change nothing;
# then acks that apply) or "reboot" (the same journal after a power cut).
# The acks go straight to the session's message handler.
from sync_acks_buffers import BUF, RX
import json
import sys
from time import ticks_diff, ticks_ms

from gun.journal import Journal
from gun.store import OrderStore
from gun.sync import Sync

DATA = sys.argv[1]
MODE = sys.argv[2]


def check(cond, msg):
    if not cond:
        print("FAIL", msg)
        sys.exit(1)


class Board:
    def wifi_up(self):
        return False


class Listener:
    def __init__(self):
        self.shown = []
        self.calls = 0

    def on_acked(self, rejected):
        self.calls += 1
        for r in rejected:
            # what the gun knows when it shows it: the journal still holds
            # the event (the ack is recorded after this call)
            check(j.read(r["seq"]) is not None, "shown after the drop")
            self.shown.append((r["seq"], r["why"], r["o"], r["c"]))

    def on_link(self, state):
        pass

    def on_snapshot(self, order_id):
        pass


cfg = {"id": "G01", "password": "pw", "broker": "127.0.0.1"}
topic = "pickgun/dev/G01/ack"


def deliver(payload):
    BUF[0:len(payload)] = payload
    sync._on_message(topic, memoryview(BUF)[0:len(payload)], False)


def state():
    return (j.ep, j.upto, j.next_seq, j.pending_count())


j = Journal(DATA + "/journal", capacity=20)
listener = Listener()
if MODE == "fresh":
    sync = Sync(Board(), cfg, j, OrderStore(DATA), listener, rxbuf=RX)
    # Written after the session started and never published: no ack may
    # cover them.
    for i in range(4):
        j.append("pick", 1042, 0, code="PGB:B%d:CBD-OIL-30:L1:Q" % i)
    print("EP", j.ep)
    before = state()
    # Each case twice: with none of the events sent on this boot, and
    # with all of them sent (then only its own fault can refuse it).
    n = 0
    size = bytearray(2)
    for hi in (0, 4):
        sync._hi = hi
        with open(DATA + "/../cases.bin", "rb") as cases:
            while cases.readinto(size) == 2:
                ln = size[0] | size[1] << 8
                cases.readinto(memoryview(BUF)[0:ln])
                sync._on_message(topic, memoryview(BUF)[0:ln], False)
                n += 1
                check(state() == before, "changed by case %d: %r"
                      % (n, state()))
    check(listener.shown == [], "shown %r" % listener.shown)
    check(sync.ignored >= n - 6, "ignored %d of %d" % (sync.ignored, n))
    print("HOSTILE_OK", sync.ignored)
    # The events now go out: an ack up to what was sent applies.
    sync._hi = 3                 # seqs 1..3 published (what _session does)
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 0, "upto": 4,
                        "rej": []}).encode())
    check(state() == before, "ack beyond the published seq applied")
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 0, "upto": 3,
                        "rej": [{"seq": 2, "why": "unknown_bottle",
                                 "o": 999, "c": "PGB:FORGED"}]}).encode())
    check(state() == (j.ep, 3, 5, 1), "applied %r" % (state(),))
    # order and code as the gun wrote them, not as the ack claims
    check(listener.shown == [(2, "unknown_bottle", 1042,
                              "PGB:B1:CBD-OIL-30:L1:Q")], repr(listener.shown))
    # the same ack again, an older one, one about dropped events: nothing
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 0, "upto": 3, "rej": [
        {"seq": 2, "why": "unknown_bottle"}]}).encode())
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 1, "upto": 2, "rej": [
        {"seq": 2, "why": "unknown_bottle"}]}).encode())
    check(len(listener.shown) == 1, "told twice")
    # an ack whose since is above the gun's upto: an earlier ack was lost
    sync._hi = 4
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 4, "upto": 4,
                        "rej": []}).encode())
    check(state() == (j.ep, 3, 5, 1), "since above upto applied")
    check(ticks_diff(ticks_ms(), sync._mark) > sync.resend_ms,
          "no resend asked for")
    print("STATE", *state())
else:
    # After a reboot: everything written may have been sent before.
    sync = Sync(Board(), cfg, j, OrderStore(DATA), listener, rxbuf=RX)
    print("STATE", *state())
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 3, "upto": 5,
                        "rej": []}).encode())
    check(state()[1] == 3, "beyond the written seq applied")
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 3, "upto": 4,
                        "rej": [{"seq": 4, "why": "over_pick"}]}).encode())
    check(listener.shown == [(4, "over_pick", 1042,
                              "PGB:B3:CBD-OIL-30:L1:Q")], repr(listener.shown))
    check(j.append("pick", 1042, 0, code="PGB:B9:CBD-OIL-30:L1:Q") == 5,
          "next seq")
    print("AFTER", *state())
