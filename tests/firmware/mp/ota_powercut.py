# An update installed with the power cut at every write, on both chips:
# the data flash (littlefs: fw/ and its state) and the romfs partition.
#
# argv: image A, image B (ROMFS images holding v.txt, "A" and "B"), the
# scenario, first cut, step.  Scenarios, each from A as `pickgun flash`
# installed it and B downloaded and checked in fw/dl:
#   confirm    gun/ota.py stages B, boot.py saves A and copies B, B boots
#              on trial and confirms itself
#   back       ... B fails its checks: gun/ota.py asks for A back
#   restarts   ... B keeps restarting: boot.py rolls back by itself
#   again      B confirmed, then A offered again as a release: staged in
#              the other slot, B kept as the previous version
# After every cut the gun starts again (boot.py, then the update's next
# step: nothing else writes) and must boot A or B, the one its state says.
import gc
import hashlib
import json
import sys
import vfs

from sim_flash import Flash, umount
import boot
from gun import ota

BS = 4096
FS_BLOCKS = 64              # 256 KiB of data flash
ROM_BLOCKS = 16             # a 64 KiB partition
D = "/fl/fw/"


class Reset(Exception):
    pass


def _reset():
    raise Reset()


ota.reset = _reset          # a reset ends this boot: the harness's loop


def fail(msg):
    print("FAIL", msg)
    sys.exit(1)


class Chip(Flash):
    # Both chips lose power together: one count of writes (erases and
    # programs), `power` = [writes so far, the write the power is cut at].
    def __init__(self, data, power):
        Flash.__init__(self, data, BS)
        self.power = power

    def _tick(self):
        p = self.power
        p[0] += 1
        if p[1] and p[0] >= p[1]:
            if p[0] == p[1]:
                self.cut = self.writes + 1     # this one, half done
            else:
                self.broken = True

    def writeblocks(self, block, buf, off=0):
        self._tick()
        return Flash.writeblocks(self, block, buf, off)

    def ioctl(self, op, arg):
        if op == 6:
            self._tick()
        return Flash.ioctl(self, op, arg)


def read(name):
    with open(name, "rb") as f:
        return f.read()


IMG = {b"A": read(sys.argv[1]), b"B": read(sys.argv[2])}
SHA = {k: hashlib.sha256(v).digest().hex() for k, v in IMG.items()}
META = {b"A": ["0.1.0", len(IMG[b"A"]), SHA[b"A"]],
        b"B": ["0.2.0", len(IMG[b"B"]), SHA[b"B"]]}
SCENARIO = sys.argv[3]


def version(rom):
    """The version the gun boots: v.txt in the image the partition
    holds, mounted as MicroPython mounts it at start-up."""
    try:
        vfs.mount(vfs.VfsRom(rom), "/rom")
    except OSError:
        return None
    try:
        with open("/rom/v.txt", "rb") as f:
            return f.read()
    except OSError:
        return None
    finally:
        umount("/rom")


def boots(rom_dev):
    """Start the gun until boot.py lets it run (it resets after writing
    the partition); returns how many resets."""
    n = 0
    while boot.boot(rom_dev, D):
        n += 1
        if n > 8:
            fail("boot.py resets forever")
    return n


def steps(rom_dev):
    """The update from the staged download to its end; each step ends in
    a reset or returns."""
    st = ota.load(D)
    try:
        ota.stage(D, st)
    except Reset:
        pass
    boots(rom_dev)
    if SCENARIO == "restarts":
        for _ in range(boot.BOOTS + 1):
            boots(rom_dev)
        return
    st = ota.load(D)
    if SCENARIO == "back":
        try:
            ota.back(D, st, "no broker")
        except Reset:
            pass
    else:
        ota.confirm(D, st)
    boots(rom_dev)
    if SCENARIO == "again":
        # A offered as the next release: downloaded into fw/dl, staged.
        st = ota.load(D)
        with open(D + "dl", "wb") as f:
            f.write(IMG[b"A"])
        st["dl"] = ["0.3.0", META[b"A"][1], META[b"A"][2]]
        ota.save(D, st)
        try:
            ota.stage(D, ota.load(D))
        except Reset:
            pass
        boots(rom_dev)
        ota.confirm(D, ota.load(D))
        boots(rom_dev)


def prepare():
    """A as `pickgun flash` left it, B downloaded and checked."""
    fs = bytearray(b"\xff" * (FS_BLOCKS * BS))
    vfs.VfsLfs2.mkfs(Flash(fs, BS))
    rom = bytearray(b"\xff" * (ROM_BLOCKS * BS))
    rom[:len(IMG[b"A"])] = IMG[b"A"]
    vfs.mount(vfs.VfsLfs2(Flash(fs, BS)), "/fl")
    import os
    os.mkdir("/fl/fw")
    with open(D + "dl", "wb") as f:
        f.write(IMG[b"B"])
    ota.save(D, {"dl": META[b"B"]})
    umount("/fl")
    return fs, rom


def run(fs, rom, cut):
    """The scenario on these bytes, the power cut at write `cut` (0:
    never); returns how many writes it made."""
    power = [0, cut]
    f = Chip(fs, power)
    r = Chip(rom, power)
    try:
        vfs.mount(vfs.VfsLfs2(f), "/fl")
        steps(r)
    except Exception:
        pass                        # the cut
    umount("/fl")
    return power[0]


def after(fs, rom, cut):
    """Power back on (fresh devices over the same bytes): the gun boots;
    the version it boots and what its state says must agree, and be A
    or B.  Returns (version, state)."""
    f = Flash(fs, BS)
    r = Flash(rom, BS)
    vfs.mount(vfs.VfsLfs2(f), "/fl")
    try:
        boots(r)
        v = version(rom)
        st = ota.load(D)
    finally:
        umount("/fl")
    if v not in (b"A", b"B"):
        fail("cut %d: the gun boots %r" % (cut, v))
    if "rom" not in st:             # not staged yet: the one it ran
        if v != b"A":
            fail("cut %d: boots %r before B was staged" % (cut, v))
    else:
        meta = st["img"][st["rom"]]
        if meta[2] != SHA[v]:
            fail("cut %d: state says %r, the gun boots %r" % (cut, meta, v))
        other = st["img"].get("a" if st["rom"] == "b" else "b")
        if st.get("trial") and (not other or other[2] == meta[2]):
            fail("cut %d: on trial with nothing to go back to" % cut)
    return v, st


fs0, rom0 = prepare()
fs, rom = bytearray(fs0), bytearray(rom0)
total = run(fs, rom, 0)
v, st = after(fs, rom, 0)
want = {"confirm": b"B", "back": b"A", "restarts": b"A", "again": b"A"}
if v != want[SCENARIO] or st.get("trial"):
    fail("uncut %s: boots %r, state %r" % (SCENARIO, v, st))
if SCENARIO in ("back", "restarts") and (st["no"][1] != SHA[b"B"] or
                                         st["no"][2] != "back"):
    fail("uncut %s: B not refused: %r" % (SCENARIO, st))
print("WRITES", total)
first = int(sys.argv[4])
step = int(sys.argv[5])
seen = {b"A": 0, b"B": 0}
done = 0
for cut in range(first, total + 1, step):
    fs[:] = fs0
    rom[:] = rom0
    run(fs, rom, cut)
    v, st = after(fs, rom, cut)
    seen[v] += 1
    done += 1
    gc.collect()
print("CUTS", done, "A", seen[b"A"], "B", seen[b"B"], "OK")
print(json.dumps(st))
