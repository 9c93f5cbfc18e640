"""The gun's modules as a ROMFS image: what `pickgun flash` installs.

    from tools.romfs import build_image
    image = build_image()            # build/firmware.romfs (the gun's)
    image = build_image(host=True)   # + the host-only modules (simulator)

MicroPython 1.25 and later mount a ROMFS image found in the flash's
"romfs" partition at /rom when they start (before boot.py) and put /rom
and /rom/lib on sys.path.  A module imported from there executes in
place: its bytecode, string constants and names are read from the
memory-mapped flash, and only the function, class and module objects
and the interned-name table take heap (bench/gun_memory.py measures
it).  On the ESP32 that needs a MicroPython built with
MICROPY_VFS_ROM and a partition table with a "romfs" data partition
(docs/firmware.md, Building and installing).

The image holds the mpy-cross build (tools/mpy_build.py) of gun/,
boards/, drivers/ and shared/, without the host-only modules
(mpy_build.HOST_ONLY); main.py and boot.py stay plain files on the
gun's filesystem, as MicroPython only runs those from there.  The
simulator's image (host=True) is the same files plus the host-only
ones, byte for byte the same otherwise.  The image is written with the
ROMFS writer of the `mpremote` package, the tool that deploys it.
"""
import os
import sys
from pathlib import Path

from tools.mpy_build import (PROJECT, SCRIPTS, build_firmware, is_host_only,
                             tree_files)

DEFAULT_IMAGE = PROJECT / "build" / "firmware.romfs"
HOST_IMAGE = PROJECT / "build" / "firmware-host.romfs"
# The "romfs" partition of MicroPython's partitions-4MiB-romfs.csv for
# the ESP32 (128 KiB); `pickgun flash` reads the gun's own size.
PARTITION_BYTES = 0x20000
MAGIC = b"\xd2\xcd\x31"             # the ROMFS header: "RM1", two bytes
                                    # with their high bit set


class RomfsWriterMissing(RuntimeError):
    pass


def image_files(tree, host=False):
    """[(local path, path in the image)] of a built tree: every module but
    main.py and boot.py; the host-only ones only if host."""
    return [(local, target) for local, target in tree_files(tree)
            if target not in SCRIPTS and (host or not is_host_only(target))]


def make_image(files):
    """The ROMFS image (bytes) of [(local path, path in the image)]."""
    try:
        from mpremote.romfs import VfsRomWriter
    except ImportError as e:
        raise RomfsWriterMissing("mpremote is not installed: "
                                 "pip install 'mpremote>=1.29'") from e
    tree = {}
    for local, target in files:
        node = tree
        parts = target.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = Path(local)
    writer = VfsRomWriter()

    def add(node):
        for name in sorted(node):
            entry = node[name]
            if isinstance(entry, dict):
                writer.opendir(name)
                add(entry)
                writer.closedir()
            else:
                writer.mkfile(name, entry.read_bytes())

    add(tree)
    return bytes(writer.finalise())


def build_image(tree=None, out=None, host=False):
    """Write the ROMFS image of a built tree (default: the project's,
    tools/mpy_build.py) to out (default build/firmware.romfs, or
    build/firmware-host.romfs with host=True), unless it already holds
    exactly that.  Returns out's Path."""
    tree = tree or build_firmware()
    out = Path(out or (HOST_IMAGE if host else DEFAULT_IMAGE))
    data = make_image(image_files(tree, host))
    try:
        if out.read_bytes() == data:
            return out
    except OSError:
        pass
    out.parent.mkdir(parents=True, exist_ok=True)
    # Its own temporary name: two test workers may build it at once.
    tmp = out.with_name("%s.%d.tmp" % (out.name, os.getpid()))
    tmp.write_bytes(data)
    tmp.replace(out)
    return out


def image_size(head):
    """The length of the ROMFS image whose first bytes are `head` (the
    header's kind and length, the first 16 bytes are enough): a
    partition may hold more.  0 if head starts no image."""
    data = bytes(head)
    if not data.startswith(MAGIC):
        return 0
    try:
        return _record(data, 0, 1 << 62)[2]
    except IndexError:
        return 0


def listing(image):
    """[(path, size)] of the files in a ROMFS image (bytes), in order: the
    format of MicroPython's extmod/vfs_rom.c, read back to show and check
    what an image holds."""
    data = bytes(image)
    if not data.startswith(MAGIC):
        raise ValueError("not a ROMFS image")
    pos, end = _record(data, 0, len(data))[1:]
    out = []
    _walk(data, pos, end, "", out)
    return out


def _uint(data, pos):
    value = 0
    while True:
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos


def _record(data, pos, end):
    """(kind, payload start, payload end) of the record at pos."""
    kind, pos = _uint(data, pos)
    size, pos = _uint(data, pos)
    if pos + size > end:
        raise ValueError("ROMFS record runs past its parent")
    return kind, pos, pos + size


def _walk(data, pos, end, prefix, out):
    while pos < end:
        kind, start, stop = _record(data, pos, end)
        if kind in (4, 5):                  # directory, file
            n, p = _uint(data, start)
            name = prefix + data[p:p + n].decode()
            if kind == 4:
                _walk(data, p + n, stop, name + "/", out)
            else:
                dkind, dstart, dstop = _record(data, p + n, stop)
                out.append((name, dstop - dstart if dkind == 2 else None))
        pos = stop


if __name__ == "__main__":
    path = build_image(host="--host" in sys.argv[1:])
    for name, size in listing(path.read_bytes()):
        print("%6d  %s" % (size or 0, name))
    print("%6d  %s" % (path.stat().st_size, path))
