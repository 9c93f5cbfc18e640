# Order snapshots cached on flash, so an order opens while offline.
#
# One file per order in <root>/orders, named <order>_<rev>_<gen>_<p>:
# rev is the snapshot's revision, gen a counter that orders the files by when
# they were stored, p 1 when the order is pickable.  The name carries all
# the index, so start-up lists the directory without reading any snapshot.
# A new revision is written to <name>.t, renamed into place, and only then
# is the old revision removed: a power cut leaves the old or the new one
# (start-up keeps the highest rev of an order and deletes the rest).
#
# Orders that are no longer pickable (shipped, cancelled...) are kept, with
# their pick=false snapshot, so the gun can say "Order not placed" rather
# than "Unknown order"; they are the first to go when the store is full.
# Beyond `limit` orders the least recently stored non-pickable order is
# evicted, else the least recently stored one; a non-pickable snapshot of an
# order not cached yet is not stored while that would evict a pickable one.
import os

from shared import wire

MAX_SNAPSHOT = 6144     # bytes; bigger snapshots are refused


def _makedirs(path):
    cur = ""
    for part in path.split("/"):
        if not part:
            cur = cur or "/"
            continue
        cur = cur + part if (not cur or cur.endswith("/")) else cur + "/" + part
        try:
            os.stat(cur)
        except OSError:
            os.mkdir(cur)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


class OrderStore:
    def __init__(self, root, limit=48):
        self.dir = root.rstrip("/") + "/orders"
        self.limit = limit
        self._idx = {}          # order -> [rev, gen, pickable]
        self._gen = 0
        self._last = None       # (order, dict) of the last get()
        _makedirs(self.dir)
        self._load()

    def _name(self, oid, e):
        return "%s/%d_%d_%d_%d" % (self.dir, oid, e[0], e[1], e[2])

    def _load(self):
        idx = self._idx
        for name in os.listdir(self.dir):
            parts = name.split("_")
            try:
                if name.endswith(".t") or len(parts) != 4:
                    raise ValueError
                oid, rev, gen, p = [int(x) for x in parts]
            except ValueError:
                _remove(self.dir + "/" + name)
                continue
            cur = idx.get(oid)
            if cur is not None:
                if cur[0] >= rev:
                    _remove(self._name(oid, [rev, gen, p]))
                    continue
                _remove(self._name(oid, cur))
            idx[oid] = [rev, gen, p]
            if gen > self._gen:
                self._gen = gen

    def __len__(self):
        return len(self._idx)

    def ids(self):
        return list(self._idx)

    def rev(self, order_id):
        e = self._idx.get(order_id)
        return e[0] if e else 0

    def _victim(self, exclude):
        old = None
        oldp = None
        for oid, e in self._idx.items():
            if oid == exclude:
                continue
            if not e[2] and (oldp is None or e[1] < self._idx[oldp][1]):
                oldp = oid
            if old is None or e[1] < self._idx[old][1]:
                old = oid
        return oldp if oldp is not None else old

    def offer(self, payload, order_id=None):
        """Keep a snapshot if it is valid and newer than the cached one.
        Returns the order id when stored, else None.  Never raises."""
        try:
            if payload is None or len(payload) > MAX_SNAPSHOT:
                return None
            obj = wire.check_snapshot(wire.decode(payload))
        except Exception:
            return None
        oid = obj["o"]
        rev = obj["rev"]
        if order_id is not None and oid != order_id:
            return None
        cur = self._idx.get(oid)
        if cur is not None and rev <= cur[0]:
            return None                      # stale or a repeat
        pick = 1 if obj.get("pick") is True else 0
        victim = None
        if cur is None and len(self._idx) >= self.limit:
            victim = self._victim(oid)
            if victim is not None and self._idx[victim][2] and not pick:
                return None
        self._gen += 1
        e = [rev, self._gen, pick]
        name = self._name(oid, e)
        try:
            with open(name + ".t", "wb") as f:
                f.write(payload)
            os.rename(name + ".t", name)
        except Exception:
            _remove(name + ".t")
            return None
        if cur is not None:
            _remove(self._name(oid, cur))
        self._idx[oid] = e
        if victim is not None:
            self.drop(victim)
        if self._last is not None and self._last[0] == oid:
            self._last = None
        return oid

    def get(self, order_id):
        """The cached snapshot (a dict) of an order, or None."""
        last = self._last
        if last is not None and last[0] == order_id:
            return last[1]
        e = self._idx.get(order_id)
        if e is None:
            return None
        try:
            with open(self._name(order_id, e), "rb") as f:
                obj = wire.decode(f.read())
        except Exception:
            return None
        self._last = (order_id, obj)
        return obj

    def drop(self, order_id):
        e = self._idx.pop(order_id, None)
        if e is not None:
            _remove(self._name(order_id, e))
        if self._last is not None and self._last[0] == order_id:
            self._last = None
