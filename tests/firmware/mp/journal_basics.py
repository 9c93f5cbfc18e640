import os
import sys
import json
from gun.journal import Journal, JournalFull

ROOT = sys.argv[1]


def check(cond, msg):
    if not cond:
        print("FAIL", msg)
        sys.exit(1)


j = Journal(ROOT, capacity=6, compact_at=3)
ep = j.ep
check(1 <= ep < 2**31, "epoch range")
check(
    (j.upto, j.next_seq, j.pending_count(), j.pending()) == (0, 1, 0, []),
    "empty",
)
seqs = [
    j.append("pick", 1042, 100 + i, code="PGB:B%d:CBD-OIL-30:L1:X" % i)
    for i in range(4)
]
check(seqs == [1, 2, 3, 4], "seqs %r" % seqs)
p = j.pending()
check([s for s, _ in p] == seqs, "pending seqs")
ev = json.loads(p[2][1])
check(
    ev
    == {
        "v": 1,
        "ep": ep,
        "seq": 3,
        "k": "pick",
        "o": 1042,
        "at": 102,
        "c": "PGB:B2:CBD-OIL-30:L1:X",
    },
    "payload %r" % ev,
)
check(j.pending(limit=2, start=2) == p[1:3], "window")
check(j.read(4) == p[3][1] and j.read(9) is None, "read")

# acks: other epoch, stale, duplicate, beyond
check(j.ack(ep + 1, 4) == 0 and j.pending_count() == 4, "other epoch ignored")
check(j.ack(ep, 0) == 0, "zero ack")
check(j.ack(ep, 2) == 2 and j.pending_count() == 2, "ack 2")
check(j.ack(ep, 2) == 0 and j.ack(ep, 1) == 0, "duplicate / stale ack")
check([s for s, _ in j.pending()] == [3, 4], "pending after ack")
check(j.read(2) is None, "acked not readable")

# reopen: seq, epoch and upto survive
j = Journal(ROOT, capacity=6, compact_at=3)
check(
    (j.ep, j.upto, j.next_seq) == (ep, 2, 5),
    "reopen %r" % ((j.ep, j.upto, j.next_seq),),
)
check([s for s, _ in j.pending()] == [3, 4], "pending after reopen")

# full
for i in range(4):
    j.append("notes_ack", 7, 0, notes=[i])
check(j.full() and j.pending_count() == 6, "full")
try:
    j.append("pick", 1, 0, code="x")
    check(False, "append on full journal")
except JournalFull:
    pass
check(j.next_seq == 9, "no seq consumed by refused append")

# compaction: 3 dead records trigger a rewrite, then only pending records stay
size0 = os.stat(ROOT + "/journal.log")[6]
check(j.ack(ep, 5) == 3, "ack 5")
size1 = os.stat(ROOT + "/journal.log")[6]
check(size1 < size0, "compacted %d -> %d" % (size0, size1))
check(j.pending_count() == 3 and not j.full(), "after compaction")
check([s for s, _ in j.pending()] == [6, 7, 8], "pending after compaction")

# everything acked, compacted away: seq still survives a reboot
check(j.ack(ep, 8) == 3 and j.pending_count() == 0, "ack all")
j.compact()
check(os.stat(ROOT + "/journal.log")[6] == 8, "log is header only")
j = Journal(ROOT, capacity=6, compact_at=3)
check(
    (j.ep, j.upto, j.next_seq, j.pending()) == (ep, 8, 9, []),
    "reopen after all acked",
)
check(j.append("pick", 1, 0, code="PGB:Z") == 9, "seq continues")

# an ack beyond the last seq written is refused: nothing changes, on
# flash either (the server cannot hold what was never written)
check(j.ack(ep, 10) == 0 and j.ack(ep, 2**32 + 9) == 0, "ack beyond")
check((j.upto, j.next_seq, j.pending_count()) == (8, 10, 1), "unchanged")
j = Journal(ROOT, capacity=6, compact_at=3)
check((j.upto, j.next_seq, j.pending_count()) == (8, 10, 1), "persisted")
check(j.ack(ep, 9) == 1 and j.next_seq == 10, "ack up to the last")
for _ in range(11):
    j.append("pick", 1, 0, code="PGB:Z")
    j.ack(ep, j.next_seq - 1)
check(j.next_seq == 21 and j.upto == 20, "seq continues %d" % j.next_seq)

# torn tail (as on a file system without littlefs's guarantees): dropped
j.append("pick", 1, 0, code="PGB:A")
j.append("pick", 1, 0, code="PGB:B")
with open(ROOT + "/journal.log", "ab") as f:
    f.write(b'\x30\x00\x17\x00\x00\x00{"v"')
j = Journal(ROOT, capacity=6, compact_at=3)
check(
    [s for s, _ in j.pending()] == [21, 22] and j.next_seq == 23,
    "torn tail dropped",
)
check(j.append("pick", 1, 0, code="PGB:C") == 23, "append after torn tail")
j = Journal(ROOT, capacity=6, compact_at=3)
check(
    [s for s, _ in j.pending()] == [21, 22, 23],
    "append after torn tail survives",
)

# corrupt record (bad crc) in the tail
with open(ROOT + "/journal.log", "rb") as f:
    data = bytearray(f.read())
data[-6] ^= 0x40
with open(ROOT + "/journal.log", "wb") as f:
    f.write(data)
j = Journal(ROOT, capacity=6, compact_at=3)
check(
    [s for s, _ in j.pending()] == [21, 22] and j.next_seq == 23,
    "bad crc dropped",
)

# state file lost: epoch recovered from the log
os.remove(ROOT + "/journal.st")
j = Journal(ROOT, capacity=6, compact_at=3)
check(j.ep == ep and [s for s, _ in j.pending()] == [21, 22], "state lost")

# both lost: a new epoch, seqs from 1
os.remove(ROOT + "/journal.st")
os.remove(ROOT + "/journal.log")
j = Journal(ROOT, capacity=6, compact_at=3)
check(j.ep != ep and j.next_seq == 1, "new epoch")
print("OK")
