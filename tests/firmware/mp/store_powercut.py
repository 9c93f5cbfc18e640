import sys
import os
import vfs
import gc
from shared import wire
from gun.store import OrderStore
from sim_flash import Flash, umount

BS = int(sys.argv[1])
NB = 65536 // BS  # 64 KiB of simulated NOR flash
LIMIT = 4
OPEN = 1042


def fail(msg):
    print("FAIL", msg)
    sys.exit(1)


def snap(o, rev, st="placed"):
    notes = [wire.note(1, "Fragile: pack with care " * 4)]
    return wire.encode(
        wire.snapshot(
            o,
            rev,
            st,
            "Jane R.",
            [
                {
                    "sku": "CBD-OIL-30",
                    "name": "CBD Oil 30 mL",
                    "qty": 9,
                    "got": 0,
                }
            ],
            notes,
            ["B%06d" % i for i in range(o % 7)],
        )
    )


# Two shelves: (orders stored first, oldest first; the newcomer).  The open
# order is the oldest of all; in the first a non-pickable order is there
# to be evicted, in the second every order is pickable.
SHELVES = (
    ((OPEN, 2001, 2002, 2003), {2001: "cancelled"}, 2004),
    ((OPEN, 2001, 2002, 2003), {}, 2004),
)


def fill(data, shelf):
    dev = Flash(data, BS)
    vfs.mount(vfs.VfsLfs2(dev), "/fl")
    s = OrderStore("/fl", limit=LIMIT)
    for o in shelf[0]:
        if s.offer(snap(o, 1, shelf[1].get(o, "placed"))) != o:
            fail("fill %d" % o)
    umount("/fl")


def scenario(data, cut, shelf):
    # The associate has OPEN open; its next revision and a newcomer arrive.
    dev = Flash(data, BS, cut)
    stored = []
    try:
        vfs.mount(vfs.VfsLfs2(dev), "/fl")
        s = OrderStore("/fl", limit=LIMIT)
        if s.get(OPEN)["o"] != OPEN:
            fail("cut %d: open" % cut)
        if s.offer(snap(shelf[2], 1)) == shelf[2]:
            stored.append(shelf[2])
        if s.offer(snap(OPEN, 2)) == OPEN:
            stored.append(OPEN)
        if dev.cut == 0 and OPEN not in s.ids():
            fail("open order evicted while open %r" % s.ids())
    except Exception:
        pass
    umount("/fl")
    return dev.writes, stored


def verify(data, cut, shelf, stored):
    dev = Flash(data, BS)
    vfs.mount(vfs.VfsLfs2(dev), "/fl")
    try:
        s = OrderStore("/fl", limit=LIMIT)
        ids = s.ids()
        if OPEN not in ids:
            fail("cut %d: open order %d evicted, kept %r" % (cut, OPEN, ids))
        o = s.get(OPEN)
        if (
            o is None
            or o["rev"] not in (1, 2)
            or (OPEN in stored and o["rev"] != 2)
        ):
            fail("cut %d: open order unreadable or stale %r" % (cut, o))
        if len(ids) > LIMIT or len(os.listdir("/fl/orders")) != len(ids):
            fail(
                "cut %d: files %r for %r"
                % (cut, os.listdir("/fl/orders"), ids)
            )
        for i in ids:
            if s.get(i) is None:
                fail("cut %d: %d unreadable" % (cut, i))
        if shelf[2] in stored and shelf[2] not in ids:
            fail("cut %d: stored newcomer lost" % cut)
        if shelf[1] and shelf[2] in ids and 2001 in ids:
            fail("cut %d: kept a non-pickable order over %r" % (cut, ids))
        # and the store keeps working, the associate back on the order
        s.get(OPEN)
        if s.offer(snap(2999, 1)) != 2999 or OPEN not in s.ids():
            fail("cut %d: store after recovery %r" % (cut, s.ids()))
    finally:
        umount("/fl")


base = bytearray(NB * BS)
work = bytearray(len(base))
total = 0
done = 0
for shelf in SHELVES:
    base[:] = b"\xff" * len(base)
    vfs.VfsLfs2.mkfs(Flash(base, BS))
    fill(base, shelf)
    work[:] = base
    writes, stored = scenario(work, 0, shelf)
    verify(work, 0, shelf, stored)
    if len(stored) != 2:
        fail("clean run stored %r" % stored)
    total += writes
    for cut in range(1, writes + 1):
        work[:] = base
        n, stored = scenario(work, cut, shelf)
        verify(work, cut, shelf, stored)
        done += 1
        gc.collect()
print("CUTS", done, "WRITES", total, "OK")
