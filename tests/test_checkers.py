"""The type check of the firmware is against the device's real API: a
misspelt keyword or method of MicroPython's ESP32 `machine` module fails
it, the same calls spelt right pass (firmware/pyrightconfig.json, with the
stubs `tools/bootstrap.sh test` installs)."""
import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BASEDPYRIGHT = REPO / ".venv" / "bin" / "basedpyright"
FIRMWARE_CONFIG = REPO / "firmware" / "pyrightconfig.json"


def firmware_config():
    """The firmware's configuration (JSON with // comments), its folders
    made absolute."""
    text = "\n".join(line for line in FIRMWARE_CONFIG.read_text()
                     .splitlines() if not line.lstrip().startswith("//"))
    cfg = json.loads(re.sub(r",\s*}", "}", text))
    for key in ("typeshedPath", "stubPath"):
        cfg[key] = str((FIRMWARE_CONFIG.parent / cfg[key]).resolve())
    cfg["extraPaths"] = [str((FIRMWARE_CONFIG.parent / p).resolve())
                         for p in cfg["extraPaths"]]
    return cfg


def check_firmware_file(tmp_path, source):
    """basedpyright's findings on one firmware module, checked as the
    firmware is."""
    if not BASEDPYRIGHT.exists():
        pytest.fail("basedpyright is not installed: run "
                    "tools/bootstrap.sh test")
    (tmp_path / "device.py").write_text(source)
    cfg = dict(firmware_config(), include=["device.py"])
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


def test_the_stubs_are_installed_where_the_config_says():
    cfg = firmware_config()
    stubs = REPO / ".venv" / "firmware-stubs"
    assert cfg["typeshedPath"] == cfg["stubPath"] == str(stubs.resolve())
    assert (stubs / "machine.pyi").exists(), \
        "run tools/bootstrap.sh test to install the firmware's stubs"
    assert (stubs / "stdlib" / "builtins.pyi").exists()


def test_a_wrong_device_call_fails_the_firmware_check(tmp_path):
    errors = check_firmware_file(tmp_path, """\
import machine

uart = machine.UART(1, baud=9600)
machine.Pin(5).vaule()
""")
    lines = {line for line, _ in errors}
    assert lines == {3, 4}, errors
    messages = dict(errors)
    assert "__init__" in messages[3]      # UART takes baudrate=, not baud=
    assert "vaule" in messages[4]


def test_the_same_calls_spelt_right_pass(tmp_path):
    assert check_firmware_file(tmp_path, """\
import asyncio
import esp32
import machine
import time

uart = machine.UART(1, baudrate=9600, tx=17, rx=16)
machine.Pin(5, machine.Pin.IN, machine.Pin.PULL_UP).value()
esp32.idf_heap_info(esp32.HEAP_DATA)
time.ticks_diff(time.ticks_ms(), 0)


async def main():
    await asyncio.sleep_ms(10)
""") == []
