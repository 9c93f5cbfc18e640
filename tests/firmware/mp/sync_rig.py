# The gun's sync session on a bench rig, against a real broker: import
# this first (it allocates the big buffers before anything else, as main.py
# does), then call run_driver() with the script's driver.
# argv: the data folder, the broker's port, the work folder the test
# touches its signal files in; a driver may take more after them.
from gun_rx import RX
import gun.mqtt  # noqa: F401 (the largest module, while most heap is free)
import asyncio
import os
import sys
import time
from time import ticks_diff, ticks_ms

from gun.journal import Journal
from gun.store import OrderStore
from gun.sync import Sync

DATA, PORT, WORK = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Board:
    NAME = "bench-rig"
    DATA_DIR = DATA

    def wifi_up(self):
        return not exists("wifi_off")

    def wifi_status(self):
        return 1010 if self.wifi_up() else 201

    def resolve(self, host):
        return host

    def vitals(self):
        return 3900, -60, None, 5

    async def open_connection(self, host, port, ssl=None, name=None):
        if not self.wifi_up():
            raise OSError(113)
        return await asyncio.open_connection(host, port)

    def clock(self):
        return int(time.time())

    def ticks_ms(self):
        return ticks_ms()


class Listener:
    def __init__(self):
        self.acked = 0
        self.rejected = []
        self.snaps = []

    def on_acked(self, rejected):
        self.acked += 1
        self.rejected.extend(rejected)
        for r in rejected:
            print("REJ", r["seq"], r["why"])

    def on_snapshot(self, order_id):
        self.snaps.append(order_id)
        print("SNAP", order_id)

    def on_link(self, state):
        print("LINK", state)


def exists(name):
    """Whether the test has touched WORK/name."""
    try:
        os.stat(WORK + "/" + name)
        return True
    except OSError:
        return False


async def until(label, cond, ms=30000):
    t = ticks_ms()
    while not cond():
        if ticks_diff(ticks_ms(), t) > ms:
            print("FAIL timeout", label, j.pending_count(), sync.link,
                  repr(sync.last_error))
            sys.exit(1)
        await asyncio.sleep_ms(20)


board = Board()
j = Journal(DATA + "/journal", capacity=50)
store = OrderStore(DATA)
listener = Listener()
cfg = {"id": "G01", "password": "pw-g01", "broker": "127.0.0.1", "port": PORT,
       "fw": "test", "keepalive": 5, "window": 3, "resend_ms": 1500,
       "backoff_ms": 100, "backoff_max_ms": 800}
sync = Sync(board, cfg, j, store, listener, rxbuf=RX)
n = [0]


def scan(code=None):
    n[0] += 1
    seq = j.append("pick", 1042, board.clock(),
                   code=code or "PGB:B%d:CBD-OIL-30:L1:Q" % n[0])
    sync.kick()
    return seq


def state(tag):
    print(tag, j.ep, j.upto, j.next_seq, j.pending_count())


def run_driver(driver, settle_ms=100):
    """Run the session beside driver(), which ends it; cancel the session's
    task settle_ms after."""
    async def main():
        t = asyncio.create_task(sync.run())
        await driver()
        if settle_ms:
            await asyncio.sleep_ms(settle_ms)
        t.cancel()

    asyncio.run(main())
