"""Talking to a gun over USB: the "device link" `pickgun flash`,
`pickgun provision --port` and `pickgun gun-info` use.

    link = link_for("/dev/ttyUSB0")     # a gun, through mpremote
    link = link_for("sim:var/sim/G01")  # a simulated gun's folder
    state = read_state(link)            # firmware, config, journal, memory
    link.session([("romfs", image), ("exec", code), ("put", local, "main.py"),
                  ("reset",)])

The gun runs the snippets below in its raw REPL (`mpremote exec`), after
the soft reset mpremote starts with: its own firmware reads its journal,
config and memory, so what a technician is told is what the gun would do
at its next boot, not a re-implementation.

The host stand-in (HostLink) is a folder laid out as a simulated gun's
(tools/simulate.py): the filesystem's files (config.json, main.py,
boot.py, any module files) and the two partitions, flash.bin (data) and
romfs.bin (ROMFS).  It runs the same snippets with the real MicroPython
unix port, started as a gun starts (boards/host_boot.py: the ROMFS image
mounted at /rom, the device's sys.path), on the host board; it writes
what mpremote would write to the gun, checks an image against the
partition's size as mpremote does, and counts resets in resets.log (a
reset restarts nothing here).
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from tools.romfs import MAGIC, PARTITION_BYTES

SIM_PREFIX = "sim:"
MARK = "PICKGUN "           # the line of a snippet's output that answers
EVENT_MARK = "EVT "
# Where the ESP32 boards keep the journal, for a gun whose firmware does
# not import any more (then only whether a journal is there is known).
DEVICE_DATA_DIR = "/data"

# Firmware version, board, config problems, journal state, memory and
# where the modules come from, as one JSON line; then, with EXPORT, every
# unacknowledged event as published (`EVT <payload>`), read in small
# chunks so a full journal fits a gun's heap.  A journal's files are
# looked for before it is opened: opening one that does not exist would
# start a new one.
STATE = """
import gc, json, os, sys
EXPORT = %(export)r
def _pickgun():
    r = {"fw": None, "journal": None, "path": sys.path}
    try:
        import gun, boards
        from gun import config
        from gun.journal import Journal
    except Exception as e:
        r["error"] = "no Pickgun firmware: " + repr(e)
        try:
            os.stat(%(data)r + "/journal.log")
            r["journal"] = {"unreadable": "its firmware does not import"}
        except OSError:
            pass
        return r, None
    r["fw"] = getattr(gun, "VERSION", "")
    r["from"] = getattr(gun, "__file__", "")
    j = None
    try:
        board = boards.load()
        r["board"] = board.NAME
        cfg, r["problems"] = config.load(board)
        if isinstance(cfg, dict):
            r["id"] = cfg.get("id")
        board.mount()
        d = board.DATA_DIR
        found = False
        for name in ("journal.st", "journal.log"):
            try:
                os.stat(d + "/" + name)
                found = True
            except OSError:
                pass
        try:
            s = os.statvfs(d)
            r["fs_free"] = s[0] * s[3]
        except Exception:
            pass
        if found:
            j = Journal(d)
            r["journal"] = {"pending": j.pending_count(), "ep": j.ep,
                            "upto": j.upto, "next": j.next_seq,
                            "capacity": j.capacity}
    except Exception as e:
        r["error"] = repr(e)
        if r["journal"] is None:
            r["journal"] = {"unreadable": repr(e)}
    return r, j
_r, _j = _pickgun()
gc.collect()
_r["mem"] = {"free": gc.mem_free(), "alloc": gc.mem_alloc()}
try:
    import esp32
    _r["mem"]["idf"] = esp32.idf_heap_info(esp32.HEAP_DATA)
except Exception:
    pass
print(%(mark)r + json.dumps(_r))
if EXPORT and _j is not None and "pending" in _r["journal"]:
    seq = None
    while True:
        chunk = _j.pending(8, seq)
        if not chunk:
            break
        for seq, payload in chunk:
            print(%(event)r + payload.decode())
        seq += 1
        chunk = None
        gc.collect()
if not EXPORT:
    import micropython
    micropython.mem_info()
"""

# The size of the gun's ROMFS partition (0: none), as mpremote's
# `romfs query` finds it.
ROMFS_QUERY = """
import vfs
n = 0
try:
    d = vfs.rom_ioctl(2, 0)
    if hasattr(d, "ioctl"):
        n = d.ioctl(4, 0) * d.ioctl(5, 0)
    elif not isinstance(d, int):
        n = len(d)
except Exception:
    pass
print(%r + str(n))
""" % MARK


class LinkError(click.ClickException):
    pass


def _marked(output, what):
    """The text after the last MARK line of a snippet's output."""
    for line in reversed(output.splitlines()):
        if line.startswith(MARK):
            return line[len(MARK):]
    raise LinkError("the gun did not answer %s:\n%s" % (what,
                                                        output[-2000:]))


def find_mpremote():
    """The mpremote command: this Python's (its environment's bin), else
    PATH's; None without one."""
    local = Path(sys.executable).with_name("mpremote")
    if local.exists():
        return str(local)
    return shutil.which("mpremote") or shutil.which("mpremote.py")


class UsbLink:
    """A gun on a serial port, through mpremote."""

    def __init__(self, port, mpremote=None):
        self.port = port
        self.mpremote = mpremote or find_mpremote() or "mpremote"
        self.name = port

    def check(self, manual=None):
        """Raise LinkError unless the port and mpremote are there; manual:
        what to do by hand instead, said when mpremote is missing."""
        if not os.path.exists(self.port):
            raise LinkError(
                "No serial port %s: is the gun plugged in by USB? Check "
                "`ls /dev/ttyUSB* /dev/ttyACM*` (you may need to be in the "
                "dialout group)." % self.port)
        if not find_mpremote():
            raise LinkError("mpremote is not installed: pip install "
                            "'pickgun[flash]'" + (", or " + manual
                                                  if manual else ""))

    def command(self, steps):
        """The one mpremote command line that carries out steps."""
        cmd = [self.mpremote, "connect", self.port]
        for i, step in enumerate(steps):
            if i:
                cmd.append("+")
            kind = step[0]
            if kind == "romfs":
                # mpremote deploys a path ending in .romfs as an image (any
                # other path as a folder to build one from).
                if not str(step[1]).endswith(".romfs"):
                    raise ValueError("not a .romfs image: %s" % step[1])
                cmd += ["romfs", "deploy", str(step[1])]
            elif kind == "exec":
                cmd += ["exec", step[1]]
            elif kind == "put":
                cmd += ["fs", "cp", str(step[1]), ":" + step[2]]
            elif kind == "reset":
                cmd.append("reset")
            else:
                raise ValueError("unknown step %r" % (kind,))
        return cmd

    def describe(self, steps):
        return ["$ " + " ".join(shlex.quote(c) for c in self.command(steps))]

    def session(self, steps):
        cmd = self.command(steps)
        click.echo(self.describe(steps)[0])
        if subprocess.call(cmd) != 0:
            raise LinkError("mpremote failed on %s" % self.port)

    def exec(self, code, reset=False):
        """Run code on the gun; returns what it printed.  reset: restart
        the gun afterwards (mpremote leaves it at the REPL)."""
        steps = [("exec", code)] + ([("reset",)] if reset else [])
        proc = subprocess.run(self.command(steps), capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise LinkError("mpremote failed on %s:\n%s%s" % (
                self.port, proc.stdout[-2000:], proc.stderr[-2000:]))
        return proc.stdout

    def romfs_size(self):
        """The gun's ROMFS partition size in bytes (0: it has none)."""
        return int(_marked(self.exec(ROMFS_QUERY), "the ROMFS query"))

    def reset(self):
        self.session([("reset",)])


class HostLink:
    """A simulated gun's folder and the MicroPython unix port, speaking
    the same steps and snippets as a gun over USB (module docstring)."""

    def __init__(self, folder, micropython=None):
        from tools.simulate import default_micropython
        self.folder = Path(folder)
        self.micropython = micropython or default_micropython()
        self.name = SIM_PREFIX + str(folder)

    def check(self, manual=None):
        """A folder that holds a gun (a config, a data partition) or is
        empty: anything else is not erased by mistake."""
        f = self.folder
        if not f.is_dir():
            raise LinkError("No simulated gun at %s: no such folder" % f)
        if any(f.iterdir()) and not ((f / "config.json").exists() or
                                     (f / "flash.bin").exists()):
            raise LinkError("%s holds no simulated gun (no config.json, no "
                            "flash.bin)" % f)

    def describe(self, steps):
        out = []
        for step in steps:
            kind = step[0]
            if kind == "romfs":
                out.append("%s: romfs.bin <- %s" % (self.name, step[1]))
            elif kind == "exec":
                out.append("%s: run %d lines" % (
                    self.name, len(step[1].strip().splitlines())))
            elif kind == "put":
                out.append("%s: %s <- %s" % (self.name, step[2], step[1]))
            else:
                out.append("%s: reset" % self.name)
        return out

    def session(self, steps):
        for step, text in zip(steps, self.describe(steps), strict=True):
            click.echo(text)
            kind = step[0]
            if kind == "romfs":
                self._deploy(Path(step[1]))
            elif kind == "exec":
                click.echo(self.exec(step[1]), nl=False)
            elif kind == "put":
                target = self.folder / step[2]
                if not target.parent.is_dir():
                    raise LinkError("no folder %s on the gun" % step[2])
                shutil.copyfile(step[1], target)
            elif kind == "reset":
                self.reset()
            else:
                raise ValueError("unknown step %r" % (kind,))

    def _deploy(self, image):
        data = image.read_bytes()
        if not data.startswith(MAGIC):
            raise LinkError("%s is not a ROMFS image" % image)
        if len(data) > PARTITION_BYTES:
            raise LinkError("ROMFS image is too big for the target partition")
        tmp = self.folder / "romfs.bin.tmp"
        tmp.write_bytes(data)
        tmp.replace(self.folder / "romfs.bin")

    def heap_k(self):
        """The gun's heap: the device's, the code from source or .mpy files
        (the most it can take) and a ROMFS image held in the heap."""
        from tools.simulate import CODE_ALLOWANCE_K, image_heap_k
        try:
            image = (self.folder / "romfs.bin").stat().st_size
        except OSError:
            image = 0
        return 110 + CODE_ALLOWANCE_K + image_heap_k(image)

    def exec(self, code, reset=False):
        from tools.simulate import FIRMWARE
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "snippet.py"
            script.write_text(code)
            env = dict(os.environ, PICKGUN_BOARD="host",
                       PICKGUN_HOST_DIR=str(self.folder.resolve()),
                       MICROPYPATH=".frozen")
            proc = subprocess.run(
                [self.micropython, "-X", "heapsize=%dk" % self.heap_k(),
                 str(FIRMWARE / "boards" / "host_boot.py"), str(script)],
                cwd=self.folder, env=env, capture_output=True, text=True,
                timeout=120)
        if proc.returncode != 0:
            raise LinkError("the gun failed to run the snippet:\n%s%s" % (
                proc.stdout[-2000:], proc.stderr[-2000:]))
        if reset:
            self.reset()
        return proc.stdout

    def romfs_size(self):
        return PARTITION_BYTES

    def reset(self):
        with open(self.folder / "resets.log", "a") as f:
            f.write("reset\n")


def link_for(port):
    """The link for --port: sim:FOLDER is a simulated gun's folder."""
    if port.startswith(SIM_PREFIX):
        return HostLink(port[len(SIM_PREFIX):])
    return UsbLink(port)


def read_state(link, export=False, reset=False):
    """(state dict, [payload lines]) as the gun reports them (STATE)."""
    out = link.exec(STATE % {"export": export, "data": DEVICE_DATA_DIR,
                             "mark": MARK, "event": EVENT_MARK}, reset=reset)
    try:
        state = json.loads(_marked(out, "its state"))
    except ValueError as e:
        raise LinkError("the gun's state is not JSON: %s" % e) from e
    events = [line[len(EVENT_MARK):] for line in out.splitlines()
              if line.startswith(EVENT_MARK)]
    state["mem_info"] = [line for line in out.splitlines()
                         if not line.startswith((MARK, EVENT_MARK))]
    return state, events


def unsent(state):
    """Unacknowledged scans in a state's journal: a number, or None when
    the journal is there but could not be read."""
    journal = state.get("journal")
    if journal is None:
        return 0
    return journal.get("pending")


def _kb(n):
    return "%.1f KB" % (n / 1024) if isinstance(n, int) else "?"


def info_lines(state):
    """A gun's state (read_state) as the lines gun-info prints."""
    out = ["firmware: %s%s" % (
        state.get("fw") or "none",
        " (modules from %s)" % state["from"].rsplit("/", 2)[0]
        if state.get("from") else "")]
    if state.get("error"):
        out.append("error: %s" % state["error"])
    if state.get("board"):
        out.append("board: %s, gun id: %s" % (state["board"],
                                               state.get("id") or "none"))
    problems = state.get("problems")
    if problems is not None:
        out.append("config: %s" % ("; ".join(problems) if problems
                                   else "OK"))
    journal = state.get("journal")
    if journal is None:
        out.append("journal: none")
    elif "unreadable" in journal:
        out.append("journal: UNREADABLE (%s)" % journal["unreadable"])
    else:
        out.append("journal: %d unsent scans of %d (epoch %d, acknowledged "
                   "up to seq %d, next seq %d)" % (
                       journal["pending"], journal["capacity"],
                       journal["ep"], journal["upto"], journal["next"]))
    mem = state.get("mem") or {}
    line = "heap: %s free, %s used" % (_kb(mem.get("free")),
                                       _kb(mem.get("alloc")))
    # ESP-IDF's data heap, per region: (total, free, largest free block,
    # lowest free): what WiFi and TLS allocate from.
    idf = mem.get("idf")
    if idf:
        line += "; internal RAM %s free, largest block %s" % (
            _kb(sum(r[1] for r in idf)), _kb(max(r[2] for r in idf)))
    out.append(line)
    if "fs_free" in state:
        out.append("data flash: %s free" % _kb(state["fs_free"]))
    return out + state.get("mem_info", [])


@click.command("gun-info")
@click.option("--port", required=True, help="The gun's serial port, "
              "e.g. /dev/ttyUSB0 (sim:FOLDER: a simulated gun's folder).")
def gun_info_command(port):
    """What a gun plugged in by USB runs and holds: firmware version,
    config problems, journal (unsent scans), memory.  The gun restarts
    afterwards."""
    link = link_for(port)
    link.check()
    state, _ = read_state(link, reset=True)
    click.echo("Gun on %s:" % link.name)
    for line in info_lines(state):
        click.echo("  " + line)
