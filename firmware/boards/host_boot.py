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
# so the image is read into one buffer allocated before anything else
# (the bottom of the heap: never freed, never moved, it fragments
# nothing), and the harness adds its size to the heap
# (tools/simulate.py), so the rest is the heap a gun has.
import sys
import vfs

_image = None


def mount_romfs(name="romfs.bin"):
    global _image
    try:
        with open(name, "rb") as f:
            size = f.seek(0, 2)
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
        execfile(name, namespace)  # noqa: F821


if __name__ == "__main__":
    main()
