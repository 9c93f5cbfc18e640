"""The simulator board (boards/host.py), the board selection, the ESP32
board's API surface and the SSD1306 driver, inside MicroPython (scripts:
tests/firmware/mp/board_*.py)."""
import json
import sys
import socket

from PIL import Image

from mp import REPO, check, script

sys.path.insert(0, str(REPO))
from server.gunlink.broker import free_port  # noqa: E402

API = ("NAME", "DATA_DIR", "mount", "config", "uart", "display", "report",
       "beep", "keys", "wifi_up", "wifi_status", "wifi_connect", "resolve",
       "open_connection", "vitals", "clock", "ticks_ms", "wdt", "reset",
       "pin_problems")


def host_env(tmp_path):
    return {"PICKGUN_BOARD": "host", "PICKGUN_HOST_DIR": str(tmp_path)}


def test_flash_survives_a_restart(tmp_path):
    env = host_env(tmp_path)
    check(script("board_flash_write"), env=env)
    flash = tmp_path / "flash.bin"
    assert flash.stat().st_size == 512 * 1024
    out = check(script("board_flash_read"), env=env)
    lines = out.splitlines()
    assert lines[0] == "picked B000123 ['note.txt', 'orders']"
    assert lines[1] == "4096 128"


def test_config_and_clock(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(
        {"id": "G01", "password": "pw", "broker": "127.0.0.1", "port": 1883,
         "ssid": "sim", "wifi_password": "", "board": "host",
         "host": {"uart": 1, "panel": 2}}))
    check(script("board_config_and_clock"), env=host_env(tmp_path))


def test_boards_share_one_api():
    check(script("board_one_api"), args=API)


def test_display_writes_png_and_panel_lines(tmp_path):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    (tmp_path / "config.json").write_text(json.dumps(
        {"id": "G01", "host": {"uart": 9, "panel": srv.getsockname()[1]}}))
    check(script("board_display"), env=host_env(tmp_path))
    conn, _ = srv.accept()
    conn.settimeout(5)
    data = b""
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data.decode().splitlines() == [
        "FRAME 1", 'SCREEN ["a", "b"]', 'STATE {"screen": "idle"}', "BEEP err"]
    img = Image.open(tmp_path / "screen.png")
    assert img.size == (128, 64)
    assert img.getpixel((100, 3)) != 0 and img.getpixel((100, 40)) == 0
    assert not (tmp_path / "screen.png.tmp").exists()


def test_wifi_off_drops_broker_link(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(
        {"id": "G01", "ssid": "sim", "wifi_password": ""}))
    check(script("board_wifi_off"), args=[free_port()],
          env=host_env(tmp_path))


def test_ssd1306_driver_with_fake_i2c():
    check(script("board_ssd1306"))


def test_panel_keys_take_garbage_and_end_with_the_harness(tmp_path):
    """The simulated panel line: bytes that are not a command (overlong,
    not UTF-8) are ignored in a fixed buffer; BACK held long comes after
    its press (KEY BACK LONG: BACK_LONG); the harness hanging up ends
    keys.get() with EOFError (the simulated gun then stops)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    (tmp_path / "config.json").write_text(json.dumps(
        {"id": "G01", "host": {"uart": 9, "panel": srv.getsockname()[1]}}))
    proc_env = host_env(tmp_path)
    import threading

    def harness():
        conn, _ = srv.accept()
        conn.sendall(b"\xc3\x28\xff\n" + b"K" * 5000 + b"\nKEY OK\n"
                     b"KEY \xe2\x28\xa1\nWIFI OFF\nKEY FOO\nKEY BACK\n"
                     b"KEY BACK LONGER\nKEY BACK LONG\n")
        conn.recv(100)                  # until the gun has read them
        conn.close()

    t = threading.Thread(target=harness, daemon=True)
    t.start()
    out = check(script("board_panel_keys"), env=proc_env)
    t.join(5)
    assert out.strip() == "['OK', 'BACK', 'BACK_LONG', 'EOF']"
