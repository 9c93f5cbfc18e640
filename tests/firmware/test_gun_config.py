"""A bad config.json stops the gun with a clear message on its screen,
never a crash loop (gun/config.py, main.py)."""
import sys

from mp import REPO, check

sys.path.insert(0, str(REPO))
from server.gunlink.broker import free_port  # noqa: E402
from tools.simulate import SimulatedGun  # noqa: E402


def test_problems_named_inside_micropython():
    out = check("""
from gun import config
good = {"id": "G01", "password": "pw", "broker": "10.0.0.2", "port": 1883}
assert config.problems(good) == []
cases = [
    ([], "not a JSON object"),
    (dict(good, id="g01"), "bad gun id"),
    (dict(good, id="A-VERY-LONG-GUN-ID-X"), "bad gun id"),
    (dict(good, password=""), "no password"),
    (dict(good, broker=None), "no broker address"),
    (dict(good, port="1883"), "bad broker port"),
    (dict(good, port=70000), "bad broker port"),
    (dict(good, ssid=5), "bad ssid"),
    (dict(good, ntp=["pool.ntp.org"]), "bad ntp"),
    (dict(good, ntp_port=0), "bad ntp_port"),
    (dict(good, ntp_port=True), "bad ntp_port"),
    (dict(good, dim_ms=-1), "bad dim_ms"),
    (dict(good, blank_ms="2 min"), "bad blank_ms"),
]
assert config.problems(dict(good, ntp="pool.ntp.org", ntp_port=10123)) == []
for cfg, want in cases:
    got = config.problems(cfg)
    assert want in got[0], (cfg, got)
print("ok")
""")
    assert out.strip() == "ok"


def test_gun_with_bad_config_shows_why(tmp_path):
    with SimulatedGun(tmp_path / "g", "G01", "", "127.0.0.1", free_port(),
                      extra_config={"port": "eighteen"}) as gun:
        st = gun.wait_for(lambda s: s["screen"] == "config_error")
        assert "no password" in st["msg"] and "bad broker port" in st["msg"]
        assert gun.beeps[-1] == "err"
        text = gun.screen_text()
        assert "Config error" in text and "no password" in text
        assert gun.alive


def test_gun_reprovisioned_badly_shows_why_after_restart(tmp_path):
    with SimulatedGun(tmp_path / "g", "G01", "pw", "127.0.0.1",
                      free_port()) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        gun.power_cut()
        cfg = gun.workdir / "config.json"
        cfg.write_text(cfg.read_text().replace('"password": "pw"',
                                               '"password": 5'))
        gun.power_on()
        st = gun.wait_for(lambda s: s["screen"] == "config_error")
        assert "no password" in st["msg"]


def test_values_of_the_wrong_type_named():
    out = check("""
from gun import config
good = {"id": "G01", "password": "pw", "broker": "10.0.0.2",
        "keepalive": 30, "window": 4, "resend_ms": 15000, "backoff_ms": 1000,
        "backoff_max_ms": 30000, "status_ms": 2000, "max_packet": 8192,
        "board": "esp32_gm65", "pins": {"ok": 32, "baud": 9600}}
assert config.problems(good) == [], config.problems(good)
# "fw" is no longer read (the firmware knows its own version): an old
# config's is ignored, whatever it holds
assert config.problems(dict(good, fw=14)) == []
cases = [
    (dict(good, keepalive="30"), "bad keepalive"),
    (dict(good, window=0), "bad window"),
    (dict(good, resend_ms=True), "bad resend_ms"),
    (dict(good, backoff_ms=None), "bad backoff_ms"),
    (dict(good, backoff_max_ms=1.5), "bad backoff_max_ms"),
    (dict(good, status_ms=-1), "bad status_ms"),
    (dict(good, max_packet="8192"), "bad max_packet"),
    (dict(good, max_packet=10 ** 9), "bad max_packet"),
    (dict(good, board=["esp32"]), "bad board"),
    (dict(good, pins=[17, 16]), "bad pins"),
    (dict(good, pins={"ok": "32"}), "bad pins"),
]
for cfg, want in cases:
    assert config.problems(cfg) == [want], (cfg, config.problems(cfg))
print("ok")
""")
    assert out.strip() == "ok"


def test_gun_with_a_value_of_the_wrong_type_shows_why(tmp_path):
    # max_packet sizes a buffer at start-up: as a string it stopped the gun
    # at every boot
    with SimulatedGun(tmp_path / "g", "G01", "pw", "127.0.0.1", free_port(),
                      extra_config={"max_packet": "8192",
                                    "keepalive": "30"}) as gun:
        st = gun.wait_for(lambda s: s["screen"] == "config_error")
        assert st["msg"] == "bad keepalive; bad max_packet", st
        assert "bad keepalive" in gun.screen_text()
        assert gun.alive


def test_flash_that_fails_at_start_shows_why(tmp_path):
    """A flash the journal cannot be opened on stops the gun on a screen
    that says so, instead of restarting it over and over."""
    work = tmp_path / "g"
    work.mkdir()
    check("""
import boards, os
b = boards.load()
b.mount()
os.mkdir("/flash/journal.st")       # where the journal's state file goes
""", env={"PICKGUN_BOARD": "host", "PICKGUN_HOST_DIR": str(work)})
    with SimulatedGun(work, "G01", "pw", "127.0.0.1", free_port()) as gun:
        st = gun.wait_for(lambda s: s["screen"] == "stopped")
        text = gun.screen_text()
        assert text.startswith("Flash error\nSTOP"), text
        assert "\nRestart the gun.\n" in text, text
        assert text.endswith("\nIf again: a lead"), text
        assert gun.beeps[-1] == "err"
        assert "OSError" in st["msg"], st
        assert gun.alive


def test_pins_checked_against_each_board_s_table():
    """Each ESP32 module's pin table (boards/esp32_*.py): a GPIO its chip
    lacks, the flash's or PSRAM's, USB's or the console's, a strapping
    pin, an input-only one for an output or a button, the battery off
    ADC1, two functions on one GPIO, an unknown function: each named."""
    out = check("""
from gun import config
import boards.esp32_s3 as s3
import boards.esp32_wroom as wroom
import boards.esp32_wrover as wrover
good = {"id": "G01", "password": "pw", "broker": "10.0.0.2"}
cases = [
    (wroom, {"uart_tx": 16, "uart_rx": 35, "battery": 36, "scl": 4}, []),
    (wroom, {"ok": 0}, ["ok 0: strapping pin"]),
    (wroom, {"buzzer": 12}, ["buzzer 12: strapping pin"]),
    (wroom, {"sda": 6}, ["sda 6: flash/PSRAM pin"]),
    (wroom, {"uart_rx": 3}, ["uart_rx 3: USB/serial pin"]),
    (wroom, {"scl": 24}, ["scl 24: not a GPIO of ESP32"]),
    (wroom, {"scl": 37}, ["scl 37: not a GPIO of ESP32"]),
    (wroom, {"buzzer": 99}, ["buzzer 99: not a GPIO of ESP32"]),
    (wroom, {"buzzer": 35}, ["buzzer 35: input-only pin"]),
    (wroom, {"ok": 34, "back": 39}, ["back 39: input-only pin",
                                     "ok 34: input-only pin"]),
    (wroom, {"battery": 25}, ["battery 25: not an ADC1 pin"]),
    (wroom, {"ok": 33}, ["ok 33: also used by back"]),
    (wroom, {"trigger": 4}, ["unknown pin trigger"]),
    (wroom, {"baud": 115200}, []),
    (wrover, {"uart_tx": 17}, ["uart_tx 17: flash/PSRAM pin"]),
    (wrover, {"uart_rx": 16}, ["uart_rx 16: flash/PSRAM pin"]),
    (s3, {"scl": 22, "sda": 25}, ["scl 22: not a GPIO of ESP32-S3",
                                  "sda 25: not a GPIO of ESP32-S3"]),
    (s3, {"scl": 27}, ["scl 27: flash/PSRAM pin"]),
    (s3, {"sda": 33}, ["sda 33: flash/PSRAM pin"]),
    (s3, {"ok": 19}, ["ok 19: USB/serial pin"]),
    (s3, {"uart_rx": 44}, ["uart_rx 44: USB/serial pin"]),
    (s3, {"ok": 3, "back": 46}, ["back 46: strapping pin",
                                 "ok 3: strapping pin"]),
    (s3, {"battery": 11}, ["battery 11: not an ADC1 pin"]),
    (s3, {"battery": 10, "buzzer": 48, "scl": 38, "sda": 21}, []),
]
for b, pins, want in cases:
    got = config.problems(dict(good, board=b.NAME, pins=pins), b)
    assert got == want, (b.NAME, pins, got)
# checked once the rest is right (the screen shows two errors)
assert config.problems(dict(good, port=0, pins={"ok": 0}), wroom) == [
    "bad broker port"]
print("ok")
""")
    assert out.strip() == "ok"
