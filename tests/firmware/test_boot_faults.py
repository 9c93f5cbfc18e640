"""A boot or run-time failure never leaves a dead gun at the REPL: the
whole firmware (main.py) in the real MicroPython, through the host board's
stand-ins for the panel, the pins, the watchdog, reset() and the flash.

- no panel: the gun runs headless, says so with the error beep, and still
  scans and syncs;
- a pin the board's chip cannot give: the config error screen;
- an error out of run(): logged (console, /flash/crash.txt), then reset;
- an event loop that stops turning: the watchdog resets the gun; a
  healthy one it never does;
- a FAT flash: a stop screen, the flash left as it was."""
import json
import subprocess
import sys
import time

from mp import FIRMWARE, MICROPYTHON, REPO, SOURCE_PATH, check

sys.path.insert(0, str(REPO))
from server.gunlink.broker import free_port  # noqa: E402
from shared import wire  # noqa: E402
from tools.simulate import RESET_EXIT, WATCHDOG, SimulatedGun  # noqa: E402


def host_env(workdir):
    return {"PICKGUN_BOARD": "host", "PICKGUN_HOST_DIR": str(workdir),
            "MICROPYPATH": SOURCE_PATH}


def test_gun_without_a_panel_runs_headless_scans_and_syncs(tmp_path, env):
    broker, server = env
    snap = wire.snapshot(50, 1, "placed", "C",
                         [{"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL",
                           "qty": 2, "got": 0}], [], [])
    server.publish("pickgun/order/50", json.dumps(snap), retain=True)
    server.hold_orders([50])
    with SimulatedGun(tmp_path / "g", "G01", "pw-g01", "127.0.0.1",
                      broker.port,
                      extra_config={"host": {"display": False}}) as gun:
        st = gun.wait_for(lambda s: s["link"] == "online", 20)
        assert st["screen"] == "idle" and gun.beeps[:1] == ["err"], \
            (st, gun.beeps)
        deadline = time.monotonic() + 15
        while True:             # once the retained snapshot is cached
            st = gun.scan(wire.order_code(50))
            if st["screen"] != "refused" or time.monotonic() > deadline:
                break
            assert st["reason"] in ("unknown_order", "fetching"), st
            gun.press("OK")
            time.sleep(0.9)     # past the decoder's repeat window
        assert st["screen"] == "order" and gun.beeps[-1] == "ok", st
        st = gun.scan(wire.bottle_code("B000101", "CBD-OIL-30", "L2311A"))
        assert st["screen"] == "picking" and gun.beeps[-1] == "ok", st
        gun.wait_for(lambda s: s["pending"] == 0, 20)      # synced, acked
        assert any(a[2] == 1 for a in server.arrivals), server.arrivals
        assert gun.alive and gun.frames == 0
        assert not gun.screen_png.exists()
        log = gun.log_path.read_text()
        assert log.count("pickgun: panel failed: OSError(19") == 1, log


def test_a_pin_the_chip_lacks_stops_on_the_config_error_screen(tmp_path):
    # GPIO 22 is the ESP32-WROOM's SCL, and no GPIO at all on an ESP32-S3
    pins = {"scl": 22}
    with SimulatedGun(tmp_path / "s3", "G01", "pw", "127.0.0.1", free_port(),
                      extra_config={"board": "esp32_s3", "pins": pins,
                                    "host": {"wdt_ms": 500}}) as gun:
        st = gun.wait_for(lambda s: s["screen"] == "config_error")
        assert st["msg"] == "scl 22: not a GPIO of ESP32-S3", st
        text = gun.screen_text()
        assert text.startswith("Config error\nSTOP") and "scl 22" in text
        assert gun.beeps[-1] == "err"
        time.sleep(1.5)                 # no watchdog on a stopped gun
        assert gun.alive, gun.log_tail()
        assert "Traceback" not in gun.log_path.read_text()
    with SimulatedGun(tmp_path / "wroom", "G01", "pw", "127.0.0.1",
                      free_port(), extra_config={"board": "esp32_wroom",
                                                 "pins": pins}) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")


def test_an_error_out_of_run_is_logged_then_the_gun_resets(tmp_path):
    """The decoder's UART cannot be opened (here: nothing listens on its
    port; on a device, say, a pin the UART refuses): run() raises.  The
    gun logs it, keeps it in crash.txt, shows it, waits, then resets."""
    closed = free_port()
    (tmp_path / "config.json").write_text(json.dumps(
        {"id": "G01", "password": "pw", "broker": "127.0.0.1",
         "port": free_port(), "board": "host",
         "host": {"uart": closed, "panel": closed}}))
    start = time.monotonic()
    proc = subprocess.run(
        [MICROPYTHON, "-X", "heapsize=206k", str(FIRMWARE / "main.py")],
        env=host_env(tmp_path), cwd=tmp_path, capture_output=True,
        text=True, timeout=60)
    took = time.monotonic() - start
    assert proc.returncode == RESET_EXIT, (proc.returncode, proc.stdout,
                                           proc.stderr)
    assert took >= 5, took                      # RESET_DELAY_MS first
    out = proc.stdout
    assert "pickgun: gun failed: OSError" in out, out
    assert "Traceback" in out and "uart" in out, out
    crash = check("""
import boards
b = boards.load()
b.mount()
print(open(b.DATA_DIR + "/crash.txt").read())
""", env=host_env(tmp_path))
    assert crash.startswith("Traceback") and "OSError" in crash, crash
    assert len(crash) <= 1025, len(crash)


def test_an_event_loop_that_stops_turning_is_reset_by_the_watchdog(
        tmp_path):
    with SimulatedGun(tmp_path / "g", "G01", "pw", "127.0.0.1", free_port(),
                      extra_config={"host": {"wdt_ms": 1500}}) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        gun.hang()
        start = time.monotonic()
        assert gun.wait_exit(10) == WATCHDOG, gun.log_tail()
        assert time.monotonic() - start < 6
        assert "pickgun: watchdog: not fed for 1500 ms" in gun.log_tail()
        gun.power_on()                  # a reset gun boots again
        gun.wait_for(lambda s: s["screen"] == "idle")


def test_a_healthy_gun_is_never_reset_by_the_watchdog(tmp_path):
    """Scans, key presses, WiFi coming and going, and time with nothing to
    do, over several watchdog timeouts."""
    with SimulatedGun(tmp_path / "g", "G01", "pw", "127.0.0.1", free_port(),
                      extra_config={"host": {"wdt_ms": 1500},
                                    "backoff_ms": 50,
                                    "backoff_max_ms": 100}) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        end = time.monotonic() + 4.5
        n = 0
        while time.monotonic() < end:
            gun.scan("https://example.com/%d" % n)
            gun.press("OK")
            gun.wifi(n % 2 == 0)
            n += 1
            time.sleep(0.1)
        time.sleep(2)                   # idle: only the feeder runs
        assert gun.alive, gun.log_tail()
        assert gun.state()["scans"] == n
        assert "watchdog" not in gun.log_path.read_text()
    assert gun.proc.returncode == 0      # stopped by its harness, no reset


def test_a_fat_flash_stops_the_gun_and_is_left_as_it_was(tmp_path):
    work = tmp_path / "g"
    work.mkdir()
    check("""
import vfs
from boards.host import FileBlockDev, path
dev = FileBlockDev(path("flash.bin"))
vfs.VfsFat.mkfs(dev)
vfs.mount(vfs.VfsFat(dev), "/fat")
with open("/fat/keep.txt", "w") as f:
    f.write("old")
vfs.umount("/fat")
""", env=host_env(work))
    with SimulatedGun(work, "G01", "pw", "127.0.0.1", free_port()) as gun:
        gun.wait_for(lambda s: s["screen"] == "stopped")
        text = gun.screen_text()
        assert text.startswith("Flash is FAT\nSTOP"), text
        assert "power cut" in text and text.endswith("See hardware.md")
        assert gun.beeps[-1] == "err" and gun.alive
    out = check("""
import os, vfs
from boards.host import FileBlockDev, path
vfs.mount(vfs.VfsFat(FileBlockDev(path("flash.bin"))), "/fat")
print(sorted(os.listdir("/fat")), open("/fat/keep.txt").read())
""", env=host_env(work))
    assert out.split() == ["['keep.txt']", "old"], out

