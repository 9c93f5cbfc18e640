import sys
import vfs
import json
import gc
from gun.journal import Journal
from sim_flash import Flash, umount

BS = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
NB = 65536 // BS  # 64 KiB of simulated NOR flash
CAP = 10
COMPACT = 3

if len(sys.argv) > 4 and sys.argv[4] == "fat":
    # FAT's rename over an existing file (extmod/vfs_fat.c): the target is
    # removed, then the file renamed, two steps a power cut can come
    # between; littlefs keeps each step whole, so only that gap is new.
    import os
    import gun.journal

    class FatRename:
        remove = os.remove
        mkdir = os.mkdir
        urandom = os.urandom

        @staticmethod
        def rename(old, new):
            try:
                os.remove(new)
            except OSError:
                pass
            os.rename(old, new)

    gun.journal.os = FatRename


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
            if i == 19:  # a clean reboot in the middle
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
    dev = Flash(data, BS)  # the old device stays dead: this is the copy
    vfs.mount(vfs.VfsLfs2(dev), "/fl")
    try:
        j = Journal("/fl/j", capacity=CAP, compact_at=COMPACT)
        if ep is not None and j.ep != ep:
            fail("cut %d: epoch changed %r -> %r" % (cut, ep, j.ep))
        if not acked <= j.upto <= tried:
            fail(
                "cut %d: upto %d not in [%d, %d]" % (cut, j.upto, acked, tried)
            )
        pend = j.pending()
        if len(pend) != j.pending_count():
            fail("cut %d: pending_count" % cut)
        last = 0
        seen = {}
        for seq, payload in pend:
            ev = json.loads(payload)
            if (
                seq <= last
                or seq <= j.upto
                or ev["seq"] != seq
                or ev["ep"] != j.ep
            ):
                fail(
                    "cut %d: bad pending %d after %d (upto %d)"
                    % (cut, seq, last, j.upto)
                )
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
            fail(
                "cut %d: next_seq %d reuses (top %d)" % (cut, j.next_seq, top)
            )
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
