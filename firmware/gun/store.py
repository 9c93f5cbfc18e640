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
# The hold list (wire.check_hold: the orders the server wants the gun to
# open offline, at most wire.HOLD_MAX) is kept in <root>/hold, the orders
# as 32-bit integers, written to hold.t and renamed into place; a file that
# cannot be read or holds anything but order numbers counts as an empty
# list.  The sync session subscribes to the held orders' snapshots
# (gun/sync.py).  When the list drops a pickable order, its cached
# snapshot goes (no change to it would arrive any more), unless it is the
# open order.
# Beyond `limit` orders one is evicted: one not on the hold list before
# any held one; among those, the least recently stored non-pickable order,
# else the least recently stored one; never the open order (the last one
# get() returned: the app reads the order the associate has open through
# get()).  A non-pickable snapshot of an order not cached yet is not
# stored while that would evict a pickable one.  With `limit` above
# wire.HOLD_MAX there is always room for the orders the gun asks for.
# The victim's file is removed before the newcomer's is written, so a
# power cut never leaves more files than slots; a directory holding more
# anyway (a smaller limit) is trimmed at start-up by the same rule.
# The index is three preallocated arrays (order, rev, gen) and a bytearray
# (pickable), one slot per order: storing a snapshot allocates nothing that
# outlives the call, so a stream of snapshots cannot pin small objects all
# over the heap.  Only the last snapshot read is kept parsed (the open
# order's); any other is read back from flash when asked for.  Snapshots
# are parsed straight from the receive buffer or the file (json.loads of a
# memoryview, json.load of a stream), never copied whole into a bytes and
# then a str: no contiguous block of a snapshot's size is needed.  A
# snapshot over wire.SNAPSHOT_MAX bytes, or one wire.check_snapshot()
# refuses, is not stored: the cached revision stays; a cached file it
# refuses when read back is deleted (not one the flash or the heap failed
# to read: that is tried again).
# A valid snapshot the store could not keep (the flash full or failing,
# the heap full) is "missed": `missed` then holds the flash's free blocks
# at that moment plus one, so the sync session can ask the broker for the
# retained snapshots again once there is more room, or at the next
# connection (gun/sync.py); the message itself is gone.
import json
import os
from array import array
from micropython import const

from shared import wire


def parse(src):
    """A snapshot's JSON object from a buffer or an open file; what
    wire.decode() accepts, without its copies."""
    try:
        obj = json.load(src) if hasattr(src, "readinto") else json.loads(src)
    except (OSError, MemoryError):
        raise                   # the flash or the heap, not the snapshot
    except Exception:
        raise wire.WireError("payload is not JSON") from None
    v = obj.get("v") if isinstance(obj, dict) else None
    if type(v) is not int or v != wire.VERSION:     # not true, not 1.0
        raise wire.WireError("not a snapshot of this version")
    return obj


_HOLD_BYTES = const(160)        # 4 * wire.HOLD_MAX
_ORDER_END = const(1000000000)  # order numbers have at most 9 digits


def _makedirs(path):
    cur = ""
    for part in path.split("/"):
        if not part:
            cur = cur or "/"
            continue
        cur = cur + part if (not cur or cur.endswith("/")) else \
            cur + "/" + part
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
        # slot i: order _oid[i] (0: free), revision, generation, pickable
        self._oid = array("I", bytes(4 * limit))
        self._rev = array("I", bytes(4 * limit))
        self._gen = array("I", bytes(4 * limit))
        self._pick = bytearray(limit)
        self._n = 0
        self._top = 0           # highest generation so far
        self._last = 0          # the order of the last get(): the open one
        self.snap = None        # its snapshot, parsed (None: read it again)
        self.missed = 0         # free blocks + 1 when one was missed, or 0
        self._hold_path = root.rstrip("/") + "/hold"
        self.hold = []          # the orders on the hold list, in its order
        self.changes = 0        # counts what changes held(): the idle
                                # screen redraws when it moves
        _makedirs(self.dir)
        self._load_hold()
        self._load()

    # ------------------------------------------------------------ hold list
    def _load_hold(self):
        a = array("I", bytes(_HOLD_BYTES))
        try:
            with open(self._hold_path, "rb") as f:
                n = f.readinto(a) // 4
        except Exception:       # no list yet, or unreadable: hold nothing
            return
        hold = [a[i] for i in range(n)]
        for o in hold:
            if not 0 < o < _ORDER_END:
                return
        self.hold = hold

    def set_hold(self, orders):
        """Take a new hold list (checked: wire.check_hold) and keep it on
        flash; a pickable order it drops loses its cached snapshot unless
        it is open.  Returns the previous list.  A flash error propagates
        (the list in memory is then unchanged)."""
        path = self._hold_path
        with open(path + ".t", "wb") as f:
            f.write(array("I", orders))
        os.rename(path + ".t", path)
        old = self.hold
        self.hold = orders
        self.changes += 1
        for o in old:
            if o not in orders and o != self._last:
                i = self._slot(o)
                if i >= 0 and self._pick[i]:
                    self._drop_slot(i)
        return old

    def held(self):
        """How many pickable orders on the hold list are cached: the
        orders the gun can open offline."""
        n = 0
        hold = self.hold
        for i in range(self._n):
            if self._pick[i] and self._oid[i] in hold:
                n += 1
        return n

    def _rank(self, oid, pick):
        # what eviction spares most: held, then pickable
        return (2 if oid in self.hold else 0) + pick

    def _name(self, oid, rev, gen, pick):
        return "%s/%d_%d_%d_%d" % (self.dir, oid, rev, gen, pick)

    def _slot_name(self, i):
        return self._name(self._oid[i], self._rev[i], self._gen[i],
                          self._pick[i])

    def _slot(self, oid):
        o = self._oid
        for i in range(self._n):
            if o[i] == oid:
                return i
        return -1

    def _put(self, i, oid, rev, gen, pick):
        if i < 0:
            i = self._n
            self._n = i + 1
        self._oid[i] = oid
        self._rev[i] = rev
        self._gen[i] = gen
        self._pick[i] = pick
        self.changes += 1
        if gen > self._top:
            self._top = gen

    def _free(self, i):
        """Empty slot i (the last slot moves into it)."""
        n = self._n - 1
        self._oid[i] = self._oid[n]
        self._rev[i] = self._rev[n]
        self._gen[i] = self._gen[n]
        self._pick[i] = self._pick[n]
        self._oid[n] = 0
        self._n = n
        self.changes += 1

    def _load(self):
        top = wire.SMALL_MAX
        for name in os.listdir(self.dir):
            parts = name.split("_")
            try:
                if name.endswith(".t") or len(parts) != 4:
                    raise ValueError
                oid, rev, gen, p = [int(x) for x in parts]
                if not 0 < oid <= top or not 0 <= rev <= top or \
                        not 0 <= gen <= top or p not in (0, 1):
                    raise ValueError
            except ValueError:
                _remove(self.dir + "/" + name)
                continue
            i = self._slot(oid)
            if i >= 0:
                if self._rev[i] >= rev:
                    _remove(self._name(oid, rev, gen, p))
                    continue
                _remove(self._slot_name(i))
            elif self._n >= self.limit:
                # More files than slots: the one offer() would evict goes.
                v = self._victim(0)
                r = self._rank(oid, p)
                rv = self._rank(self._oid[v], self._pick[v])
                if r < rv or r == rv and gen < self._gen[v]:
                    _remove(self._name(oid, rev, gen, p))
                    continue
                _remove(self._slot_name(v))
                self._free(v)
            self._put(i, oid, rev, gen, p)

    def __len__(self):
        return self._n

    def ids(self):
        return [self._oid[i] for i in range(self._n)]

    def rev(self, order_id):
        i = self._slot(order_id)
        return self._rev[i] if i >= 0 else 0

    def left(self):
        """Free blocks left on the flash (0 when it cannot tell)."""
        try:
            st = os.statvfs(self.dir)
        except Exception:
            return 0
        # littlefs counts blocks in use by walking the files, and near
        # full may count more than there are: the free count wraps.
        return st[3] if st[3] <= st[2] else 0

    def _victim(self, exclude):
        """Slot to evict: of the orders ranked lowest (not held before
        held, non-pickable before pickable) the least recently stored,
        never `exclude` nor the open order; -1 if none."""
        v = -1
        rv = 0
        g = self._gen
        for i in range(self._n):
            o = self._oid[i]
            if o == exclude or o == self._last:
                continue
            r = self._rank(o, self._pick[i])
            if v < 0 or r < rv or r == rv and g[i] < g[v]:
                v = i
                rv = r
        return v

    def offer(self, payload, order_id=None):
        """Keep a snapshot if it is valid and newer than the cached one.
        Returns the order id when stored, else None.  Never raises."""
        try:
            if payload is None or len(payload) > wire.SNAPSHOT_MAX:
                return None
            obj = wire.check_snapshot(parse(payload))
            oid = obj["o"]
            rev = obj["rev"]
            pick = 1 if obj["pick"] else 0
            obj = None
            if order_id is not None and oid != order_id:
                return None
        except MemoryError:
            self.missed = self.left() + 1
            return None
        except Exception:
            return None
        i = self._slot(oid)
        if i >= 0 and rev <= self._rev[i]:
            return None                      # stale or a repeat
        if i < 0 and self._n >= self.limit:
            v = self._victim(oid)
            if v < 0 or self._pick[v] and not pick:
                return None
            self._drop_slot(v)
        gen = self._top + 1
        name = self._name(oid, rev, gen, pick)
        try:
            with open(name + ".t", "wb") as f:
                f.write(payload)
            os.rename(name + ".t", name)
        except Exception:
            _remove(name + ".t")
            self.missed = self.left() + 1
            return None
        if i >= 0:
            _remove(self._slot_name(i))
        self._put(i, oid, rev, gen, pick)
        if oid == self._last:
            self.snap = None
        return oid

    def get(self, order_id):
        """The cached snapshot (a dict) of an order, or None."""
        if order_id == self._last and self.snap is not None:
            return self.snap
        i = self._slot(order_id)
        if i < 0:
            return None
        self.snap = None        # let the old dict go before parsing
        # Checked again: a file an older gun stored without checking, or
        # flash gone bad, is dropped rather than shown.
        try:
            with open(self._slot_name(i), "rb") as f:
                obj = wire.check_snapshot(parse(f))
            bad = obj["o"] != order_id
        except wire.WireError:
            bad = True
        except Exception:       # out of heap, flash error: try again later
            return None
        if bad:
            self._drop_slot(i)
            return None
        self._last = order_id
        self.snap = obj
        return obj

    def _drop_slot(self, i):
        oid = self._oid[i]
        _remove(self._slot_name(i))
        self._free(i)
        if oid == self._last:
            self.snap = None

    def drop(self, order_id):
        i = self._slot(order_id)
        if i >= 0:
            self._drop_slot(i)
        elif order_id == self._last:
            self.snap = None
