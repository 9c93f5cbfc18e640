# The ESP32's flash partitions for boot.py on the unix port: host only
# (boards/host_boot.py imports it from this folder while boot.py runs;
# tools/mpy_build.py HOST_ONLY).
#
# As the ESP32's littlefs is mounted before boot.py, flash.bin is mounted
# at /flash while boot.py runs (boards/host.py mounts it again for
# main.py), and the romfs partition, which the ESP32 gives as
# vfs.rom_ioctl(2, 0) (esp32.Partition's block protocol), is ROM in the
# scripts' namespace: romfs.bin as a block device of 4 KiB blocks.
import vfs

BLOCK = 4096
PARTITION_BLOCKS = 32       # 128 KiB, as partitions-4MiB-romfs.csv
FLASH_BLOCKS = 128          # boards/host.py BLOCK_COUNT


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
