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
# anything runs from /rom, and writes the partition to do so: it runs
# with the data flash mounted and the partition given to it as on the
# device (boards/host_rom.py, imported from this folder, never from the
# image, only when the gun starts: a snippet never needs it).  A reset
# is the exit status 75: tools/simulate.py then starts the gun again, as
# the device would.
import sys
import vfs

_image = None


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


def main():
    here = sys.argv[0].rsplit("/", 1)[0] if "/" in sys.argv[0] else "."
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
            sys.path.insert(0, here)
            import host_rom
            del sys.path[0]
            host_rom.run_boot(namespace)
            del sys.modules["host_rom"], host_rom
        else:
            execfile(name, namespace)  # noqa: F821


if __name__ == "__main__":
    main()
