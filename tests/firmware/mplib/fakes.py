# Stand-ins for the board, journal, order store and sync session, for
# firmware tests run inside MicroPython.
from shared import wire


class Board:
    NAME = "fake"
    DATA_DIR = "/nowhere"

    def __init__(self):
        self.beeps = []
        self.reports = []
        self.now = 1700000000

    def beep(self, pattern):
        self.beeps.append(pattern)

    def report(self, rows, state):
        self.reports.append((rows, state))

    def clock(self):
        return self.now

    def ticks_ms(self):
        return 0


class Journal:
    def __init__(self, capacity=400, ep=7):
        self.ep = ep
        self.upto = 0
        self.next_seq = 1
        self.capacity = capacity
        self.events = []            # (seq, payload bytes), unacked

    by = None

    def append(self, kind, order, at, code=None, notes=None):
        seq = self.next_seq
        self.next_seq += 1
        self.events.append((seq, wire.encode(
            wire.event(self.ep, seq, kind, order, at, code, notes,
                       self.by))))
        return seq

    def pending_count(self):
        return len(self.events)

    def pending(self, limit=None, start=None):
        out = [e for e in self.events if start is None or e[0] >= start]
        return out if limit is None else out[:limit]

    def ack(self, ep, upto):
        n = len(self.events)
        self.events = [e for e in self.events if e[0] > upto]
        self.upto = upto
        return n - len(self.events)

    def full(self):
        return len(self.events) >= self.capacity

    def decoded(self):
        return [wire.decode(p) for _, p in self.events]


class Store:
    changes = 0

    def __init__(self):
        self.snaps = {}

    def put(self, snap):
        self.snaps[snap["o"]] = snap

    def offer(self, payload):
        snap = wire.decode(payload)
        old = self.snaps.get(snap["o"])
        if old is None or snap["rev"] > old["rev"]:
            self.snaps[snap["o"]] = snap
            return snap["o"]
        return None

    def get(self, order_id):
        return self.snaps.get(order_id)

    def held(self):
        return sum(1 for s in self.snaps.values() if s.get("pick"))


class Sync:
    def __init__(self):
        self.kicks = 0
        self.why = None             # why the link is down (screen text)
        self.asked = 0              # the order last asked for (a get)

    def kick(self):
        self.kicks += 1

    def ask(self, order_id):
        self.asked = order_id


def snapshot(order=1042, rev=1, status="placed", lines=None, notes=None,
             bot=None):
    if lines is None:
        lines = [{"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL", "qty": 2,
                  "got": 0},
                 {"sku": "THC-FLW-3G", "name": "Flower 3 g", "qty": 1,
                  "got": 0}]
    return wire.snapshot(order, rev, status, "Jane Doe", lines,
                         notes or [], bot or [])


def bottle(serial, sku="CBD-OIL-30", lot="L2311A"):
    return wire.bottle_code(serial, sku, lot)


def order(oid=1042):
    return wire.order_code(oid)
