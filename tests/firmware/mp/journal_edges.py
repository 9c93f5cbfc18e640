import builtins
import sys
from gun.journal import Journal

ROOT = sys.argv[1]


def check(cond, msg):
    if not cond:
        print("FAIL", msg)
        sys.exit(1)


def code(i):
    return "PGB:B%d:CBD-OIL-30:L1:X" % i


# A state past the log's last record (left by a firmware that let an ack
# beyond the events written move the next seq on), with the dead records
# still in the log: the next append rewrites the log first, and its own
# record must survive that rewrite.
j = Journal(ROOT + "/a", capacity=6, compact_at=3)
for i in range(2):
    j.append("pick", 1, 0, code=code(i))
check(j.ack(j.ep, 5) == 0 and j.next_seq == 3, "ack beyond refused")
j._write_state(j.ep, 5)
j = Journal(ROOT + "/a", capacity=6, compact_at=3)
check(j.next_seq == 6 and j.pending_count() == 0, "state past the log")
check(j.append("pick", 1, 0, code=code(9)) == 6, "append after jump")
j = Journal(ROOT + "/a", capacity=6, compact_at=3)
p = j.pending()
check([s for s, _ in p] == [6] and code(9).encode() in p[0][1], "kept %r" % p)

# A compaction that fails in ack() (flash error) leaves the dead records:
# the ack stands, and they go at the next compaction.
j = Journal(ROOT + "/d", capacity=6, compact_at=1)
for i in range(3):
    j.append("pick", 1, 0, code=code(i))
real = j._compact


def broken():
    raise OSError(5)


j._compact = broken
check(j.ack(j.ep, 2) == 2, "ack with a failed compaction")
j._compact = real
check([s for s, _ in j.pending()] == [3], "dead records hidden")
j = Journal(ROOT + "/d", capacity=6, compact_at=1)
check((j.upto, [s for s, _ in j.pending()]) == (2, [3]), "after reboot")

# Out of heap while opening the log: nothing written, nothing changed, and
# the same append then works.
j = Journal(ROOT + "/b", capacity=6, compact_at=3)
j.append("pick", 1, 0, code=code(1))

real_open = builtins.open


def no_heap(*a):
    raise MemoryError


builtins.open = no_heap
try:
    j.append("pick", 1, 0, code=code(2))
    check(False, "no MemoryError")
except MemoryError:
    pass
builtins.open = real_open
check((j.next_seq, j.pending_count()) == (2, 1), "unchanged")
check(j.append("pick", 1, 0, code=code(2)) == 2, "append after")
j = Journal(ROOT + "/b", capacity=6, compact_at=3)
check([s for s, _ in j.pending()] == [1, 2], "reopened")

# A log with more records than the offset table was sized for (written
# with a larger capacity): the table grows.
j = Journal(ROOT + "/c", capacity=40)
for i in range(40):
    j.append("pick", 1, 0, code=code(i))
j = Journal(ROOT + "/c", capacity=4, compact_at=2)
check(j.pending_count() == 40 and j.full(), "all indexed")
check(j.read(40) is not None and j.read(1) is not None, "read ends")
j.ack(j.ep, 39)
check([s for s, _ in j.pending()] == [40], "compacted")
print("OK")
