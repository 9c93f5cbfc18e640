# argv: the data folder, the config file.  The journal and the sync
# session, big buffers first, before the board's code (as main.py does).
from gun_rx import RX
import json
import sys

from gun.journal import Journal
from gun.store import OrderStore
from gun.sync import Sync

DATA, CFG = sys.argv[1], sys.argv[2]


class Listener:
    def on_acked(self, rejected):
        pass

    def on_snapshot(self, order_id):
        pass

    def on_link(self, state):
        print("LINK", state)


with open(CFG) as f:
    cfg = json.load(f)
j = Journal(DATA, capacity=20)
sync = Sync(None, cfg, j, OrderStore(DATA), Listener(), rxbuf=RX)
cfg.pop("ca", None)  # the context holds the CA now
