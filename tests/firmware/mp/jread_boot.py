from gun.journal import Journal
from sim_flash import umount
from jread_flash import CAP, WANT, fail, image, mount, state

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
            refused += 1  # the gun stops on "Flash error"
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
