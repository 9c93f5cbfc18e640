"""Put Pickgun's firmware on a gun over USB: optionally erase the chip and
write a MicroPython image with esptool, then copy the gun's files with
mpremote: modules precompiled by mpy-cross (tools/mpy_build.py; --py copies
the .py sources instead).  --dry-run prints what would be done.  Both say
which firmware version goes on the gun: the VERSION of
firmware/gun/__init__.py, which the gun then reports to the fleet page."""
import ast
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import click

PROJECT = Path(__file__).resolve().parent.parent
# What the gun runs, relative to the project: (source, path on the gun).
FIRMWARE_ENTRIES = [("firmware/boot.py", "boot.py"),
                    ("firmware/main.py", "main.py"),
                    ("firmware/gun", "gun"),
                    ("firmware/boards", "boards"),
                    ("firmware/drivers", "drivers"),
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


def firmware_files(root=PROJECT):
    """[(local path, path on the gun)] for every file the gun needs, and
    the list of required entries that are missing."""
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
                    files.append((local, target + "/" +
                                  local.relative_to(path).as_posix()))
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


def compiled_files(root, source_files):
    """The mpy-cross build (in <root>/build/firmware-mpy) of the same
    modules: [(local path, path on the gun)], .mpy but main.py and boot.py,
    plus any non-Python file of the source list as it is."""
    from tools.mpy_build import MpyCrossMissing, build_firmware, tree_files
    root = Path(root)
    try:
        tree = build_firmware(root / "build" / "firmware-mpy", root)
    except MpyCrossMissing as e:
        raise click.ClickException(
            "%s (or flash the sources: --py)" % e) from e
    except RuntimeError as e:
        raise click.ClickException(str(e)) from e
    files = tree_files(tree)
    files += [(local, target) for local, target in source_files
              if not target.endswith(".py")]
    return sorted(files, key=lambda f: f[1])


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


def mpremote_command(mpremote, port, files):
    """One mpremote session: make the folders (ignoring existing ones),
    remove each module's twin of the other kind (MicroPython imports a
    stale app.py before a new app.mpy), copy every file, then soft-reset
    so the gun starts the new code."""
    twins = []
    for _, target in files:
        if target.endswith(".mpy"):
            twins.append(target[:-4] + ".py")
        elif target.endswith(".py") and "/" in target:
            twins.append(target[:-3] + ".mpy")
    prep = ("import os\nfor d in %r:\n try:\n  os.mkdir(d)\n"
            " except OSError:\n  pass\n" % (gun_dirs(files),))
    prep += ("for f in %r:\n try:\n  os.remove(f)\n except OSError:\n"
             "  pass\n" % (twins,))
    cmd = [mpremote, "connect", port, "exec", prep]
    for local, target in files:
        cmd += ["+", "fs", "cp", str(local), ":" + target]
    return cmd + ["+", "reset"]


def _tool(name):
    return shutil.which(name) or shutil.which(name + ".py")


def _show(cmd):
    click.echo("$ " + " ".join(shlex.quote(c) for c in cmd))


def _run(cmd):
    _show(cmd)
    if subprocess.call(cmd) != 0:
        raise click.ClickException("%s failed" % os.path.basename(cmd[0]))


@click.command("flash")
@click.option("--port", required=True, help="The gun's serial port, "
              "e.g. /dev/ttyUSB0.")
@click.option("--firmware-bin", type=click.Path(dir_okay=False), default=None,
              help="A MicroPython image (.bin): erase the chip and write it "
              "first.  Without it only Pickgun's files are copied.")
@click.option("--chip", default="esp32", show_default=True,
              type=click.Choice(sorted(IMAGE_OFFSET)))
@click.option("--baud", default=460800, show_default=True, type=int)
@click.option("--source", type=click.Path(file_okay=False, exists=True),
              default=str(PROJECT), show_default=False,
              help="Project folder holding firmware/ and shared/.")
@click.option("--py", "as_source", is_flag=True,
              help="Copy the .py sources instead of .mpy files precompiled "
              "with mpy-cross (the gun then compiles them at every boot: "
              "slower, and a higher heap peak).")
@click.option("--dry-run", is_flag=True,
              help="Print the files and commands, do nothing on the gun.")
def flash_command(port, firmware_bin, chip, baud, source, as_source,
                  dry_run):
    """Flash a gun: MicroPython image (optional), then Pickgun's firmware.
    Provision the gun afterwards (`pickgun provision ID --port PORT`)."""
    files, missing = firmware_files(source)
    if missing and not dry_run:
        raise click.ClickException("firmware incomplete, missing: %s"
                                   % ", ".join(missing))
    version = firmware_version(source)
    if version is None and VERSION_FILE not in missing and not dry_run:
        raise click.ClickException("%s sets no VERSION: the gun would not "
                                   "say which firmware it runs" % VERSION_FILE)
    if not as_source:
        files = compiled_files(source, files)
    esptool = _tool("esptool") or "esptool"
    mpremote = _tool("mpremote") or "mpremote"
    steps = []
    if firmware_bin:
        steps += esptool_commands(esptool, port, firmware_bin, chip, baud)
    steps.append(mpremote_command(mpremote, port, files))
    if dry_run:
        click.echo("Files for the gun (%d, %s), firmware %s:" % (
            len(files), "sources" if as_source else "precompiled",
            version or "without a VERSION"))
        for local, target in files:
            click.echo("  %s -> :%s" % (os.path.relpath(local, source),
                                        target))
        for entry in missing:
            click.echo("  missing: %s" % entry)
        click.echo("Commands:")
        for cmd in steps:
            _show(cmd)
        return
    if not os.path.exists(port):
        raise click.ClickException(
            "No serial port %s. Plug the gun in by USB and check "
            "`ls /dev/ttyUSB* /dev/ttyACM*` (you may need to be in the "
            "dialout group)." % port)
    if firmware_bin and not _tool("esptool"):
        raise click.ClickException("esptool is not installed: "
                                   "pip install 'pickgun[flash]'")
    if firmware_bin and not os.path.isfile(firmware_bin):
        raise click.ClickException("No firmware image %s: download the "
                                   "ESP32 MicroPython .bin from "
                                   "micropython.org first" % firmware_bin)
    if not _tool("mpremote"):
        raise click.ClickException("mpremote is not installed: "
                                   "pip install 'pickgun[flash]'")
    for cmd in steps:
        _run(cmd)
    click.echo("Flashed %d files (firmware %s) to %s." % (len(files), version,
                                                         port))
