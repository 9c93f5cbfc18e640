"""The mpy-cross build of the firmware (tools/mpy_build.py): every module
imports from it, the whole gun boots from it under the simulator, and
`pickgun flash` copies it."""
import sys
import tomllib

from click.testing import CliRunner

from mp import CODE_HEAP_SCRIPT, MICROPYTHON, REPO, check  # noqa: F401

sys.path.insert(0, str(REPO))
from server.gunlink.broker import free_port  # noqa: E402
from tools.flash import firmware_version, flash_command  # noqa: E402
from tools.mpy_build import (NATIVE, build_firmware, sources,  # noqa: E402
                             tree_files)
from tools.simulate import MPY_CODE_ALLOWANCE_K, SimulatedGun  # noqa: E402


def test_build_has_an_mpy_for_every_module_and_each_imports(tmp_path):
    tree = build_firmware(tmp_path / "mpy")
    built = {target for _, target in tree_files(tree)}
    mods = [rel[:-3] for _, rel in sources() if rel not in ("main.py",
                                                            "boot.py")]
    # The viper loops stay source, for the gun's own compiler.
    assert {m + ".mpy" for m in mods if m + ".py" not in NATIVE} | {
        "main.py", "boot.py"} | set(NATIVE) == built
    assert {t for t in built if t.endswith(".py") and "/" in t} == \
        set(NATIVE)
    names = [m.replace("/", ".").replace(".__init__", "") for m in mods]
    out = check("""
import sys
for name in %r:
    m = __import__(name, None, None, ["x"])
    assert m.__file__.endswith(".mpy") or name in %r, (name, m.__file__)
print("imported", len(%r))
""" % (names, [n[:-3].replace("/", ".") for n in NATIVE], names),
                heapsize="512k", path=(),
                env={"PICKGUN_BOARD": "host",
                     "MICROPYPATH": "%s:.frozen" % tree})
    assert "imported %d" % len(names) in out


def test_build_is_cached_and_follows_sources(tmp_path):
    fw = tmp_path / "fw"
    (fw / "gun").mkdir(parents=True)
    (fw / "gun" / "a.py").write_text("X = 1\n")
    (fw / "gun" / "b.py").write_text("Y = 2\n")
    out = tmp_path / "out"
    build_firmware(out, REPO, fw)
    a = out / "gun" / "a.mpy"
    mtime = a.stat().st_mtime_ns
    build_firmware(out, REPO, fw)
    assert a.stat().st_mtime_ns == mtime            # unchanged: not rebuilt
    (fw / "gun" / "a.py").write_text("X = 3\n")
    (fw / "gun" / "b.py").unlink()
    build_firmware(out, REPO, fw)
    assert a.stat().st_mtime_ns != mtime
    assert not (out / "gun" / "b.mpy").exists()


def test_code_allowance_covers_the_precompiled_code(tmp_path):
    """Heap the .mpy build's modules take once loaded fits the allowance
    SimulatedGun(precompiled=True) adds to the heap."""
    tree = build_firmware()
    out = check(CODE_HEAP_SCRIPT, heapsize="512k",
                env={"PICKGUN_BOARD": "host",
                     "MICROPYPATH": "%s:.frozen" % tree})
    used = int(out.split()[-1])
    assert used < MPY_CODE_ALLOWANCE_K * 1024, used


def test_gun_boots_from_the_mpy_build(tmp_path):
    with SimulatedGun(tmp_path / "g", "G01", "pw", "127.0.0.1", free_port(),
                      precompiled=True) as gun:
        assert gun.code_allowance_k == MPY_CODE_ALLOWANCE_K
        assert (gun.firmware / "gun" / "app.mpy").is_file()
        assert not (gun.firmware / "gun" / "app.py").exists()
        st = gun.wait_for(lambda s: s["screen"] == "idle")
        assert st["pending"] == 0
        assert "Scan an order" in gun.screen_text()
        st = gun.scan("https://example.com/not-ours")
        assert st["screen"] == "refused" and st["reason"] == "foreign"
        assert gun.beeps[-1] == "err"
        assert "Traceback" not in gun.log_path.read_text()


def test_flash_dry_run_lists_mpy_files():
    result = CliRunner().invoke(flash_command, [
        "--port", "/dev/ttyUSB9", "--dry-run", "--mpy"])
    assert result.exit_code == 0, result.output
    out = result.output
    for target in (":gun/app.mpy", ":gun/journal.mpy", ":shared/wire.mpy",
                   ":boards/esp32_gm65.mpy", ":main.py", ":boot.py"):
        assert target in out
    assert ":gun/app.py" not in out.replace("'gun/app.py'", "")


def test_firmware_version_is_the_projects_and_survives_the_build():
    """The one VERSION every gun reports: the project's own version, and
    the same from the sources, the .mpy build and what `pickgun flash`
    says it puts on the gun."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    version = firmware_version()
    assert version == project["project"]["version"], version
    tree = build_firmware()
    for path in (tree, "%s:%s" % (REPO / "firmware", REPO)):
        out = check("import gun\nprint(gun.VERSION)", path=(),
                    env={"MICROPYPATH": "%s:.frozen" % path})
        assert out.strip() == version, (path, out)
    result = CliRunner().invoke(flash_command, [
        "--port", "/dev/ttyUSB9", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Firmware %s for the gun" % version in result.output
    assert "/rom/gun/__init__.mpy" in result.output
