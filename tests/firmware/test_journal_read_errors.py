"""A flash that fails reads (EIO) never costs the journal an event nor its
epoch: the real gun.journal inside MicroPython, on littlefs over a block
device whose reads fail from, or only at, each read the journal makes
while it loads at boot and while it re-reads itself after a failed write.
Only a file that does not exist, or a torn tail, may be started over."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp_run import mp_run  # noqa: E402

FLASH = r"""
import sys, vfs
from gun.journal import Journal
from shared import wire
from sim_flash import Flash, blank, umount

BS = 512
NB = 64
CAP = 40


def fail(msg):
    print("FAIL", msg)
    sys.exit(1)


def mount(data):
    dev = Flash(data, BS)
    vfs.mount(vfs.VfsLfs2(dev), "/fl")
    return dev


def state(j):
    return (j.ep, j.upto, j.next_seq, j.pending())


def code(i):
    return "PGB:B%04d:CBD-OIL-30:L2311A:X" % i


# A journal as a day leaves it: events acked and compacted away, dead
# records still in the log (acked, not compacted yet), and unacked ones,
# a notes acknowledgement among them.
image = blank(NB * BS)
vfs.VfsLfs2.mkfs(Flash(image, BS))
mount(image)
j = Journal("/fl/j", capacity=CAP, compact_at=8)
for i in range(1, 11):
    j.append(wire.PICK, 1042, 1700000000 + i, code=code(i))
j.ack(j.ep, 8)                      # compacted: 9 and 10 stay
for i in range(11, 17):
    j.append(wire.PICK, 1042, 1700000000 + i, code=code(i))
j.append(wire.NOTES_ACK, 1042, 1700000017, notes=[3, 4])
j.ack(j.ep, 11)                     # 9..11 dead, still in the log
WANT = state(j)
if WANT[1:3] != (11, 18) or [s for s, _ in WANT[3]] != list(range(12, 18)):
    fail("set-up %r" % (WANT[:3],))
umount("/fl")
"""

BOOT = FLASH + r"""
# How many reads a clean boot's load makes.
data = bytearray(image)
dev = mount(data)
r0 = dev.reads
if state(Journal("/fl/j", capacity=CAP, compact_at=8)) != WANT:
    fail("clean boot")
READS = dev.reads - r0
umount("/fl")

refused = 0
for once in (True, False):
    for k in range(1, READS + 2):
        data = bytearray(image)
        dev = mount(data)
        dev.bad = dev.reads + k
        dev.once = once
        try:
            got = state(Journal("/fl/j", capacity=CAP, compact_at=8))
            if got != WANT:
                fail("read %d (once %s): loaded %r" % (k, once, got[:3]))
        except OSError:
            refused += 1            # the gun stops on "Flash error"
        dev.bad = 0
        umount("/fl")
        # nothing was written on a read error: no new epoch, no new log
        if data != image:
            fail("read %d (once %s): the flash was written" % (k, once))
        mount(data)
        got = state(Journal("/fl/j", capacity=CAP, compact_at=8))
        umount("/fl")
        if got != WANT:
            fail("read %d (once %s): next boot %r" % (k, once, got[:3]))
print("BOOT", READS, refused, "OK")
"""

AFTER_WRITE = FLASH + r"""
def failing_append(dev, k, once):
    # A scan whose write fails while reads fail at read k of the re-read
    data = bytearray(image)
    dev = mount(data)
    j = Journal("/fl/j", capacity=CAP, compact_at=8)
    r0 = dev.reads
    dev.broken = True
    if k:
        dev.bad = r0 + k
        dev.once = once
    try:
        j.append(wire.PICK, 1042, 0, code=code(99))
        fail("append on a failing flash returned")
    except OSError:
        pass
    return dev, j, dev.reads - r0


# How many reads the failed append and its re-read make.
dev, j, READS = failing_append(None, 0, False)
umount("/fl")

for once in (True, False):
    for k in range(1, READS + 2):
        dev, j, n = failing_append(None, k, once)
        # While the flash still fails, scans and acks are refused and
        # nothing is sent from an index that may not match the flash.
        for _ in range(2):
            try:
                j.append(wire.PICK, 1042, 0, code=code(98))
                fail("read %d: appended on a failing flash" % k)
            except OSError:
                pass
            try:
                j.ack(WANT[0], 13)
                fail("read %d: ack written on a failing flash" % k)
            except OSError:
                pass
        if j.next_seq != WANT[2]:
            fail("read %d: next seq %d" % (k, j.next_seq))
        # The flash recovers: every event is there, the epoch stays, and
        # the journal goes on where it was.
        dev.broken = False
        dev.bad = 0
        got = state(j)
        if got != WANT:
            fail("read %d (once %s): after recovery %r %r"
                 % (k, once, got[:3], [s for s, _ in got[3]]))
        if j.append(wire.PICK, 1042, 0, code=code(97)) != WANT[2]:
            fail("read %d: seq after recovery" % k)
        if j.ack(WANT[0], 12) != 1:
            fail("read %d: ack after recovery" % k)
        umount("/fl")
        mount(dev.data)
        r = Journal("/fl/j", capacity=CAP, compact_at=8)
        rp = r.pending()
        umount("/fl")
        if (r.ep, r.upto, r.next_seq) != (WANT[0], 12, WANT[2] + 1) or \
                rp[:5] != WANT[3][1:] or code(97).encode() not in rp[-1][1]:
            fail("read %d (once %s): on flash %r" % (k, once,
                                                     (r.ep, r.upto, r.next_seq)))
print("WRITE", READS, "OK")
"""


def test_read_errors_at_boot_never_start_the_journal_over(tmp_path):
    out = mp_run(tmp_path, BOOT, heap="512k").stdout.split()
    assert out[0] == "BOOT" and out[-1] == "OK", out
    reads, refused = int(out[1]), int(out[2])
    # every read of the load is tried, and a read error refuses the load
    assert reads > 4 and refused >= reads, out


def test_read_errors_after_a_failed_write_never_lose_an_event(tmp_path):
    out = mp_run(tmp_path, AFTER_WRITE, heap="512k").stdout.split()
    assert out[0] == "WRITE" and out[-1] == "OK" and int(out[1]) > 4, out
