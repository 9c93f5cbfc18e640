# A gun's start-up on the unix port, as the ESP32 does it when the
# firmware is installed as `pickgun flash` installs it: host only, never
# on a gun (tools/mpy_build.py HOST_ONLY).
#
#   cd <gun folder> && micropython -X heapsize=N .../boards/host_boot.py
#       [SCRIPT [ARG...]]
#
# The gun folder (PICKGUN_HOST_DIR, the current directory) stands in for
# the gun's flash: its filesystem's files (main.py, boot.py, config.json)
# and two partitions, flash.bin (the data littlefs, boards/host.py) and
# romfs.bin (the "romfs" partition).  As MicroPython does before boot.py,
# this mounts the ROMFS image in romfs.bin at /rom, if there is a valid
# one (none: silently nothing, as on the device), and makes sys.path
# the device's: "" (the filesystem), ".frozen", then "/rom" and
# "/rom/lib"; then it runs boot.py and main.py as the device does, or
# SCRIPT instead (what mpremote's raw REPL runs on a gun: tools/device.py).
#
# The ESP32 maps the partition into its address space: the bytecode runs
# from flash and costs no heap.  This unix port has no ffi to map a file,
# so the image (as long as its header says: the partition may hold more)
# is read into one buffer allocated before anything else (the bottom of
# the heap: never freed, never moved, it fragments nothing), and the
# harness adds its size to the heap (tools/simulate.py), so the rest is
# the heap a gun has.
#
# boot.py finishes or undoes over-the-air updates (gun/ota.py) before
# anything runs from /rom, and writes the partition to do so.  As the
# ESP32's littlefs is mounted before boot.py, flash.bin is mounted at
# /flash while boot.py runs (boards/host.py mounts it again for
# main.py), and the partition, which the ESP32 gives as
# vfs.rom_ioctl(2, 0) (esp32.Partition's block protocol), is ROM in the
# scripts' namespace: romfs.bin as a block device of 4 KiB blocks.  A
# reset is the exit status 75: tools/simulate.py then starts the gun
# again, as the device would.
import sys
import vfs

BLOCK = 4096
PARTITION_BLOCKS = 32       # 128 KiB, as partitions-4MiB-romfs.csv
FLASH_BLOCKS = 128          # boards/host.py BLOCK_COUNT
_image = None


class Partition:
    """A partition in a file: readblocks, writeblocks (with an offset,
    after an erase: ioctl 6) and ioctl 4 and 5, as on the ESP32.  Past the
    file's end it reads as erased flash (0xFF)."""

    def __init__(self, name, blocks):
        self.n = blocks
        try:
            self.f = open(name, "r+b")
        except OSError:
            self.f = open(name, "w+b")

    def readblocks(self, block, buf, offset=0):
        self.f.seek(block * BLOCK + offset)
        n = self.f.readinto(buf) or 0
        for i in range(n, len(buf)):
            buf[i] = 0xFF

    def writeblocks(self, block, buf, offset=None):
        if offset is None:
            self.ioctl(6, block)
            offset = 0
        self.f.seek(block * BLOCK + offset)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return BLOCK
        if op == 6:
            self.f.seek(arg * BLOCK)
            self.f.write(b"\xff" * BLOCK)
        return 0


def image_size(head):
    """The length of the ROMFS image that starts with `head` (its header:
    the kind, "RM1", then the length, each a varuint), 0 if none."""
    if head[:3] != b"\xd2\xcd\x31":
        return 0
    p = 0
    for _ in range(2):
        size = 0
        while True:
            p += 1
            size = size << 7 | head[p - 1] & 0x7F
            if not head[p - 1] & 0x80:
                break
    return p + size             # pyright: ignore[reportPossiblyUnbound]


def mount_romfs(name="romfs.bin"):
    global _image
    try:
        with open(name, "rb") as f:
            size = image_size(f.read(16))
            if not size:
                raise OSError(19)
            f.seek(0)
            _image = bytearray(size)
            f.readinto(_image)
        # The stubs are the stock ESP32 build's, which has no ROMFS (see
        # docs/firmware.md); the unix port has VfsRom.
        vfs.mount(vfs.VfsRom(_image), "/rom")  # pyright: ignore[reportAttributeAccessIssue]
    except OSError:
        _image = None
        return False
    return True


def run_boot(namespace):
    """boot.py as the device runs it: the data flash mounted, the
    partition as ROM."""
    try:
        open("flash.bin").close()
    except OSError:
        flash = None                # a new gun: nothing to finish
    else:
        flash = Partition("flash.bin", FLASH_BLOCKS)
        try:
            # (the block protocol; the stubs want their AbstractBlockDev)
            vfs.mount(vfs.VfsLfs2(flash), "/flash")  # pyright: ignore[reportArgumentType]
        except OSError:
            flash.f.close()
            flash = None
    rom = namespace["ROM"] = Partition("romfs.bin", PARTITION_BLOCKS)
    try:
        execfile("boot.py", namespace)  # noqa: F821
    finally:
        del namespace["ROM"]
        rom.f.close()
        if flash is not None:
            vfs.umount("/flash")
            flash.f.close()


def main():
    path = ["", ".frozen"]
    if mount_romfs():
        path += ["/rom", "/rom/lib"]
    sys.path[:] = path
    scripts = ("boot.py", "main.py")
    if len(sys.argv) > 1:
        scripts = (sys.argv[1],)
        del sys.argv[0]             # SCRIPT's own arguments, as if run alone
    namespace = {"__name__": "__main__"}    # the device's __main__: both
    for name in scripts:                    # scripts run in it
        try:
            open(name).close()
        except OSError:
            if len(scripts) == 1:
                raise
            continue                # the device skips a missing one too
        # The unix port's execfile compiles from the file, as the device
        # runs its scripts.
        if name == "boot.py" and len(scripts) > 1:
            run_boot(namespace)
        else:
            execfile(name, namespace)  # noqa: F821


if __name__ == "__main__":
    main()
