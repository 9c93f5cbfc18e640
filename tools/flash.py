"""Put Pickgun's firmware on a gun over USB.

First the gun's journal is read over USB (tools/device.py): a gun
holding scans the server has not acknowledged is not erased nor
reflashed, unless --force, which first exports them to a file for
`pickgun import-events`.  Then, optionally, esptool erases the chip and
writes a MicroPython image; then mpremote installs the firmware: the
ROMFS image of the modules precompiled by mpy-cross (tools/romfs.py),
deployed to the gun's "romfs" partition, with main.py and boot.py as
files (--mpy copies the .mpy files instead, for a MicroPython without
ROMFS; --py the .py sources).  The module folders left on the gun's
filesystem by an earlier install go first: they would be imported
before /rom.  Host-only modules (tools/mpy_build.py HOST_ONLY) never go
to a gun; a simulated gun's folder (--port sim:FOLDER, tools/device.py)
gets them, as they are its board.  --dry-run prints what would be done.
Both say which firmware version goes on the gun: the VERSION of
firmware/gun/__init__.py, which the gun then reports to the fleet page."""
import ast
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import click

from tools.device import HostLink, LinkError, link_for, read_state, unsent
from tools.mpy_build import is_host_only

PROJECT = Path(__file__).resolve().parent.parent
# What the gun runs, relative to the project: (source, path on the gun).
FIRMWARE_ENTRIES = [("firmware/boot.py", "boot.py"),
                    ("firmware/main.py", "main.py"),
                    ("firmware/gun", "gun"),
                    ("firmware/boards", "boards"),
                    ("firmware/drivers", "drivers"),
                    ("firmware/qr", "qr"),
                    ("shared/__init__.py", "shared/__init__.py"),
                    ("shared/wire.py", "shared/wire.py")]
VERSION_FILE = "firmware/gun/__init__.py"     # VERSION = "0.1.0"
REQUIRED = ("firmware/boot.py", "firmware/main.py", VERSION_FILE,
            "shared/wire.py")
# Where the MicroPython image starts in flash, by chip.
IMAGE_OFFSET = {"esp32": "0x1000", "esp32s2": "0x1000", "esp32s3": "0x0",
                "esp32c3": "0x0", "esp32c6": "0x0"}
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc",)


def firmware_files(root=PROJECT, host=False):
    """[(local path, path on the gun)] for every file the gun needs, and
    the list of required entries that are missing.  host: for a simulated
    gun, with the host-only modules (its board)."""
    root = Path(root)
    files = []
    for source, target in FIRMWARE_ENTRIES:
        path = root / source
        if path.is_file():
            files.append((path, target))
        elif path.is_dir():
            for dirpath, dirnames, names in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames
                                     if d not in SKIP_DIRS
                                     and not d.startswith("."))
                for name in sorted(names):
                    if name.startswith(".") or name.endswith(SKIP_SUFFIXES):
                        continue
                    local = Path(dirpath) / name
                    gun = target + "/" + local.relative_to(path).as_posix()
                    if host or not is_host_only(gun):
                        files.append((local, gun))
    missing = [r for r in REQUIRED if not (root / r).is_file()]
    return files, missing


def firmware_version(root=PROJECT):
    """The VERSION the firmware under root reports (its VERSION_FILE, read
    without running it), or None if it sets none."""
    try:
        tree = ast.parse((Path(root) / VERSION_FILE).read_text())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and \
                [getattr(t, "id", None) for t in node.targets] == ["VERSION"] \
                and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            return node.value.value
    return None


def compiled_files(root, source_files, host=False):
    """The mpy-cross build (in <root>/build/firmware-mpy) of the same
    modules: [(local path, path on the gun)], .mpy but main.py and boot.py,
    plus any non-Python file of the source list as it is; host-only
    modules only if host."""
    from tools.mpy_build import MpyCrossMissing, build_firmware, tree_files
    root = Path(root)
    try:
        tree = build_firmware(root / "build" / "firmware-mpy", root)
    except MpyCrossMissing as e:
        raise click.ClickException(
            "%s (or flash the sources: --py)" % e) from e
    except RuntimeError as e:
        raise click.ClickException(str(e)) from e
    files = [(local, target) for local, target in tree_files(tree)
             if host or not is_host_only(target)]
    files += [(local, target) for local, target in source_files
              if not target.endswith(".py")]
    return sorted(files, key=lambda f: f[1])


def romfs_files(root, source_files, host=False):
    """The ROMFS build: (image path, [(local path, path on the gun)] of
    the files beside it: main.py, boot.py and any non-Python file).
    host: the simulator's image, with the host-only modules."""
    from tools.mpy_build import MpyCrossMissing, SCRIPTS, build_firmware
    from tools.romfs import RomfsWriterMissing, build_image
    root = Path(root)
    try:
        tree = build_firmware(root / "build" / "firmware-mpy", root)
        image = build_image(tree, root / "build" / (
            "firmware-host.romfs" if host else "firmware.romfs"), host)
    except MpyCrossMissing as e:
        raise click.ClickException(
            "%s (or flash the sources: --py)" % e) from e
    except RomfsWriterMissing as e:
        raise click.ClickException(
            "%s (or copy the .mpy files: --mpy)" % e) from e
    except RuntimeError as e:
        raise click.ClickException(str(e)) from e
    files = [(tree / name, name) for name in SCRIPTS
             if (tree / name).is_file()]
    files += [(local, target) for local, target in source_files
              if not target.endswith(".py")]
    return image, sorted(files, key=lambda f: f[1])


def gun_dirs(files):
    """Folders to create on the gun, parents first."""
    dirs = set()
    for _, target in files:
        parts = target.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    return sorted(dirs, key=lambda d: (d.count("/"), d))


def esptool_commands(esptool, port, image, chip, baud):
    base = [esptool, "--chip", chip, "--port", port]
    return [base + ["erase-flash"],
            base + ["--baud", str(baud), "write-flash", "-z",
                    IMAGE_OFFSET.get(chip, "0x0"), str(image)]]


# Empties the gun's module folders (an earlier install's files, which
# sys.path's "" finds before /rom, and stale twins: MicroPython imports a
# stale app.py before a new app.mpy), then makes the folders the files
# need.  Never touches config.json, board.txt nor the data folder.
PREP = """
import os
def _rm(p):
    try:
        mode = os.stat(p)[0]
    except OSError:
        return
    if mode & 0x4000:
        for n in os.listdir(p):
            _rm(p + "/" + n)
        os.rmdir(p)
    else:
        os.remove(p)
for p in %r:
    _rm(p)
for d in %r:
    try:
        os.mkdir(d)
    except OSError:
        pass
"""


def module_folders():
    """The gun's folders that hold only firmware modules."""
    return sorted({target.split("/")[0] for _, target in FIRMWARE_ENTRIES
                   if "/" in target or not target.endswith(".py")})


def install_steps(files, image=None):
    """The device-link steps that install the firmware: the ROMFS image
    (if any) to the romfs partition, the module folders emptied, every
    file copied, then a reset so the gun starts the new code."""
    steps = [("romfs", image)] if image else []
    steps.append(("exec", PREP % (module_folders(), gun_dirs(files))))
    steps += [("put", local, target) for local, target in files]
    return steps + [("reset",)]


def _tool(name):
    return shutil.which(name) or shutil.which(name + ".py")


def _show(cmd):
    click.echo("$ " + " ".join(shlex.quote(c) for c in cmd))


def _run(cmd):
    _show(cmd)
    if subprocess.call(cmd) != 0:
        raise click.ClickException("%s failed" % os.path.basename(cmd[0]))


def check_journal(link, force, export_path):
    """Read the gun's journal over USB before anything is written: refuse
    (ClickException, the gun restarted) if it holds scans the server has
    not acknowledged, or cannot be read; with force go on, after
    exporting those scans to export_path (default unsent-<id>-<time>.jsonl
    here).  Returns the state read, or None."""
    from tools.unsent import default_name, write_export
    try:
        state, _ = read_state(link)
    except LinkError as e:
        if not force:
            raise click.ClickException(
                "Could not read the gun's journal over USB, so flashing "
                "could lose scans it holds:\n%s\nA new board without "
                "MicroPython, or a gun whose scans you have saved another "
                "way: --force." % e.message) from e
        click.echo("WARNING: the gun's journal could not be read (%s); "
                   "flashing anyway (--force): any scans on it are lost."
                   % e.message.splitlines()[0], err=True)
        return None
    journal = state.get("journal")
    n = unsent(state)
    if journal is None:
        click.echo("Journal on the gun: none (firmware %s)."
                   % (state.get("fw") or "none"))
        return state
    if n is None:
        if not force:
            link.reset()
            raise click.ClickException(
                "The gun's journal cannot be read (%s): it may hold scans "
                "the server has not had. Check it with `pickgun gun-info`; "
                "--force flashes anyway and loses them."
                % journal.get("unreadable"))
        click.echo("WARNING: the gun's journal cannot be read (%s); "
                   "flashing anyway (--force): its scans are lost."
                   % journal.get("unreadable"), err=True)
        return state
    click.echo("Journal on the gun %s: %d unsent scans (epoch %s, "
               "acknowledged up to seq %s)." % (
                   state.get("id") or "(no id)", n, journal.get("ep"),
                   journal.get("upto")))
    if not n:
        return state
    if not force:
        link.reset()
        raise click.ClickException(
            "Refusing to flash: the gun holds %d scans the server has not "
            "acknowledged. Let it sync first (WiFi in reach of the server, "
            "until its screen says 'synced'), or flash with --force, which "
            "exports them to a file for `pickgun import-events` first." % n)
    device = state.get("id")
    if not device:
        raise click.ClickException(
            "The gun's config.json names no gun id, so its unsent scans "
            "cannot be exported: provision it again first "
            "(`pickgun provision ID --port PORT`).")
    state, events = read_state(link, export=True)
    if len(events) != unsent(state):
        raise click.ClickException(
            "The gun listed %d of its %s unsent scans: not flashing."
            % (len(events), unsent(state)))
    path = export_path or default_name(device)
    write_export(path, device, state, events)
    click.echo("WARNING: flashing a gun holding %d unsent scans (--force). "
               "They are saved in %s: record them on the server with\n"
               "  pickgun import-events %s" % (len(events), path, path),
               err=True)
    return state


def check_romfs(link, image):
    """Refuse a gun whose MicroPython has no ROMFS partition big enough
    (and restart it: mpremote leaves it at the REPL)."""
    size = link.romfs_size()
    if not size or image.stat().st_size > size:
        link.reset()
    if not size:
        raise click.ClickException(
            "This gun's MicroPython has no ROMFS partition (the "
            "micropython.org ESP32 images have none): write a "
            "ROMFS-enabled build with --firmware-bin (docs/firmware.md, "
            "Building and installing), or copy the modules as .mpy "
            "files: --mpy.")
    if image.stat().st_size > size:
        raise click.ClickException(
            "The ROMFS image (%d bytes) does not fit the gun's ROMFS "
            "partition (%d bytes)." % (image.stat().st_size, size))


@click.command("flash")
@click.option("--port", required=True, help="The gun's serial port, "
              "e.g. /dev/ttyUSB0 (sim:FOLDER: a simulated gun's folder).")
@click.option("--firmware-bin", type=click.Path(dir_okay=False), default=None,
              help="A MicroPython image (.bin): erase the chip and write it "
              "first.  Without it only Pickgun's firmware is installed.")
@click.option("--chip", default="esp32", show_default=True,
              type=click.Choice(sorted(IMAGE_OFFSET)))
@click.option("--baud", default=460800, show_default=True, type=int)
@click.option("--source", type=click.Path(file_okay=False, exists=True),
              default=str(PROJECT), show_default=False,
              help="Project folder holding firmware/ and shared/.")
@click.option("--mpy", "as_mpy", is_flag=True,
              help="Copy the modules as .mpy files instead of a ROMFS image "
              "(for a MicroPython without a ROMFS partition: their code "
              "then takes heap).")
@click.option("--py", "as_source", is_flag=True,
              help="Copy the .py sources instead (the gun then compiles "
              "them at every boot: slower, and a higher heap peak).")
@click.option("--force", is_flag=True,
              help="Flash even a gun whose journal holds scans the server "
              "has not acknowledged, after exporting them to a file.")
@click.option("--export", "export_path", type=click.Path(dir_okay=False),
              default=None, help="Where --force saves those scans "
              "(default: unsent-<ID>-<time>.jsonl here).")
@click.option("--dry-run", is_flag=True,
              help="Print the files and commands, do nothing on the gun.")
def flash_command(port, firmware_bin, chip, baud, source, as_mpy, as_source,
                  force, export_path, dry_run):
    """Flash a gun: MicroPython image (optional), then Pickgun's firmware.
    Provision the gun afterwards (`pickgun provision ID --port PORT`)."""
    if as_mpy and as_source:
        raise click.UsageError("--mpy and --py exclude each other")
    link = link_for(port)
    # A simulated gun's board is the host board: it gets those modules.
    host = isinstance(link, HostLink)
    if firmware_bin and host:
        raise click.UsageError("a simulated gun takes no MicroPython image: "
                               "drop --firmware-bin")
    files, missing = firmware_files(source, host)
    if missing and not dry_run:
        raise click.ClickException("firmware incomplete, missing: %s"
                                   % ", ".join(missing))
    version = firmware_version(source)
    if version is None and VERSION_FILE not in missing and not dry_run:
        raise click.ClickException("%s sets no VERSION: the gun would not "
                                   "say which firmware it runs" % VERSION_FILE)
    image = None
    if as_mpy:
        files = compiled_files(source, files, host)
    elif not as_source:
        image, files = romfs_files(source, files, host)
    esptool = _tool("esptool") or "esptool"
    burn = esptool_commands(esptool, port, firmware_bin, chip, baud) \
        if firmware_bin else []
    steps = install_steps(files, image)
    if dry_run:
        click.echo("Firmware %s for the gun, %s:" % (
            version or "without a VERSION",
            "sources" if as_source else "precompiled .mpy files"
            if as_mpy else "a ROMFS image and %d files" % len(files)))
        if image is not None:
            from tools.romfs import listing
            data = image.read_bytes()
            click.echo("  %s -> romfs partition (%d bytes):" % (
                os.path.relpath(image, source), len(data)))
            for name, _ in listing(data):
                click.echo("    /rom/%s" % name)
        for local, target in files:
            click.echo("  %s -> :%s" % (os.path.relpath(local, source),
                                        target))
        for entry in missing:
            click.echo("  missing: %s" % entry)
        click.echo("First: read the gun's journal over USB; stop if it "
                   "holds unsent scans%s." % (
                       " (--force: export them, then go on)" if force
                       else ""))
        click.echo("Commands:")
        for cmd in burn:
            _show(cmd)
        for line in link.describe(steps):
            click.echo(line)
        return
    link.check()
    if firmware_bin and not _tool("esptool"):
        raise click.ClickException("esptool is not installed: "
                                   "pip install 'pickgun[flash]'")
    if firmware_bin and not os.path.isfile(firmware_bin):
        raise click.ClickException("No firmware image %s: download the "
                                   "ESP32 MicroPython .bin from "
                                   "micropython.org first" % firmware_bin)
    check_journal(link, force, export_path)
    for cmd in burn:
        _run(cmd)
    if burn:
        time.sleep(2)               # the new MicroPython boots
    if image is not None:
        check_romfs(link, image)
    link.session(steps)
    click.echo("Flashed firmware %s to %s: %s." % (
        version, link.name, "%d files" % len(files) if image is None else
        "ROMFS image of %d bytes and %d files" % (image.stat().st_size,
                                                  len(files))))
