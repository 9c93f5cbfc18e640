"""The firmware run from its ROMFS image (tools/romfs.py), as `pickgun
flash` installs it: mounted at /rom by the gun's start-up
(boards/host_boot.py on the host), its modules executed in place."""
import os
import shutil
import subprocess
import sys

from mp import (CODE_HEAP_SCRIPT, FIRMWARE, MICROPYTHON, REPO,
                ROMFS_CODE_HEAP_SCRIPT, check)

sys.path.insert(0, str(REPO))
from server.gunlink.broker import free_port  # noqa: E402
from tools.mpy_build import build_firmware  # noqa: E402
from tools.romfs import PARTITION_BYTES, build_image  # noqa: E402
from tools.simulate import (ROMFS_CODE_ALLOWANCE_K, SimulatedGun,  # noqa
                            image_heap_k)

HOST_BOOT = FIRMWARE / "boards" / "host_boot.py"
WHERE = """
import sys
from gun import app
import boards
print(sys.path)
print(app.__file__, boards.load().__file__)
"""


def boot(folder, script, heapsize="512k"):
    """Run script on a gun started as a device starts (host_boot.py) in
    folder; returns the completed process."""
    path = folder / "snippet.py"
    path.write_text(script)
    env = dict(os.environ, PICKGUN_BOARD="host",
               PICKGUN_HOST_DIR=str(folder), MICROPYPATH=".frozen")
    return subprocess.run([MICROPYTHON, "-X", "heapsize=" + heapsize,
                           str(HOST_BOOT), str(path)], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=60)


def romfs_folder(tmp_path):
    folder = tmp_path / "gun"
    folder.mkdir()
    shutil.copyfile(build_image(host=True), folder / "romfs.bin")
    return folder


def test_modules_import_from_the_image_mounted_at_rom(tmp_path):
    folder = romfs_folder(tmp_path)
    proc = boot(folder, WHERE)
    assert proc.returncode == 0, proc.stderr
    path, files = proc.stdout.splitlines()
    # The device's sys.path: the filesystem, frozen modules, the image.
    assert path == "['', '.frozen', '/rom', '/rom/lib']"
    assert files == "/rom/gun/app.mpy /rom/boards/host.mpy"


def test_a_folder_without_an_image_boots_without_rom(tmp_path):
    """As on a device: no valid image, no /rom, nothing said."""
    folder = tmp_path / "gun"
    folder.mkdir()
    (folder / "romfs.bin").write_bytes(b"\xff" * 4096)   # erased flash
    proc = boot(folder, "import sys\nprint(sys.path)\nimport gun\n")
    assert proc.returncode != 0
    assert proc.stdout.splitlines()[0] == "['', '.frozen']"
    assert "ImportError: no module named 'gun'" in proc.stdout


def test_files_on_the_filesystem_come_before_the_image(tmp_path):
    """"" precedes /rom on sys.path, on the device too: why `pickgun
    flash` clears the module folders an earlier install left."""
    folder = romfs_folder(tmp_path)
    (folder / "gun").mkdir()
    (folder / "gun" / "__init__.py").write_text("VERSION = 'stale'\n")
    out = boot(folder, "import gun\nprint(gun.VERSION, gun.__file__)\n")
    assert out.stdout.strip() == "stale gun/__init__.py"


def test_code_allowance_covers_the_romfs_code(tmp_path):
    """What importing the modules from the image still takes on the heap
    fits the allowance SimulatedGun(romfs=True) adds, and is well below
    what the same .mpy files take loaded into the heap: the bytecode runs
    in place."""
    folder = romfs_folder(tmp_path)
    assert ROMFS_CODE_HEAP_SCRIPT != CODE_HEAP_SCRIPT
    proc = boot(folder, ROMFS_CODE_HEAP_SCRIPT)
    assert proc.returncode == 0, proc.stderr
    used = int(proc.stdout.split()[-1])
    assert used < ROMFS_CODE_ALLOWANCE_K * 1024, used
    loaded = int(check(CODE_HEAP_SCRIPT, heapsize="512k", path=(),
                       env={"PICKGUN_BOARD": "host",
                            "MICROPYPATH": "%s:.frozen"
                            % build_firmware()}).split()[-1])
    # The image also holds modules this import does not load (the QR
    # decoder): compare with the loaded figure alone.
    assert used < loaded * 3 // 4, (used, loaded)


def test_the_image_fits_the_romfs_partition():
    assert build_image().stat().st_size < PARTITION_BYTES


def test_gun_boots_from_the_romfs_image(tmp_path):
    with SimulatedGun(tmp_path / "g", "G01", "pw", "127.0.0.1", free_port(),
                      romfs=True) as gun:
        assert gun.code_allowance_k == ROMFS_CODE_ALLOWANCE_K
        image = (gun.workdir / "romfs.bin").stat().st_size
        assert gun.image_k == image_heap_k(image)
        heap = [a for a in gun.proc.args if a.startswith("heapsize=")]
        assert heap == ["heapsize=%dk" % (110 + ROMFS_CODE_ALLOWANCE_K
                                          + gun.image_k)]
        assert sorted(p.name for p in gun.workdir.glob("*.py")) == [
            "boot.py", "main.py"]
        assert not (gun.workdir / "gun").exists()
        st = gun.wait_for(lambda s: s["screen"] == "idle")
        assert st["pending"] == 0
        assert "Scan an order" in gun.screen_text()
        st = gun.scan("https://example.com/not-ours")
        assert st["screen"] == "refused" and st["reason"] == "foreign"
        gun.power_cut()
        gun.power_on()
        st = gun.wait_for(lambda s: s["screen"] == "idle")
        assert "Traceback" not in gun.log_path.read_text()
