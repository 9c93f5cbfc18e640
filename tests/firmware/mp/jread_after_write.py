from gun.journal import Journal
from shared import wire
from sim_flash import umount
from jread_flash import CAP, WANT, code, fail, image, mount, state


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
            fail(
                "read %d (once %s): after recovery %r %r"
                % (k, once, got[:3], [s for s, _ in got[3]])
            )
        if j.append(wire.PICK, 1042, 0, code=code(97)) != WANT[2]:
            fail("read %d: seq after recovery" % k)
        if j.ack(WANT[0], 12) != 1:
            fail("read %d: ack after recovery" % k)
        umount("/fl")
        mount(dev.data)
        r = Journal("/fl/j", capacity=CAP, compact_at=8)
        rp = r.pending()
        umount("/fl")
        if (
            (r.ep, r.upto, r.next_seq) != (WANT[0], 12, WANT[2] + 1)
            or rp[:5] != WANT[3][1:]
            or code(97).encode() not in rp[-1][1]
        ):
            fail(
                "read %d (once %s): on flash %r"
                % (k, once, (r.ep, r.upto, r.next_seq))
            )
print("WRITE", READS, "OK")
