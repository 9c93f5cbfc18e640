"""The frozen build's manifest freezes every module a gun runs and none
that only the host runs (tools/mpy_build.py HOST_ONLY)."""
from pathlib import Path

from tools.flash import firmware_files
from tools.mpy_build import is_host_only

REPO = Path(__file__).resolve().parents[2]


def frozen_modules():
    """What firmware/manifest.py freezes, read by running it against a
    recorder of MicroPython's manifest functions."""
    found = set()

    def package(name, files=None, base_path=".", opt=None):
        folder = REPO / "firmware" / base_path / name
        names = files or [p.relative_to(folder).as_posix()
                          for p in folder.rglob("*.py")]
        found.update("%s/%s" % (name, f) for f in names)

    source = (REPO / "firmware" / "manifest.py").read_text()
    exec(compile(source, "manifest.py", "exec"),
         {"include": lambda path: None, "package": package})
    return found


def test_manifest_freezes_the_device_modules_only():
    files, missing = firmware_files(REPO)
    assert not missing
    device = {target for _local, target in files
              if target.endswith(".py") and "/" in target
              and not is_host_only(target)}
    assert frozen_modules() == device
