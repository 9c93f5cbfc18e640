"""Run firmware code inside the MicroPython unix port, from pytest.

API:
    MICROPYTHON, REPO, FIRMWARE, MPLIB   paths
    mp_path(*extra) -> str               MICROPYPATH: extra dirs, then
                                         mplib (fakes, sim_flash), the
                                         precompiled firmware, firmware,
                                         repo, .frozen
    script(name) -> Path                 tests/firmware/mp/<name>.py
    run(code, heapsize="110k", path=(), env=None, timeout=60, cwd=None,
        args=()) -> subprocess.CompletedProcess
                                         run `code`: a script's Path (see
                                         script(); run in place, `args`
                                         its sys.argv[1:]) or its text
    check(code, **kw) -> str             run() and assert exit status 0;
                                         returns stdout (failure message
                                         shows stdout and stderr)
Inside scripts, `import fakes` gives Board, Journal, Store, Sync,
snapshot(), bottle(), order() (tests/firmware/mplib/fakes.py), and
`import sim_flash` a simulated NOR flash for littlefs with power cuts and
failing reads and writes (tests/firmware/mplib/sim_flash.py).  mp_run.py's
scripts get the same path.
"""
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIRMWARE = REPO / "firmware"
MPLIB = HERE / "mplib"
# The MicroPython test scripts, as files (run in place: their folder is
# their sys.path[0], so they import the shared modules beside them).
SCRIPTS = HERE / "mp"


def script(name):
    """The path of tests/firmware/mp/<name>.py."""
    return SCRIPTS / (name + ".py")


def _find_micropython():
    local = REPO / ".venv" / "bin" / "micropython"
    if local.exists():
        return str(local)
    return shutil.which("micropython") or str(local)


MICROPYTHON = _find_micropython()


@functools.lru_cache(maxsize=None)
def firmware_build():
    """The firmware as `pickgun flash` puts it on a gun: precompiled .mpy
    (tools/mpy_build.py, rebuilt only when a source changes).  Tests import
    from it so an import costs the heap it costs on the gun, without the
    compiler's temporary peak, which 110k cannot always give a large module
    and which a gun never pays."""
    sys.path.insert(0, str(REPO))
    from tools.mpy_build import build_firmware
    return build_firmware()


# Heap the firmware's modules take once imported; prints bytes.
CODE_HEAP_SCRIPT = """
import gc
gc.collect()
base = gc.mem_alloc()
import asyncio, boards
b = boards.load()
from shared import wire
from gun import journal, store, screens, app, scanner, picks, sync, config
from gun import sntp
from drivers import png, gm65
gc.collect()
print(gc.mem_alloc() - base)
"""

# A gun running from its ROMFS image imports the update task too
# (main.py, gun/ota.py): only such a gun can be updated over the air.
ROMFS_CODE_HEAP_SCRIPT = CODE_HEAP_SCRIPT.replace(
    "from drivers import png, gm65\n",
    "from drivers import png, gm65\nfrom gun import ota\n")

# A script importing the whole app's .mpy into the heap: 110k, plus the
# 6 KB of code the warehouse floor (sign-in, lots, returns) added to what
# a gun running from its ROMFS image keeps in flash.
FLOOR_HEAP = "116k"

SOURCE_PATH = "%s:%s:.frozen" % (FIRMWARE, REPO)   # the .py files, no build


def mp_path(*extra):
    parts = [str(p) for p in extra] + [str(MPLIB), str(firmware_build()),
                                       str(FIRMWARE), str(REPO), ".frozen"]
    return ":".join(parts)


def run(code, heapsize="110k", path=(), env=None, timeout=60, cwd=None,
        args=()):
    with tempfile.TemporaryDirectory() as tmp:
        if isinstance(code, Path):
            path_run = code
        else:
            path_run = Path(tmp) / "mp_test_script.py"
            path_run.write_text(textwrap.dedent(code))
        full_env = dict(os.environ)
        full_env["MICROPYPATH"] = mp_path(*path)
        if env:
            full_env.update(env)
        command = [MICROPYTHON]
        if heapsize:
            command += ["-X", "heapsize=" + heapsize]
        command += [str(path_run), *[str(a) for a in args]]
        return subprocess.run(command, capture_output=True, text=True,
                              env=full_env, timeout=timeout,
                              cwd=cwd or tmp)


def check(code, **kw):
    proc = run(code, **kw)
    assert proc.returncode == 0, (
        "MicroPython exited %d\n--- stdout\n%s\n--- stderr\n%s"
        % (proc.returncode, proc.stdout, proc.stderr))
    return proc.stdout
