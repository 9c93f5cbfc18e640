# A simulated flash chip for littlefs (vfs.VfsLfs2) in the firmware tests:
# a block device over a preallocated bytearray, with the faults the tests
# inject (a power cut, a worn-out flash, reads that fail).
#
# It behaves as NOR flash: programming can only clear bits and only an
# erase sets them back (0xFF), so littlefs gets no help a real chip would
# not give it (a half-programmed block stays half programmed).
#
# Nothing is allocated per call (the byte loops are viper, the power-cut
# exception is made up front): littlefs may call the device from a
# finaliser, a file closed by the GC after the cut, when the heap is locked.
import micropython
import os
import vfs

EIO = -5


@micropython.viper
def _copy(dst: ptr8, src: ptr8, a: int, n: int):
    i = 0
    while i < n:
        dst[i] = src[a + i]
        i += 1


@micropython.viper
def _erase(d: ptr8, a: int, n: int):
    i = 0
    while i < n:
        d[a + i] = 0xFF
        i += 1


@micropython.viper
def _program(d: ptr8, a: int, buf: ptr8, n: int):
    i = 0
    while i < n:
        d[a + i] &= buf[i]          # NOR: programming only clears bits
        i += 1


def blank(size):
    # an erased flash image of `size` bytes
    data = bytearray(size)
    _erase(data, 0, size)
    return data


class Flash:
    # littlefs's block device over `data`, in blocks of `block_size` bytes
    # (the `offset` argument of the extended interface included).
    # Faults, none unless asked for:
    #   cut      power is cut at write (program or erase) number `cut`,
    #            counted in `writes`: half of that program lands (of an
    #            erase, nothing), the call raises OSError(5) and the device
    #            is `broken` from then on;
    #   broken   every program and erase fails (EIO): a worn-out flash, or
    #            one without power;
    #   bad      reads fail (EIO) at read number `bad`, counted in `reads`
    #            since the device was made: that one only if `once`, else
    #            every read from there on.
    def __init__(self, data, block_size, cut=0):
        self.data = data
        self.bs = block_size
        self.cut = cut
        self.writes = 0
        self.broken = False
        self.reads = 0
        self.bad = 0
        self.once = False
        self.exc = OSError(5)

    def readblocks(self, block, buf, off=0):
        self.reads += 1
        if self.bad and (self.reads == self.bad or
                         not self.once and self.reads > self.bad):
            return EIO
        _copy(buf, self.data, block * self.bs + off, len(buf))

    def writeblocks(self, block, buf, off=0):
        if self.broken:
            return EIO
        self.writes += 1
        n = len(buf)
        if self.writes == self.cut:
            self.broken = True
            _program(self.data, block * self.bs + off, buf, n // 2)
            raise self.exc
        _program(self.data, block * self.bs + off, buf, n)
        return 0

    def ioctl(self, op, arg):
        if op == 4:                 # block count
            return len(self.data) // self.bs
        if op == 5:                 # block size
            return self.bs
        if op == 6:                 # erase block `arg`
            if self.broken:
                return EIO
            self.writes += 1
            if self.writes == self.cut:
                self.broken = True
                raise self.exc
            _erase(self.data, arg * self.bs, self.bs)
        return 0


def umount(path):
    # after a power cut the unmount may fail, or the mount never happened
    try:
        vfs.umount(path)
    except Exception:
        pass


def fill(folder, block_size):
    # Files of a block, then smaller ones, until not one more byte fits;
    # returns their names.
    names = []
    for size in (block_size, 64, 16):
        chunk = bytes(size)
        while True:
            name = "%s/fill%d" % (folder, len(names))
            try:
                with open(name, "wb") as f:
                    f.write(chunk)
                names.append(name)
            except OSError:
                try:
                    os.remove(name)
                except OSError:
                    pass
                break
    return names
