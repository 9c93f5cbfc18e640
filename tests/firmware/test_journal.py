"""gun.journal inside the real MicroPython (110 KB heap), including a power
cut at every flash write on littlefs over a simulated NOR flash."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp_run import mp_run  # noqa: E402

BASICS = r"""
import os, sys, json
from gun.journal import Journal, JournalFull

ROOT = sys.argv[1]

def check(cond, msg):
    if not cond:
        print("FAIL", msg)
        sys.exit(1)

j = Journal(ROOT, capacity=6, compact_at=3)
ep = j.ep
check(1 <= ep < 2 ** 31, "epoch range")
check((j.upto, j.next_seq, j.pending_count(), j.pending()) == (0, 1, 0, []), "empty")
seqs = [j.append("pick", 1042, 100 + i, code="PGB:B%d:CBD-OIL-30:L1:X" % i) for i in range(4)]
check(seqs == [1, 2, 3, 4], "seqs %r" % seqs)
p = j.pending()
check([s for s, _ in p] == seqs, "pending seqs")
ev = json.loads(p[2][1])
check(ev == {"v": 1, "ep": ep, "seq": 3, "k": "pick", "o": 1042, "at": 102,
             "c": "PGB:B2:CBD-OIL-30:L1:X"}, "payload %r" % ev)
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
check((j.ep, j.upto, j.next_seq) == (ep, 2, 5), "reopen %r" % ((j.ep, j.upto, j.next_seq),))
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
check((j.ep, j.upto, j.next_seq, j.pending()) == (ep, 8, 9, []), "reopen after all acked")
check(j.append("pick", 1, 0, code="PGB:Z") == 9, "seq continues")

# an ack beyond the last seq written is refused: nothing changes, on
# flash either (the server cannot hold what was never written)
check(j.ack(ep, 10) == 0 and j.ack(ep, 2 ** 32 + 9) == 0, "ack beyond")
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
    f.write(b"\x30\x00\x17\x00\x00\x00{\"v\"")
j = Journal(ROOT, capacity=6, compact_at=3)
check([s for s, _ in j.pending()] == [21, 22] and j.next_seq == 23, "torn tail dropped")
check(j.append("pick", 1, 0, code="PGB:C") == 23, "append after torn tail")
j = Journal(ROOT, capacity=6, compact_at=3)
check([s for s, _ in j.pending()] == [21, 22, 23], "append after torn tail survives")

# corrupt record (bad crc) in the tail
with open(ROOT + "/journal.log", "rb") as f:
    data = bytearray(f.read())
data[-6] ^= 0x40
with open(ROOT + "/journal.log", "wb") as f:
    f.write(data)
j = Journal(ROOT, capacity=6, compact_at=3)
check([s for s, _ in j.pending()] == [21, 22] and j.next_seq == 23, "bad crc dropped")

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
"""


def test_journal_basics(tmp_path):
    out = mp_run(tmp_path, BASICS, args=[str(tmp_path / "data" / "j")])
    assert out.stdout.strip().endswith("OK"), out.stdout


EDGES = r"""
import os, sys
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
import builtins
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
"""


def test_journal_edges(tmp_path):
    out = mp_run(tmp_path, EDGES, args=[str(tmp_path / "data")])
    assert out.stdout.strip().endswith("OK"), out.stdout


POWERCUT = r"""
import sys, os, vfs, json, gc
from gun.journal import Journal
from sim_flash import Flash, umount

BS = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
NB = 65536 // BS                     # 64 KiB of simulated NOR flash
CAP = 10
COMPACT = 3

def fail(msg):
    print("FAIL", msg)
    sys.exit(1)


def scenario(data, cut, log):
    # log: [ep or None, {seq: code} of appends that returned, upto of the
    # last ack that returned, highest upto ever tried]
    dev = Flash(data, BS, cut)
    try:
        vfs.mount(vfs.VfsLfs2(dev), "/fl")
        j = Journal("/fl/j", capacity=CAP, compact_at=COMPACT)
        log[0] = j.ep
        for i in range(1, 37):
            code = "PGB:B%04d:CBD-OIL-30:L2311A:%d" % (i, i % 10)
            seq = j.append("pick", 1000 + i % 3, 1700000000 + i, code=code)
            log[1][seq] = code
            if i % 4 == 0 or j.full():
                upto = j.next_seq - (1 if j.full() or i % 8 == 0 else 3)
                log[3] = max(log[3], upto)
                j.ack(j.ep, upto)
                log[2] = max(log[2], upto)
            if i == 19:          # a clean reboot in the middle
                j = Journal("/fl/j", capacity=CAP, compact_at=COMPACT)
        upto = j.next_seq - 1
        log[3] = max(log[3], upto)
        j.ack(j.ep, upto)
        log[2] = upto
        j.compact()
    except Exception:
        pass
    umount("/fl")
    return dev.writes


def verify(data, cut, log):
    ep, returned, acked, tried = log
    dev = Flash(data, BS)        # the old device stays dead: this is the copy
    vfs.mount(vfs.VfsLfs2(dev), "/fl")
    try:
        j = Journal("/fl/j", capacity=CAP, compact_at=COMPACT)
        if ep is not None and j.ep != ep:
            fail("cut %d: epoch changed %r -> %r" % (cut, ep, j.ep))
        if not acked <= j.upto <= tried:
            fail("cut %d: upto %d not in [%d, %d]" % (cut, j.upto, acked, tried))
        pend = j.pending()
        if len(pend) != j.pending_count():
            fail("cut %d: pending_count" % cut)
        last = 0
        seen = {}
        for seq, payload in pend:
            ev = json.loads(payload)
            if seq <= last or seq <= j.upto or ev["seq"] != seq or ev["ep"] != j.ep:
                fail("cut %d: bad pending %d after %d (upto %d)" % (cut, seq, last, j.upto))
            last = seq
            seen[seq] = ev["c"]
        top = max(returned) if returned else 0
        for seq, code in returned.items():
            if seq <= j.upto:
                continue
            if seen.get(seq) != code:
                fail("cut %d: beeped seq %d lost" % (cut, seq))
        for seq in seen:
            if seq not in returned and seq != top + 1:
                fail("cut %d: unexpected seq %d" % (cut, seq))
        if j.next_seq <= top or j.next_seq <= last:
            fail("cut %d: next_seq %d reuses (top %d)" % (cut, j.next_seq, top))
        # the recovered journal keeps working across another reboot
        if not j.full():
            n = j.next_seq
            if j.append("pick", 1, 0, code="PGB:AFTER") != n:
                fail("cut %d: append after recovery" % cut)
            j = Journal("/fl/j", capacity=CAP, compact_at=COMPACT)
            if j.read(n) is None or j.next_seq != n + 1:
                fail("cut %d: append after recovery lost" % cut)
    finally:
        umount("/fl")


base = bytearray(NB * BS)
base[:] = b"\xff" * len(base)
vfs.VfsLfs2.mkfs(Flash(base, BS))
work = bytearray(len(base))

work[:] = base
log = [None, {}, 0, 0]
total = scenario(work, 0, log)
verify(work, 0, log)
if len(log[1]) != 36:
    fail("clean run returned %d appends" % len(log[1]))
print("WRITES", total)
first = int(sys.argv[1]) if len(sys.argv) > 1 else 1
step = int(sys.argv[2]) if len(sys.argv) > 2 else 1
done = 0
for cut in range(first, total + 1, step):
    work[:] = base
    log = [None, {}, 0, 0]
    scenario(work, cut, log)
    verify(work, cut, log)
    done += 1
    gc.collect()
print("CUTS", done, "OK")
"""


def _run_cuts(tmp_path, block_size):
    import subprocess
    from mp_run import micropython_binary, mp_env, write_script
    path = write_script(tmp_path, POWERCUT, "powercut.py")
    return subprocess.Popen(
        [micropython_binary(), "-X", "heapsize=512k", str(path), "1", "1",
         str(block_size)], cwd=str(tmp_path), env=mp_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_journal_power_cut_at_every_write(tmp_path):
    # Two 64 KiB flash images (pristine + working) plus littlefs buffers:
    # this test runs with a 512k heap; the journal itself runs in 110k in
    # the other tests.  Two flash geometries (4 KiB sectors as on an ESP32,
    # and 512-byte blocks for more block boundaries), one process each.
    # Each cut leaves half of the interrupted program on flash.
    procs = [_run_cuts(tmp_path, bs) for bs in (4096, 512)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0 and "OK" in out, out[-3000:] + err[-3000:]
        total = int(out.split("WRITES")[1].split()[0])
        cuts = int(out.split("CUTS")[1].split()[0])
        assert cuts == total and total > 100, (cuts, total)
