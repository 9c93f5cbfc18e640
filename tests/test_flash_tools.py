"""`pickgun flash`, `gun-info`, `provision --port` and `import-events`
against a gun: the host stand-in of tools/device.py (a simulated gun's
folder, `--port sim:FOLDER`), where the real MicroPython unix port runs
the snippets a gun would run over USB, so the journal is read by the
firmware's own code."""
import ast
import json
import sqlite3

import pytest
from click.testing import CliRunner

from server.seed import seed_demo_command
from shared import wire
from tools.device import link_for
from tools.flash import firmware_files, flash_command
from tools.mpy_build import HOST_ONLY, is_host_only, sources
from tools.provision import gun_config, provision_command
from tools.romfs import build_image, listing
from tools.unsent import import_events_command

GUN_ID = "G07"
# A gun's journal, written and read by the firmware's Journal on the
# gun's data partition (the host board's flash.bin).
JOURNAL = """
import boards
from gun.journal import Journal
from shared import wire
b = boards.load()
b.mount()
j = Journal(b.DATA_DIR)
for code in %r:
    j.append(wire.PICK, %d, 1767225600, code=code)
if %d:
    j.ack(j.ep, %d)
print("PICKGUN", j.pending_count(), j.ep)
for seq, payload in j.pending():
    print("EVT", payload.decode())
"""


def invoke(command, args):
    return CliRunner().invoke(command, [str(a) for a in args])


@pytest.fixture
def gun(tmp_path, micropython):
    """A simulated gun's folder, flashed and provisioned."""
    folder = tmp_path / "gun"
    folder.mkdir()
    result = invoke(flash_command, ["--port", "sim:%s" % folder])
    assert result.exit_code == 0, result.output
    (folder / "config.json").write_text(json.dumps(gun_config(
        GUN_ID, "pw", "127.0.0.1", board="host")))
    return folder


def write_journal(folder, codes, order=1042, acked=0):
    """Append picks to the gun's journal (acking the first `acked`);
    returns (epoch, the unacknowledged payloads as the gun stores them)."""
    out = link_for("sim:%s" % folder).exec(
        JOURNAL % (list(codes), order, acked, acked))
    head = [ln for ln in out.splitlines() if ln.startswith("PICKGUN ")][0]
    events = [ln[4:] for ln in out.splitlines() if ln.startswith("EVT ")]
    assert int(head.split()[1]) == len(events)
    return int(head.split()[2]), events


def resets(folder):
    try:
        return len((folder / "resets.log").read_text().splitlines())
    except OSError:
        return 0


def codes(n, sku="CBD-OIL-30", lot="L2607A", first=1):
    return [wire.bottle_code("S%05d" % (first + i), sku, lot)
            for i in range(n)]


# ------------------------------------------------------- host-only modules
def test_no_gun_module_imports_a_host_only_one():
    """drivers/png.py and boards/host*.py are the simulator's alone: no
    module that goes on a gun imports one."""
    host_only = set()
    gun_modules = []
    for path, rel in sources():
        name = rel[:-3].replace("/", ".").replace(".__init__", "")
        if is_host_only(rel):
            host_only.add(name)
        else:
            gun_modules.append((name, path))
    assert {"boards.host", "boards.host_boot", "drivers.png"} <= host_only
    for name, path in gun_modules:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found = {node.module} | {node.module + "." + a.name
                                         for a in node.names}
            elif isinstance(node, ast.Import):
                found = {a.name for a in node.names}
            else:
                continue
            assert not found & host_only, (name, found & host_only)


def test_no_host_only_module_in_the_files_nor_the_image():
    files, missing = firmware_files()
    assert not missing
    targets = [target for _, target in files]
    assert "gun/journal.py" in targets and "boards/esp32_gm65.py" in targets
    assert not [t for t in targets if is_host_only(t)]
    assert not [t for t in targets if "host" in t or "png" in t]
    gun = dict(listing(build_image().read_bytes()))
    assert "gun/app.mpy" in gun and "boards/esp32_gm65.mpy" in gun
    assert not [t for t in gun if is_host_only(t)]
    assert "main.py" not in gun and "boot.py" not in gun
    # The simulator's image: the same files, plus the host-only ones.
    host = dict(listing(build_image(host=True).read_bytes()))
    extra = {t for t in host if t not in gun}
    assert extra and all(is_host_only(t) for t in extra)
    assert {t: host[t] for t in gun} == gun
    assert HOST_ONLY


def test_flash_dry_run_shows_the_romfs_install():
    result = invoke(flash_command, ["--port", "/dev/ttyUSB9", "--dry-run"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "a ROMFS image and 2 files" in out
    for entry in ("/rom/gun/app.mpy", "/rom/gun/journal.mpy",
                  "/rom/shared/wire.mpy", "/rom/boards/esp32_gm65.mpy",
                  ":main.py", ":boot.py"):
        assert entry in out
    assert "romfs deploy" in out and out.rstrip().endswith("+ reset")
    assert "boards/host" not in out and "png" not in out
    assert ":gun/app.mpy" not in out        # not a file on the gun
    assert "read the gun's journal over USB" in out
    for flag, entry in (("--mpy", ":gun/app.mpy"), ("--py", ":gun/app.py")):
        result = invoke(flash_command, ["--port", "/dev/ttyUSB9",
                                        "--dry-run", flag])
        assert result.exit_code == 0, result.output
        assert entry in result.output
        assert "romfs deploy" not in result.output
        assert "boards/host" not in result.output
        assert "png" not in result.output


# ----------------------------------------------------------- the journal
def test_flash_refuses_a_gun_with_unsent_scans(gun):
    write_journal(gun, codes(5), acked=2)
    image = (gun / "romfs.bin").read_bytes()
    (gun / "main.py").write_text("# what the gun runs now\n")
    before = resets(gun)
    result = invoke(flash_command, ["--port", "sim:%s" % gun])
    assert result.exit_code != 0
    assert "Journal on the gun G07: 3 unsent scans" in result.output
    assert "Refusing to flash" in result.output
    assert "--force" in result.output
    # Nothing written; the gun restarted into what it ran.
    assert (gun / "romfs.bin").read_bytes() == image
    assert (gun / "main.py").read_text() == "# what the gun runs now\n"
    assert resets(gun) == before + 1
    assert not list(gun.parent.glob("unsent-*"))


def test_flash_goes_on_when_every_scan_is_acknowledged(gun):
    write_journal(gun, codes(2), acked=2)
    result = invoke(flash_command, ["--port", "sim:%s" % gun])
    assert result.exit_code == 0, result.output
    assert "Journal on the gun G07: 0 unsent scans" in result.output


def test_force_exports_then_import_records_them_once(gun, tmp_path):
    db = tmp_path / "pickgun.db"
    assert invoke(seed_demo_command, ["--db", db]).exit_code == 0
    conn = sqlite3.connect(db)
    # Order 1004 wants one CBD-OIL-30: a bottle in stock for it, then one
    # that does not exist.
    serial, lot = conn.execute(
        "SELECT serial, lot_id FROM bottles WHERE sku = 'CBD-OIL-30' AND "
        "status = 'in_stock' ORDER BY serial").fetchone()
    conn.close()
    picks = [wire.bottle_code("B999998", "CBD-OIL-30", lot),
             wire.bottle_code(serial, "CBD-OIL-30", lot),
             wire.bottle_code("B999999", "CBD-OIL-30", lot)]
    ep, stored = write_journal(gun, picks, order=1004, acked=1)
    export = tmp_path / "unsent.jsonl"
    result = invoke(flash_command, ["--port", "sim:%s" % gun, "--force",
                                    "--export", export])
    assert result.exit_code == 0, result.output
    assert "WARNING: flashing a gun holding 2 unsent scans" in result.output
    assert "pickgun import-events %s" % export in result.output
    lines = export.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["export"] == "pickgun-unsent-events"
    assert (header["dev"], header["ep"], header["upto"], header["count"]) \
        == (GUN_ID, ep, 1, 2)
    assert lines[1:] == stored          # exactly as the gun publishes them
    assert [wire.decode(x)["seq"] for x in lines[1:]] == [2, 3]

    result = invoke(import_events_command, [export, "--db", db])
    assert result.exit_code == 0, result.output
    assert "2 recorded now, 0 already recorded" in result.output
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT seq, outcome, reason, payload FROM device_events WHERE "
        "device_id = ? ORDER BY seq", [GUN_ID]).fetchall()
    assert [r[:3] for r in rows] == [(2, "accepted", None),
                                     (3, "rejected", "unknown_bottle")]
    assert [r[3] for r in rows] == stored
    assert conn.execute("SELECT status, order_id FROM bottles WHERE "
                        "serial = ?", [serial]).fetchone() == ("picked", 1004)

    def dump():
        return list(conn.iterdump())

    before = dump()
    result = invoke(import_events_command, [export, "--db", db])
    assert result.exit_code == 0, result.output
    assert "0 recorded now, 2 already recorded" in result.output
    assert dump() == before
    conn.close()


def test_import_refuses_a_file_that_is_not_an_export(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"v": 1, "ep": 1, "seq": 1}\n')
    result = invoke(import_events_command, [path, "--db",
                                            tmp_path / "db.sqlite"])
    assert result.exit_code != 0
    assert "not an export" in result.output


# ------------------------------------------------------------- the install
def test_flash_installs_the_image_and_clears_old_module_files(gun):
    # An earlier --mpy install: files "" on sys.path finds before /rom.
    result = invoke(flash_command, ["--port", "sim:%s" % gun, "--mpy"])
    assert result.exit_code == 0, result.output
    assert (gun / "gun" / "app.mpy").is_file()
    assert (gun / "boards" / "host.mpy").is_file()   # the sim's own board
    _, stored = write_journal(gun, codes(1), acked=1)
    config = (gun / "config.json").read_text()
    flash = (gun / "flash.bin").read_bytes()
    result = invoke(flash_command, ["--port", "sim:%s" % gun])
    assert result.exit_code == 0, result.output
    assert "Flashed firmware" in result.output
    for folder in ("gun", "boards", "drivers", "shared"):
        assert not (gun / folder).exists()
    assert sorted(p.name for p in gun.iterdir()) == [
        "boot.py", "config.json", "flash.bin", "main.py", "resets.log",
        "romfs.bin"]
    assert (gun / "config.json").read_text() == config
    assert (gun / "flash.bin").read_bytes() == flash
    out = invoke_info(gun)
    assert "modules from /rom" in out


def invoke_info(folder):
    from tools.device import gun_info_command
    result = invoke(gun_info_command, ["--port", "sim:%s" % folder])
    assert result.exit_code == 0, result.output
    return result.output


def test_gun_info_reports_version_config_journal_and_memory(gun):
    from tools.flash import firmware_version
    ep, _ = write_journal(gun, codes(4), acked=1)
    before = resets(gun)
    out = invoke_info(gun)
    assert "Gun on sim:%s:" % gun in out
    assert "firmware: %s (modules from /rom)" % firmware_version() in out
    assert "board: simulated, gun id: G07" in out
    assert "config: OK" in out
    assert ("journal: 3 unsent scans of 400 (epoch %d, acknowledged up to "
            "seq 1, next seq 5)" % ep) in out
    assert "heap: " in out and " KB free" in out
    assert "data flash: " in out
    assert "GC: total:" in out                  # micropython.mem_info()
    assert resets(gun) == before + 1            # back to work afterwards


def test_gun_info_reports_config_problems(gun):
    (gun / "config.json").write_text(json.dumps(
        {"id": "bad id!", "broker": "", "board": "host"}))
    out = invoke_info(gun)
    assert "config: bad gun id; no password; no broker address" in out
    assert "journal: none" in out


def test_provision_port_copies_the_config_and_resets(gun, tmp_path):
    before = resets(gun)
    out = tmp_path / "config-G09.json"
    result = invoke(provision_command, [
        "G09", "--db", tmp_path / "p.db", "--out", out, "--ssid", "shop",
        "--broker-host", "10.0.0.5", "--no-tls", "--board", "esp32_wroom",
        "--port", "sim:%s" % gun])
    assert result.exit_code == 0, result.output
    assert (gun / "config.json").read_bytes() == out.read_bytes()
    assert resets(gun) == before + 1
    assert "restarted the gun" in result.output
    assert "gun id: G09" in invoke_info(gun)


def test_a_folder_that_is_not_a_gun_is_left_alone(tmp_path):
    folder = tmp_path / "project"
    (folder / "gun").mkdir(parents=True)
    (folder / "gun" / "keep.py").write_text("")
    result = invoke(flash_command, ["--port", "sim:%s" % folder])
    assert result.exit_code != 0
    assert "holds no simulated gun" in result.output
    assert (folder / "gun" / "keep.py").exists()
