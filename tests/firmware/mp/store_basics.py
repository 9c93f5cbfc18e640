import os
import sys
from shared import wire
from gun.store import OrderStore

ROOT = sys.argv[1]


def check(cond, msg):
    if not cond:
        print("FAIL", msg)
        sys.exit(1)


def snap(o, rev, st="placed", qty=2):
    return wire.encode(
        wire.snapshot(
            o,
            rev,
            st,
            "Client %d" % o,
            [
                {
                    "sku": "CBD-OIL-30",
                    "name": "CBD oil 30 ml",
                    "qty": qty,
                    "got": 0,
                }
            ],
            [{"id": 1, "text": "Fragile"}],
            [],
        )
    )


s = OrderStore(ROOT, limit=4)
check(s.get(1042) is None, "empty")
check(s.offer(snap(1042, 3)) == 1042, "store")
o = s.get(1042)
check(o["rev"] == 3 and o["lines"][0]["qty"] == 2 and o["pick"], "get")
check(s.offer(snap(1042, 3, qty=9)) is None, "same rev ignored")
check(s.offer(snap(1042, 2, qty=9)) is None, "stale rev ignored")
check(s.get(1042)["lines"][0]["qty"] == 2, "kept newer")
check(
    s.offer(snap(1042, 4, qty=5)) == 1042
    and s.get(1042)["lines"][0]["qty"] == 5,
    "newer",
)
check(len(os.listdir(ROOT + "/orders")) == 1, "one file per order")
check(s.offer(snap(1042, 9), order_id=1043) is None, "topic/payload mismatch")

# malformed: never raises
for bad in (
    b"",
    b"\xff\xfe",
    b"[]",
    b"{",
    b'{"v": 2}',
    b'{"v": 1, "o": 5}',
    b'{"v": 1, "o": 5, "rev": 1, "st": "placed", '
    b'"lines": [{"sku": 5}], "notes": [], "bot": []}',
    b'{"v": 1, "o": "5", "rev": 1, "st": "placed", '
    b'"lines": [], "notes": [], "bot": []}',
    b'{"v": 1, "o": 5, "rev": 0, "st": "placed", '
    b'"lines": [], "notes": [], "bot": []}',
    b'{"v": 1, "o": 5, "rev": 1, "st": "bogus", '
    b'"lines": [], "notes": [], "bot": []}',
    b"x" * 10000,
    None,
):
    check(s.offer(bad) is None, "bad %r" % (bad,)[:40])
check(s.ids() == [1042], "bad ones not stored")

# reopen
s = OrderStore(ROOT, limit=4)
check(s.ids() == [1042] and s.get(1042)["rev"] == 4, "reopen")

# a crash between writing the new revision and removing the old one
with open(ROOT + "/orders/1042_3_1_1", "wb") as f:
    f.write(snap(1042, 3))
with open(ROOT + "/orders/1042_5_99_1.t", "wb") as f:
    f.write(b"torn")
s = OrderStore(ROOT, limit=4)
check(
    s.get(1042)["rev"] == 4 and len(os.listdir(ROOT + "/orders")) == 1,
    "leftovers cleaned",
)

# a file an older gun stored without checking it (a client that is not a
# string), or one holding another order: dropped when read, not shown
bad = wire.snapshot(1050, 2, "placed", 5, [], [], [None])
with open(ROOT + "/orders/1050_2_50_1", "wb") as f:
    f.write(wire.encode(bad))
with open(ROOT + "/orders/1051_2_51_1", "wb") as f:
    f.write(snap(1052, 2))
s = OrderStore(ROOT, limit=4)
check(sorted(s.ids()) == [1042, 1050, 1051], "indexed by name %r" % s.ids())
check(s.get(1050) is None and s.get(1051) is None, "refused when read")
check(s.ids() == [1042] and len(os.listdir(ROOT + "/orders")) == 1, "dropped")
check(s.get(1042)["rev"] == 4, "the good one stays")

# not pickable: kept with pick=false
check(s.offer(snap(1042, 5, st="shipped")) == 1042, "shipped stored")
check(
    s.get(1042)["pick"] is False and s.get(1042)["st"] == "shipped",
    "pick false",
)

# eviction: limit 4; non-pickable go first, then the least recently
# stored, never the open order (the last one read)
for o in (2001, 2002, 2003):
    check(s.offer(snap(o, 1)) == o, "store %d" % o)
check(s.get(2001)["o"] == 2001, "open 2001")
check(s.offer(snap(2004, 1)) == 2004, "store 2004")
check(
    sorted(s.ids()) == [2001, 2002, 2003, 2004],
    "shipped 1042 evicted %r" % s.ids(),
)
check(s.offer(snap(2005, 1)) == 2005, "store 2005")
check(
    sorted(s.ids()) == [2001, 2003, 2004, 2005],
    "oldest but the open one (2002) evicted %r" % s.ids(),
)
check(
    s.offer(snap(2001, 2)) == 2001 and s.get(2001)["rev"] == 2, "refresh 2001"
)
check(
    s.offer(snap(2006, 1, st="cancelled")) is None,
    "not-pickable newcomer does not evict a pickable order",
)
check(len(os.listdir(ROOT + "/orders")) == 4, "files match")
s = OrderStore(ROOT, limit=4)
check(
    sorted(s.ids()) == [2001, 2003, 2004, 2005] and s.rev(2001) == 2,
    "reopen after eviction",
)
check(
    s.offer(snap(2007, 1)) == 2007 and 2003 not in s.ids(),
    "order of storing survives reboot",
)
s.drop(2007)
check(s.get(2007) is None and 2007 not in s.ids(), "drop")

# the open order alone in a store of one: a newcomer is not stored
one = OrderStore(ROOT + "/one", limit=1)
check(one.offer(snap(3001, 1)) == 3001 and one.get(3001)["o"] == 3001, "one")
check(one.offer(snap(3002, 1)) is None and one.ids() == [3001], "open kept")
check(
    one.offer(snap(3001, 2)) == 3001 and one.get(3001)["rev"] == 2, "own rev"
)

# more files than the index has slots (a smaller limit): start-up keeps
# what offer() would keep: pickable orders first, then the most recently
# stored
check(s.offer(snap(2008, 1)) == 2008, "store 2008")
check(s.offer(snap(2004, 2, st="shipped")) == 2004, "2004 shipped")
s = OrderStore(ROOT, limit=2)
check(
    sorted(s.ids()) == [2001, 2008] and len(s) == 2,
    "kept newest pickable %r" % s.ids(),
)
check(len(os.listdir(ROOT + "/orders")) == 2, "others deleted")
check(s.rev(2001) == 2 and s.get(2008)["rev"] == 1, "readable")

# the snapshot is parsed straight from the receive buffer
rx = bytearray(8192)
p = snap(2009, 1)
rx[0 : len(p)] = p
check(s.offer(memoryview(rx)[0 : len(p)], 2009) == 2009, "from a memoryview")
check(
    sorted(s.ids()) == [2008, 2009] and s.get(2009)["o"] == 2009,
    "evicted 2001, not the open 2008",
)
print("OK")
