# Runs first on the device: quiet the ROM debug output, finish or undo an
# over-the-air update, tidy the heap.
#
# This file is the gun's boot loader for updates: it runs before anything
# is imported from the ROMFS image at /rom (which may be the torn half of
# a copy), is a plain file on the filesystem that only `pickgun flash`
# writes (an update replaces the image, never this), imports nothing but
# built-in modules, and keeps none of its names.
#
# The data flash (littlefs: renames are atomic) holds the update's files
# in fw/ (gun/ota.py writes them): up to two images, the slots fw/a and
# fw/b, and fw/st, a small JSON object always replaced whole (fw/st.tmp,
# then a rename), so a power cut leaves the old state or the new one:
#   rom    the slot whose image the romfs partition holds or must hold
#   img    {slot: [version, size, sha256 hex]}; a slot freed is null
#   copy   1: the partition may not hold rom's image yet
#   save   a slot to save the partition's own image into first (the
#          image `pickgun flash` installed; img gives its version)
#   trial  1: rom's version has not confirmed itself yet (gun/ota.py)
#   boots  boots of that version so far
#   no     [version, sha256, "back" | "bad" | "kept", why]: a release
#          not to take again, and why
#   dl     [version, size, sha256] of the download in fw/dl
# At each boot, with a state:
#   1. save: the partition's image (its length from the ROMFS header)
#      into that slot, with its size and SHA-256;
#   2. copy: rom's file, checked against its SHA-256, into the partition
#      block by block (erase, write), read back and checked again; then a
#      reset, so that MicroPython mounts the new image at /rom;
#   3. otherwise the partition must hold rom's image: if it does not (a
#      USB install replaced it), the state no longer describes the gun
#      and is dropped;
#   4. a version on trial gets BOOTS boots to confirm itself; after that
#      the previous slot is copied back.
# A cut anywhere leaves copy set until the copy has been checked, so the
# next boot copies again: the gun boots one of its two versions.
import gc

try:
    import esp
    esp.osdebug(None)
except ImportError:
    pass

BOOTS = 3


def _put(d, st):
    import json
    import os
    with open(d + "st.tmp", "w") as f:
        json.dump(st, f)
    os.rename(d + "st.tmp", d + "st")


def _sha(rom, buf, size):
    """The SHA-256 (hex) of the partition's first `size` bytes."""
    from hashlib import sha256
    h = sha256()
    bs = len(buf)
    for blk in range((size + bs - 1) // bs):
        rom.readblocks(blk, buf)
        h.update(memoryview(buf)[:min(bs, size - blk * bs)])
    return h.digest().hex()


def _copy(rom, buf, path, meta):
    """Write the file at path into the partition; whether the partition
    then holds meta's image.  A file that is not that image is refused
    before anything is erased."""
    from hashlib import sha256
    mv = memoryview(buf)
    for write in (False, True):
        h = sha256()
        size = 0
        with open(path, "rb") as f:
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                h.update(mv[:n])
                if write:
                    blk = size // len(buf)
                    rom.ioctl(6, blk)           # erase the block
                    rom.writeblocks(blk, mv[:n], 0)
                size += n
        if h.digest().hex() != meta[2] or size != meta[1]:
            return False
    return _sha(rom, buf, meta[1]) == meta[2]


def boot(rom, d):
    """Carry out the update state in folder d (ending in "/") on the romfs
    partition rom (a block device); True when the gun must reset before
    running anything from /rom."""
    import json
    import os
    try:
        with open(d + "st") as f:
            st = json.load(f)
        img = st["img"]
        cur = st["rom"]
    except Exception:           # no update ever, or none to trust
        return False
    buf = bytearray(rom.ioctl(5, 0))
    old = "a" if cur == "b" else "b"
    slot = st.get("save")
    if slot:
        rom.readblocks(0, buf)
        size = 0
        p = 0
        if buf[:3] == b"\xd2\xcd\x31":  # "RM1": the kind, then the length
            for _ in range(2):
                size = 0
                while True:
                    p += 1
                    size = size << 7 | buf[p - 1] & 0x7F
                    if not buf[p - 1] & 0x80:
                        break
            size += p
            with open(d + "tmp", "wb") as f:
                for blk in range((size + len(buf) - 1) // len(buf)):
                    rom.readblocks(blk, buf)
                    f.write(memoryview(buf)[:min(len(buf),
                                                 size - blk * len(buf))])
            os.rename(d + "tmp", d + slot)
            img[slot] = [(img.get(slot) or "?")[0], size,
                         _sha(rom, buf, size)]
        else:
            img[slot] = None    # not an image: nothing to go back to
        st["save"] = None
        _put(d, st)
    if st.get("copy"):
        import vfs
        try:
            vfs.umount("/rom")  # as mpremote does before it writes
        except OSError:
            pass
        meta = img.get(cur)
        if meta and _copy(rom, buf, d + cur, meta):
            st["copy"] = 0
        elif st.get("trial") and img.get(old):
            # The new image's file is not what it should be: back to the
            # previous one (copied at the next boot).
            st["rom"] = old
            st["trial"] = 0
            st["no"] = [meta[0] if meta else "?", meta[2] if meta else "",
                        "bad", "image corrupt"]
        else:
            os.remove(d + "st")     # nothing sound to copy: leave it
            return True
        _put(d, st)
        return True
    meta = img.get(cur)
    if not meta or _sha(rom, buf, meta[1]) != meta[2]:
        os.remove(d + "st")         # a USB install replaced the image
        return False
    if st.get("trial"):
        st["boots"] = st.get("boots", 0) + 1
        if st["boots"] > BOOTS and img.get(old):
            st["rom"] = old
            st["trial"] = 0
            st["copy"] = 1
            st["no"] = [meta[0], meta[2], "back",
                        "restarted %d times" % BOOTS]
        _put(d, st)
        return bool(st.get("copy"))
    return False


def _main():
    import sys
    if sys.platform in ("linux", "darwin"):
        # The unix port has no vfs.rom_ioctl: boards/host_boot.py puts the
        # partition here as ROM, and the data flash at /flash.
        rom = globals().get("ROM")
        d = "/flash/fw/"
    else:
        import vfs
        rom = vfs.rom_ioctl(2, 0) if hasattr(vfs, "rom_ioctl") and \
            vfs.rom_ioctl(1) else None
        d = "/data/fw/"
    if not hasattr(rom, "ioctl") or not boot(rom, d):
        return
    try:
        from machine import reset
    except ImportError:         # the unix port: the harness restarts it
        sys.exit(75)
    reset()


if __name__ == "__main__":
    try:
        _main()
    except Exception as e:      # the flash, a state from a bug: boot what
        print("boot: update failed:", repr(e))     # the partition holds
    del _put, _sha, _copy, boot, _main, BOOTS
gc.collect()
