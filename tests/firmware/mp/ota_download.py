# gun/ota.py's update task against a web server (the test's, on
# 127.0.0.1:argv[1]), one step at a time, on a simulated data flash.
# argv: port, a JSON file: {"key": the release key (base64 modulus: a
# file, as the unix port fails on an argument of 256 characters or more),
# "cases": [[name, offer, pending, steps], ...]}: a fresh flash, the offer
# given to the
#   task, `pending` unsent events in the journal, then `steps` runs of
#   one update step (ended by a reset, an error or 3 s).
# Prints one JSON line per case: name, each step's outcome, what the
# status would say, fw/st and the files in fw/.
import asyncio
import json
import os
import sys
import vfs

from sim_flash import Flash, umount
from gun import ota


class Reset(Exception):
    pass


def _reset():
    raise Reset()


ota.reset = _reset


class Board:
    DATA_DIR = "/fl"

    def mount(self):
        pass

    async def open_connection(self, host, port, ssl=None):
        return await asyncio.open_connection(host, port)


class Journal:
    n = 0

    def pending_count(self):
        return self.n


class App:
    rows = []
    scanner = object()
    scans = keys = 0


class Sync:
    link = "online"
    _tls = None
    kicks = 0

    def kick(self):
        self.kicks += 1


PORT = sys.argv[1]
with open(sys.argv[2]) as f:
    ARGS = json.load(f)
KEY, CASES = ARGS["key"], ARGS["cases"]
CFG = {"id": "G01", "password": "pw-g01", "ota_key": KEY,
       "fw_url": "http://127.0.0.1:%s/" % PORT, "ota_idle_s": 0}


async def one(task, limit_ms):
    try:
        await asyncio.wait_for_ms(task, limit_ms)
        return "done"
    except Reset:
        return "reset"
    except asyncio.TimeoutError:
        return "waiting"
    except Exception as e:
        return "error " + repr(e)


data = bytearray(32 * 4096)
for name, offer, pending, steps in CASES:
    vfs.VfsLfs2.mkfs(Flash(data, 4096))
    vfs.mount(vfs.VfsLfs2(Flash(data, 4096)), "/fl")
    journal = Journal()
    journal.n = pending
    sync = Sync()
    up = ota.Ota(Board(), CFG, journal, App(), sync)
    up.offer(json.dumps(offer).encode())
    out = []
    for step in range(steps):
        if step == steps - 1:
            journal.n = 0           # the last step: all synced
        out.append(asyncio.run(one(up._step(), 2000)))
    print(json.dumps({"name": name, "steps": out, "state": up.state,
                      "st": ota.load("/fl/fw/"),
                      "files": sorted(os.listdir("/fl/fw"))}))
    umount("/fl")
