"""The simulator board (boards/host.py), the board selection, the ESP32
board's API surface and the SSD1306 driver, inside MicroPython."""
import json
import sys
import socket

from PIL import Image

from mp import REPO, check

sys.path.insert(0, str(REPO))
from server.broker import free_port  # noqa: E402

API = ("NAME", "DATA_DIR", "mount", "config", "uart", "display", "report",
       "beep", "keys", "wifi_up", "wifi_connect", "open_connection", "clock",
       "ticks_ms")


def host_env(tmp_path):
    return {"PICKGUN_BOARD": "host", "PICKGUN_HOST_DIR": str(tmp_path)}


def test_flash_survives_a_restart(tmp_path):
    env = host_env(tmp_path)
    check("""
import boards, os
b = boards.load()
assert b.NAME == "simulated" and b.DATA_DIR == "/flash"   # as it reports
b.mount()
with open("/flash/note.txt", "w") as f:
    f.write("picked B000123")
os.mkdir("/flash/orders")
""", env=env)
    flash = tmp_path / "flash.bin"
    assert flash.stat().st_size == 512 * 1024
    out = check("""
import boards, os
b = boards.load()
b.mount()
print(open("/flash/note.txt").read(), sorted(os.listdir("/flash")))
st = os.statvfs("/flash")
print(st[0], st[2])
b.unmount()
""", env=env)
    lines = out.splitlines()
    assert lines[0] == "picked B000123 ['note.txt', 'orders']"
    assert lines[1] == "4096 128"


def test_config_and_clock(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(
        {"id": "G01", "password": "pw", "broker": "127.0.0.1", "port": 1883,
         "ssid": "sim", "wifi_password": "", "board": "host",
         "host": {"uart": 1, "panel": 2}}))
    check("""
import boards, time
b = boards.load()
assert b.config()["id"] == "G01"
c = b.clock()
assert isinstance(c, int) and abs(c - time.time()) < 2
assert isinstance(b.ticks_ms(), int)
""", env=host_env(tmp_path))


def test_boards_share_one_api():
    check("""
import boards
import boards.host as h
import boards.esp32_gm65 as e
for name in %r:
    assert hasattr(h, name), ("host", name)
    assert hasattr(e, name), ("esp32", name)
assert e.DATA_DIR == "/data"
assert boards.load("esp32_gm65") is e
try:
    boards.load("../x")
except ValueError:
    pass
else:
    raise AssertionError("bad board name accepted")
""" % (API,))


def test_display_writes_png_and_panel_lines(tmp_path):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    (tmp_path / "config.json").write_text(json.dumps(
        {"id": "G01", "host": {"uart": 9, "panel": srv.getsockname()[1]}}))
    check("""
import boards
b = boards.load()
d = b.display()
d.fill(0)
d.fill_rect(0, 0, 128, 8, 1)
d.text("Hello", 0, 16, 1)
d.show()
b.report(["a", "b"], {"screen": "idle"})
b.beep("err")
""", env=host_env(tmp_path))
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
    check("""
import asyncio, boards
b = boards.load()
done = []
PORT = %d

async def serve(r, w):
    await asyncio.sleep(3)

async def go():
    srv = await asyncio.start_server(serve, "127.0.0.1", PORT)
    try:
        await b.open_connection("127.0.0.1", 1)
    except OSError:
        done.append("refused")
    r, w = await b.open_connection("127.0.0.1", PORT)
    async def reader():
        try:
            await r.read(10)
        except OSError:
            done.append("dropped")
    t = asyncio.create_task(reader())
    await asyncio.sleep_ms(100)
    b.wifi_set(False)
    assert not b.wifi_up()
    await asyncio.sleep_ms(500)
    assert t.done(), "reader still waiting"
    try:
        await b.open_connection("127.0.0.1", PORT)
    except OSError:
        done.append("no wifi")
    b.wifi_set(True)
    r, w = await b.open_connection("127.0.0.1", PORT)
    w.write(b"x")
    await w.drain()
    w.close()
    srv.close()

asyncio.run(go())
assert done == ["refused", "dropped", "no wifi"], done
""" % free_port(), env=host_env(tmp_path))


def test_ssd1306_driver_with_fake_i2c():
    check("""
from drivers.ssd1306 import SSD1306_I2C
class I2C:
    def __init__(self):
        self.cmds = []
        self.data = None
    def writeto(self, addr, buf):
        assert addr == 0x3C and buf[0] == 0x80
        self.cmds.append(buf[1])
    def writevto(self, addr, bufs):
        self.data = b"".join(bytes(x) for x in bufs)
i2c = I2C()
d = SSD1306_I2C(i2c)
d.pixel(0, 9, 1)
d.show()
assert len(i2c.data) == 1025 and i2c.data[0] == 0x40
assert i2c.data[1 + 128] == 0x02        # MONO_VLSB: page 1, bit 1
assert 0xAF in i2c.cmds
""")


def test_panel_keys_take_garbage_and_end_with_the_harness(tmp_path):
    """The simulated panel line: bytes that are not a command (overlong,
    not UTF-8) are ignored in a fixed buffer; the harness hanging up ends
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
                     b"KEY \xe2\x28\xa1\nWIFI OFF\nKEY FOO\nKEY BACK\n")
        conn.recv(100)                  # until the gun has read them
        conn.close()

    t = threading.Thread(target=harness, daemon=True)
    t.start()
    out = check("""
import asyncio, boards
b = boards.load()
k = b.keys()
got = []
async def go():
    got.append(await k.get())
    got.append(await k.get())
    assert not b.wifi_up()
    b._send("DONE", "")
    try:
        await k.get()
    except EOFError:
        got.append("EOF")
asyncio.run(go())
print(got)
""", env=proc_env)
    t.join(5)
    assert out.strip() == "['OK', 'BACK', 'EOF']"
