"""The orders each gun holds offline: its hold list (docs/protocol.md,
"Orders a gun holds, and orders on demand").

A gun's list, without repeats, at most wire.HOLD_MAX:
1. the placed orders it touched (a get, or an event it sent) in the
   last TOUCHED_DAYS days, most recent first, at most TOUCHED_MAX;
2. its share of the picking list: the oldest placed orders (the picking
   list's order, server.orders.picking) dealt to it, up to its offline
   share (devices.offline_share, 0 to SHARE_MAX).  Each placed order is
   dealt to k guns in service by consistent hashing: every gun has
   POINTS points on a ring (the blake2b of its id and the point's
   number), an order sits at the blake2b of its number, and its guns
   are the first k different guns clockwise from it.  A gun's share
   depends only on the orders dealt to it, so an order placed or shipped
   changes only its own guns' lists, and a gun added or retired moves
   only the orders whose arcs it takes or leaves.  A gun that already holds
   a dealt order (it touched it) does not count it again; a full gun
   lets it go (the order goes to fewer guns).

k = min(G, max(K_MIN, S // P)) for G guns in service, S the sum of
their shares and P placed orders: every gun once the shares cover the
placed orders G times over, and never fewer than K_MIN (an order's other
gun may be on its charger).

The ring costs G * POINTS hashes to build (500 guns: about 30 ms), and
an order's guns a binary search and a short walk; Dealer keeps the ring
while the guns in service stay the same.  (Rendezvous hashing, every gun
ranked for every order, deals alike but costs G hashes an order: 2 s for
5,000 orders and 500 guns, each time a gun is provisioned, with the
guns' acks held up meanwhile.)  A recomputation reads the placed orders
and touches and deals them, stopping once every gun is full
(bench/holds.py)."""
import bisect
import hashlib
import json
import time

from server.core.wording import timestamp
from server.orders.picking import picking_order_ids
from server.orders import states
from shared import wire

SHARE_DEFAULT = 24
SHARE_MAX = 28
TOUCHED_MAX = 12
TOUCHED_DAYS = 7
K_MIN = 2
POINTS = 64             # points on the ring per gun


def deal_size(guns, total_share, placed):
    """k: how many guns each placed order is dealt to."""
    if placed == 0:
        return guns
    return min(guns, max(K_MIN, total_share // placed))


def _point(data):
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(),
                          "big")


class Ring:
    """The guns' points on the hash ring, for dealing orders."""

    def __init__(self, devices):
        points = sorted((_point(b"%s#%d" % (d.encode(), i)), d)
                        for d in devices for i in range(POINTS))
        self._at = [p for p, _ in points]
        self._gun = [d for _, d in points]
        self.size = len(set(devices))

    def top(self, order_id, k):
        """The first k different guns clockwise from the order."""
        out = []
        n = len(self._at)
        if not n:
            return out
        k = min(k, self.size)
        i = bisect.bisect_right(self._at, _point(b"%d" % order_id))
        while len(out) < k:
            d = self._gun[i % n]
            if d not in out:
                out.append(d)
            i += 1
        return out


def deal(placed, shares, touched, top=None):
    """{device: hold list} for the guns in service.

    placed: placed order ids, oldest first; shares: {device: offline
    share}, every gun in service; touched: {device: [order ids it
    touched, most recent first]} (orders not placed are skipped);
    top(order, k): the order's k guns (Ring.top)."""
    top = top or Ring(list(shares)).top
    placed_set = set(placed)
    lists = {}
    for device in shares:
        mine = []
        for o in touched.get(device, ()):
            if o in placed_set and o not in mine:
                mine.append(o)
                if len(mine) == TOUCHED_MAX:
                    break
        lists[device] = mine
    room = {d: min(s, wire.HOLD_MAX - len(lists[d]))
            for d, s in shares.items()}
    room = {d: r for d, r in room.items() if r > 0}
    k = deal_size(len(shares), sum(shares.values()), len(placed))
    for o in placed:
        if not room:
            break                        # every gun is full
        for device in top(o, k):
            left = room.get(device)
            if left is None or o in lists[device]:
                continue
            lists[device].append(o)
            if left == 1:
                del room[device]
            else:
                room[device] = left - 1
    return lists


class Dealer:
    """Hold lists from the database, keeping the ring while the guns in
    service stay the same (one per worker process)."""

    def __init__(self):
        self._guns = ()
        self._ring = Ring(())

    def lists(self, db, now=None):
        return self.deal(picking_order_ids(db), in_service(db),
                         touched(db, now))

    def deal(self, placed, shares, touched):
        """deal(), with the ring kept."""
        guns = tuple(shares)
        if guns != self._guns:
            self._guns, self._ring = guns, Ring(guns)
        return deal(placed, shares, touched, self._ring.top)


# ---------------------------------------------------------------- reads
def in_service(db):
    """{device: offline share} of the guns in service (not retired)."""
    return {r[0]: r[1] for r in db.execute(
        "SELECT id, offline_share FROM devices WHERE retired_at IS NULL "
        "ORDER BY id")}


def touched(db, now=None):
    """{device: [placed orders it touched lately, most recent first]}."""
    out = {}
    for r in db.execute(
            "SELECT t.device_id, t.order_id FROM device_touches t "
            "JOIN orders o ON o.id = t.order_id WHERE t.at >= ? "
            "AND o.status IN (%s) ORDER BY t.device_id, t.at DESC, "
            "t.order_id DESC" % ",".join("?" * len(states.FULFILMENT)),
            [_cutoff(now), *states.FULFILMENT]):
        out.setdefault(r[0], []).append(r[1])
    return out


def sent_lists(db):
    """{device: the hold list last handed to the broker, or None}, with
    whether each device is retired: {device: (list or None, retired)}."""
    return {r[0]: (json.loads(r[1]) if r[1] is not None else None,
                   r[2] is not None)
            for r in db.execute(
                "SELECT id, hold_sent, retired_at FROM devices")}


def current_list(db, device_id):
    """The hold list last sent to a gun ([] if none)."""
    row = db.execute("SELECT hold_sent FROM devices WHERE id = ?",
                     [device_id]).fetchone()
    return json.loads(row[0]) if row and row[0] is not None else []


def changes(db, lists, everything=False):
    """[(device, orders or None)] to publish: each gun in service whose
    list differs from the one last sent (every one if `everything`), and
    None (clear it) for each retired gun still holding a list (every
    retired one if `everything`: a broker may have brought one back)."""
    out = []
    for device, (sent, retired) in sorted(sent_lists(db).items()):
        if retired:
            if sent is not None or everything:
                out.append((device, None))
        elif device in lists and (everything or lists[device] != sent):
            out.append((device, lists[device]))
    return out


# --------------------------------------------------------------- writes
def mark_sent(db, sent):
    """Record [(device, orders or None)] as handed to the broker."""
    db.conn.executemany("UPDATE devices SET hold_sent = ? WHERE id = ?",
                   [(json.dumps(o) if o is not None else None, d)
                    for d, o in sent])


TOUCH = ("INSERT INTO device_touches (device_id, order_id, at) "
         "VALUES (?, ?, ?) ON CONFLICT (device_id, order_id) "
         "DO UPDATE SET at = max(at, excluded.at)")


def touch(db, rows):
    """Record [(device, order id, at)]: the gun asked for the order or
    sent an event for it."""
    db.conn.executemany(TOUCH, rows)


def forget_old_touches(db, now=None):
    db.execute("DELETE FROM device_touches WHERE at < ?", [_cutoff(now)])


def set_share(db, device_id, share):
    """Set a gun's offline share (0 to SHARE_MAX); False if no such gun."""
    cur = db.execute("UPDATE devices SET offline_share = ? WHERE id = ?",
                     [share, device_id])
    return cur.rowcount == 1


def _cutoff(now):
    return timestamp((now if now is not None else time.time())
                     - TOUCHED_DAYS * 86400)
