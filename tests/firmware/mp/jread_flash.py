import sys
import vfs
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
j.ack(j.ep, 8)  # compacted: 9 and 10 stay
for i in range(11, 17):
    j.append(wire.PICK, 1042, 1700000000 + i, code=code(i))
j.append(wire.NOTES_ACK, 1042, 1700000017, notes=[3, 4])
j.ack(j.ep, 11)  # 9..11 dead, still in the log
WANT = state(j)
if WANT[1:3] != (11, 18) or [s for s, _ in WANT[3]] != list(range(12, 18)):
    fail("set-up %r" % (WANT[:3],))
umount("/fl")
