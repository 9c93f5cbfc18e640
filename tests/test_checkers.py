"""The type check of the firmware is against the device's real API, for
each chip the gun is built on: a misspelt keyword or method of
MicroPython's ESP32 `machine` module fails it, the same calls spelt right
pass, and a call only one chip's port has fails the other's check
(firmware/pyrightconfig.json: ESP32; firmware/pyrightconfig-s3.json:
ESP32-S3; with the stubs `tools/bootstrap.sh test` installs)."""
import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BASEDPYRIGHT = REPO / ".venv" / "bin" / "basedpyright"
FIRMWARE_CONFIGS = {"esp32": REPO / "firmware" / "pyrightconfig.json",
                    "esp32s3": REPO / "firmware" / "pyrightconfig-s3.json"}
STUBS = {"esp32": "firmware-stubs", "esp32s3": "firmware-stubs-s3"}
CHIPS = sorted(FIRMWARE_CONFIGS)


def firmware_config(chip="esp32"):
    """The firmware's configuration for `chip` (JSON with // comments),
    its folders made absolute."""
    path = FIRMWARE_CONFIGS[chip]
    text = "\n".join(line for line in path.read_text().splitlines()
                     if not line.lstrip().startswith("//"))
    cfg = json.loads(re.sub(r",\s*}", "}", text))
    for key in ("typeshedPath", "stubPath"):
        cfg[key] = str((path.parent / cfg[key]).resolve())
    cfg["extraPaths"] = [str((path.parent / p).resolve())
                         for p in cfg["extraPaths"]]
    return cfg


def check_firmware_file(tmp_path, source, chip="esp32"):
    """basedpyright's findings on one firmware module, checked as the
    firmware is for `chip`."""
    if not BASEDPYRIGHT.exists():
        pytest.fail("basedpyright is not installed: run "
                    "tools/bootstrap.sh test")
    (tmp_path / "device.py").write_text(source)
    cfg = dict(firmware_config(chip), include=["device.py"])
    (tmp_path / "pyrightconfig.json").write_text(json.dumps(cfg))
    out = subprocess.run([str(BASEDPYRIGHT), "--outputjson", "-p",
                          str(tmp_path / "pyrightconfig.json")],
                         cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    report = json.loads(out.stdout)
    assert report["summary"]["filesAnalyzed"] == 1, out.stdout
    return [(d["range"]["start"]["line"] + 1, d["message"])
            for d in report["generalDiagnostics"]
            if d["severity"] == "error"]


@pytest.mark.parametrize("chip", CHIPS)
def test_the_stubs_are_installed_where_the_config_says(chip):
    cfg = firmware_config(chip)
    stubs = REPO / ".venv" / STUBS[chip]
    assert cfg["typeshedPath"] == cfg["stubPath"] == str(stubs.resolve())
    assert (stubs / "machine.pyi").exists(), \
        "run tools/bootstrap.sh test to install the firmware's stubs"
    assert (stubs / "stdlib" / "builtins.pyi").exists()
    board = {"esp32": "ESP32_GENERIC'", "esp32s3": "ESP32_GENERIC_S3'"}
    assert "'board': '" + board[chip] in (stubs / "machine.pyi").read_text()


def test_both_configs_check_the_same_firmware():
    one, other = (firmware_config(chip) for chip in CHIPS)
    for cfg in (one, other):
        del cfg["typeshedPath"], cfg["stubPath"]
    assert one == other


@pytest.mark.parametrize("chip", CHIPS)
def test_a_wrong_device_call_fails_the_firmware_check(tmp_path, chip):
    errors = check_firmware_file(tmp_path, """\
import machine

uart = machine.UART(1, baud=9600)
machine.Pin(5).vaule()
""", chip)
    lines = {line for line, _ in errors}
    assert lines == {3, 4}, errors
    messages = dict(errors)
    assert "__init__" in messages[3]      # UART takes baudrate=, not baud=
    assert "vaule" in messages[4]


@pytest.mark.parametrize("chip", CHIPS)
def test_the_same_calls_spelt_right_pass(tmp_path, chip):
    assert check_firmware_file(tmp_path, """\
import asyncio
import esp32
import machine
import time

uart = machine.UART(1, baudrate=9600, tx=17, rx=16)
machine.Pin(5, machine.Pin.IN, machine.Pin.PULL_UP).value()
esp32.idf_heap_info(esp32.HEAP_DATA)
machine.WDT(timeout=30000).feed()
time.ticks_diff(time.ticks_ms(), 0)


async def main():
    await asyncio.sleep_ms(10)
""", chip) == []


def test_a_call_only_the_esp32_has_fails_the_s3_check(tmp_path):
    # The ESP32's raw temperature sensor reading; the S3's port has
    # mcu_temperature() instead.
    source = "import esp32\n\nesp32.raw_temperature()\n"
    assert check_firmware_file(tmp_path, source, "esp32") == []
    errors = check_firmware_file(tmp_path, source, "esp32s3")
    assert [line for line, _ in errors] == [3], errors
    assert "raw_temperature" in errors[0][1]


@pytest.mark.parametrize("chip", CHIPS)
def test_a_wrong_camera_call_fails_the_firmware_check(tmp_path, chip):
    # The camera module (micropython-camera-API) has no stubs of its own
    # in the ESP32 packages: firmware/stubs/camera.pyi describes it.
    errors = check_firmware_file(tmp_path, """\
from camera import Camera, FrameSize, PixelFormat

cam = Camera(data_pins=(11, 9, 8, 10, 12, 18, 17, 16), pclk=13)
cam.capture()[0]
cam.frame_size = FrameSize.QVGAA
cam.pixel_format = PixelFormat.GRAYSCALE
""", chip)
    lines = sorted({line for line, _ in errors})
    assert lines == [3, 4, 5, 6], errors


@pytest.mark.parametrize("chip", CHIPS)
def test_the_camera_calls_spelt_right_pass(tmp_path, chip):
    assert check_firmware_file(tmp_path, """\
from camera import Camera, FrameSize, GrabMode, PixelFormat

cam = Camera(data_pins=[11, 9, 8, 10, 12, 18, 17, 16], pclk_pin=13,
             vsync_pin=6, href_pin=7, sda_pin=4, scl_pin=5, xclk_pin=15,
             xclk_freq=20000000, powerdown_pin=-1, reset_pin=-1,
             pixel_format=PixelFormat.GRAYSCALE, frame_size=FrameSize.QVGA,
             fb_count=1, grab_mode=GrabMode.WHEN_EMPTY)
cam.free_buffer()
if cam.frame_available():
    frame = cam.capture()
    if frame is not None:
        print(len(frame), cam.pixel_width * cam.pixel_height)
cam.reconfigure(frame_size=FrameSize.R240X240)
cam.deinit()
""", chip) == []
