# Simulator board: the firmware on the MicroPython unix port.
#
# Every board module provides the same names:
#   NAME, DATA_DIR           NAME: the board the gun reports (status
#                            "board", the fleet page)
#   mount()                  mount the flash filesystem at DATA_DIR
#   config() -> dict         config.json ({"id", "password", "broker", ...})
#   uart() -> stream         decoder UART: await stream.readinto(buf) -> n,
#                            stream.write(buf) (its commands)
#   display() -> FrameBuffer 128x64 subclass with .show(), .contrast(0-255),
#                            .poweroff(), .poweron() (the SSD1306's)
#   report(rows, state)      text of the screen and app state (tests/sim)
#   beep(pattern)            "ok", "err", "warn", "done", "note",
#                            "info" (non-blocking)
#   keys() -> object         await keys.get() -> "OK" | "BACK" |
#                            "BACK_LONG" (BACK held 1.5 s, after its
#                            "BACK"); a camera gun's also "OK_DOWN" |
#                            "OK_UP" (OK pressed, released: its trigger)
#   wifi_up() -> bool, wifi_status() -> int (network.WLAN's status),
#   wifi_connect()           start an association
#   resolve(host) -> str     its address (DNS: blocks)
#   await open_connection(host, port, ssl=None, name=None) -> (reader,
#                            writer); OSError if no link; ssl: an
#                            ssl.SSLContext (TLS, the certificate checked
#                            against name, default host)
#   vitals() -> (battery mV, RSSI dBm, largest free internal RAM block,
#                uptime s), None for what the board cannot tell
#   clock(t=None) -> int   Unix seconds, 0 until set; clock(t) sets it
#   ticks_ms()
#   wdt(timeout_ms) -> object  the hardware watchdog, started (or given a
#                            new timeout): .feed() it in time or the gun
#                            resets
#   reset()                  restart the gun (never returns)
#   pin_problems(pins) -> [str]  config.json "pins" checked against the
#                            board's pin table; None: no pins to check
#                            (a device board's table: boards/_esp32.py)
# and a camera board (esp32_s3_cam):
#   camera() -> object       the camera (boards/_camera.py), not started;
#                            None on a gun without one (here: a config
#                            without "camera"), which reads its codes
#                            from uart()
#
# Here: flash is a file-backed block device <PICKGUN_HOST_DIR>/flash.bin,
# mounted as the ESP32's _boot.py does (littlefs, or FAT if it holds
# FAT); the decoder and the panel (keys, WiFi switch, screen text, beeps)
# are two TCP connections to a harness on 127.0.0.1, ports from
# config["host"] = {"uart": PORT, "panel": PORT}; there "display": false
# is a gun whose panel does not answer, "wdt_ms" the watchdog's timeout
# in place of the firmware's (boards/host_wdt.py: reset and watchdog).
# A config whose "board" names a device board has its "pins" checked
# against that board's table.
# The decoder is a GM65 module (boards/host_gm65.py: its serial commands,
# settings and flash <PICKGUN_HOST_DIR>/gm65-flash.bin) that scans the
# labels the harness shows it, one a line.
# With "camera" in config.json the gun is a camera gun: the camera is
# boards/host_camera.py's stand-in for micropython-camera-API's, looking
# at the pictures the harness shows it (FRAMES), and "camera": false in
# config["host"] is a board whose sensor does not answer.
# Panel lines, harness -> gun: KEY OK | KEY BACK | KEY BACK LONG (BACK
# still held 1.5 s, after its KEY BACK) | KEY OK DOWN | KEY OK UP
# (OK pressed, released: a camera gun's trigger; KEY OK is both at once) |
# FRAMES [<path>] (what the camera sees: a PGM picture or a folder of
# them; nothing: an empty scene) | WIFI OFF | WIFI ON |
# BAT <mV> (the battery's voltage, 0: none) | BLK <bytes> (the largest
# free internal RAM block an ESP32 would have, 0: none) | HANG (the
# firmware blocks its event loop for good, as a driver stuck in a
# blocking call would);
# gun -> harness: SCREEN <json rows> | STATE <json> | BEEP <pattern> |
# FRAME <n> (screen.png rewritten) | PANEL <contrast> (0: off).
import asyncio
import errno
import framebuf
import json
import os
import socket
import time

NAME = "simulated"          # what a simulated gun reports (PICKGUN_BOARD=host)
DATA_DIR = "/flash"
pin_problems = None         # no pins (unless config() takes a board's)
WIDTH = 128
HEIGHT = 64
BLOCK_SIZE = 4096
BLOCK_COUNT = 128          # 512 KiB

_dir = os.getenv("PICKGUN_HOST_DIR") or "."
_cfg = None
_uart = None
_panel = None
_wifi = True               # the harness's access point is on
_links = []


def path(name):
    return _dir + "/" + name


# ------------------------------------------------------------------ flash
class FileBlockDev:
    """littlefs block device on a host file (erase = fill with 0xFF)."""

    def __init__(self, filename, block_size=BLOCK_SIZE, blocks=BLOCK_COUNT):
        self.bs = block_size
        self.n = blocks
        self._ff = b"\xff" * 256
        try:
            self.f = open(filename, "r+b")
        except OSError:
            with open(filename, "wb") as f:
                for _ in range(blocks * block_size // 256):
                    f.write(self._ff)
            self.f = open(filename, "r+b")

    def readblocks(self, block, buf, offset=0):
        self.f.seek(block * self.bs + offset)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        if offset is None:          # simple protocol: erase first
            self.ioctl(6, block)
            offset = 0
        self.f.seek(block * self.bs + offset)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return self.bs
        if op == 6:
            self.f.seek(arg * self.bs)
            for _ in range(self.bs // 256):
                self.f.write(self._ff)
            return 0
        return 0                    # 1 init, 2 deinit, 3 sync


_bdev = None


def mount():
    global _bdev
    import vfs
    if _bdev is not None:
        return
    _bdev = FileBlockDev(path("flash.bin"))
    # The stubs make vfs.AbstractBlockDev a class to inherit from; the
    # device has no such class, only the block protocol FileBlockDev keeps.
    try:                # littlefs or FAT, whichever the flash holds
        vfs.mount(_bdev, DATA_DIR)  # pyright: ignore[reportArgumentType]
    except OSError:
        vfs.VfsLfs2.mkfs(_bdev)  # pyright: ignore[reportArgumentType]
        vfs.mount(vfs.VfsLfs2(_bdev), DATA_DIR)  # pyright: ignore[reportArgumentType]


def unmount():
    global _bdev
    import vfs
    if _bdev is not None:
        vfs.umount(DATA_DIR)
        _bdev.f.close()
        _bdev = None


def config():
    global _cfg, pin_problems
    if _cfg is None:
        with open(path("config.json")) as f:
            _cfg = json.load(f)
        try:        # a device board's config: its pins checked as there
            pin_problems = __import__("boards." + _cfg["board"], None, None,
                                      [NAME]).pin_problems
        except Exception:
            pass
    return _cfg


# --------------------------------------------------------------- harness
def _connect(kind):
    port = config()["host"][kind]
    s = socket.socket()
    s.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
    s.setblocking(False)
    return s


def uart():
    global _uart
    if _uart is None:
        _uart = asyncio.StreamReader(_connect("uart"))
        if config()["host"].get("gm65", True):
            # The decoder module between the harness's labels and the gun
            # (boards/host_gm65.py); without it ("gm65": false) the
            # harness's bytes reach the gun as they are and nothing
            # answers its commands.
            from boards import host_gm65
            _uart = host_gm65.GM65(_uart, path("gm65-flash.bin"))
    return _uart


def _panel_sock():
    global _panel
    if _panel is None:
        _panel = _connect("panel")
    return _panel


def _send(kind, text):
    s = _panel_sock()
    data = (kind + " " + text + "\n").encode()
    mv = memoryview(data)
    while mv:
        try:
            n = s.write(mv)
        except OSError as e:
            if e.errno != errno.EAGAIN:
                raise
            n = None
        if n:
            mv = mv[n:]
        else:
            time.sleep_ms(1)


class Display(framebuf.FrameBuffer):
    """The panel as a PNG file: <dir>/screen.png, replaced atomically."""

    def __init__(self):
        self.width = WIDTH
        self.height = HEIGHT
        self.buf = bytearray(WIDTH * HEIGHT // 8)
        super().__init__(self.buf, WIDTH, HEIGHT, framebuf.MONO_HLSB)
        self.frames = 0
        self.dark = None

    def show(self):
        from drivers import png
        tmp = path("screen.png.tmp")
        with open(tmp, "wb") as f:
            png.encode(f, self.dark or self.buf, WIDTH, HEIGHT)
        os.rename(tmp, path("screen.png"))
        self.frames += 1
        _send("FRAME", str(self.frames))

    # The SSD1306's power, as the harness sees it: PANEL <contrast>, 0 off
    # (screen.png goes black; on again, the same picture).
    def contrast(self, value):
        _send("PANEL", str(value))

    def poweroff(self):
        self.dark = bytes(len(self.buf))    # what an unlit panel shows
        self.show()
        _send("PANEL", "0")

    def poweron(self):
        self.dark = None
        self.show()


_display = None


def display():
    global _display
    if _display is None:
        if config()["host"].get("display") is False:
            # what the SSD1306 driver gets when nothing answers on I2C
            raise OSError(errno.ENODEV)
        _display = Display()
    return _display


def report(rows, state):
    _send("SCREEN", json.dumps(rows))
    _send("STATE", json.dumps(state))


def beep(pattern):
    _send("BEEP", pattern)


class Keys:
    """Reads panel lines; handles WIFI, BAT, BLK, HANG and FRAMES lines
    itself, returns key names.  Lines are framed in a fixed buffer (an
    overlong one is dropped whole); anything but those commands is
    ignored.  EOFError when the harness has gone: the simulated gun then
    stops."""

    def __init__(self):
        self._s = asyncio.StreamReader(_panel_sock())
        self._buf = bytearray(64)
        self._line = bytearray(256)     # FRAMES carries a path
        self._n = 0
        self._pos = self._len = 0

    async def get(self):
        global battery_mv, internal_blk
        while True:
            line = await self._readline()
            if line == b"KEY OK":
                return "OK"
            if line == b"KEY BACK":
                return "BACK"
            if line == b"KEY BACK LONG":
                return "BACK_LONG"
            if line == b"KEY OK DOWN":
                return "OK_DOWN"
            if line == b"KEY OK UP":
                return "OK_UP"
            if line == b"FRAMES" or line.startswith(b"FRAMES "):
                from boards import host_camera
                host_camera.show(line[7:].decode())
            if line == b"WIFI OFF":
                wifi_set(False)
            elif line == b"WIFI ON":
                wifi_set(True)
            elif line == b"HANG":
                while True:
                    time.sleep_ms(100)
            elif line.startswith(b"BAT ") and line[4:].isdigit():
                battery_mv = int(line[4:]) or None
            elif line.startswith(b"BLK ") and line[4:].isdigit():
                internal_blk = int(line[4:]) or None

    async def _readline(self):
        line = self._line
        cap = len(line)
        while True:
            while self._pos < self._len:
                b = self._buf[self._pos]
                self._pos += 1
                if b == 10:
                    n = self._n
                    self._n = 0
                    return bytes(memoryview(line)[:n]).strip() \
                        if n <= cap else b""
                if self._n < cap:
                    line[self._n] = b
                    self._n += 1
                else:
                    self._n = cap + 1       # overlong: dropped at its end
            try:
                n = await self._s.readinto(self._buf)
            except OSError:
                n = 0
            if not n:
                raise EOFError("panel harness gone")
            self._pos = 0
            self._len = n


def keys():
    return Keys()


# ----------------------------------------------------------------- camera
def camera():
    """A camera gun's camera (a config with "camera"), else None: the
    stand-in's (boards/host_camera.py), imported only then."""
    if "camera" in config():
        from boards import host_camera
        return host_camera.board_camera(config())


# ------------------------------------------------------------------- WiFi
class _Link:
    """A broker connection that dies, like a real one, when WiFi goes off.
    Serves as both reader and writer (as asyncio streams do here)."""

    POLL_MS = 200

    def __init__(self, sock, tap=None):
        self.s = sock
        self.st = asyncio.StreamReader(sock)
        self.dead = False
        self.tap = tap          # boards/host_tls.py: the dates' verdict

    def _check(self):
        if self.dead:
            raise OSError(errno.ECONNRESET)

    def _failed(self):
        # The tap failed the handshake on the certificate's dates: what
        # mbedTLS raises for them on a device.
        if self.tap is not None and self.tap.why:
            raise ValueError(self.tap.why)

    async def _wait(self, make):
        while True:
            self._check()
            try:
                return await asyncio.wait_for_ms(make(), self.POLL_MS)
            except asyncio.TimeoutError:
                pass
            except OSError:
                self._failed()
                raise

    async def read(self, n=-1):
        return await self._wait(lambda: self.st.read(n))

    async def readinto(self, buf):
        return await self._wait(lambda: self.st.readinto(buf))

    async def readexactly(self, n):
        out = b""
        while len(out) < n:
            chunk = await self.read(n - len(out))
            if not chunk:
                raise EOFError
            out += chunk
        return out

    async def readline(self):
        out = b""
        while not out.endswith(b"\n"):
            chunk = await self.read(1)
            if not chunk:
                break
            out += chunk
        return out

    # MicroPython's asyncio.StreamReader is its one Stream class, reading
    # and writing; the stubs give it only CPython's reading half.
    def write(self, buf):
        self._check()
        try:
            self.st.write(buf)  # pyright: ignore[reportAttributeAccessIssue]
        except OSError:         # (it writes at once if it can)
            self._failed()
            raise

    async def drain(self):
        self._check()
        try:
            await self.st.drain()  # pyright: ignore[reportAttributeAccessIssue]
        except OSError:
            self._failed()
            raise

    async def awrite(self, buf, off=0, sz=-1):
        if off or sz != -1:
            buf = memoryview(buf)[off:off + sz if sz != -1 else len(buf)]
        self.write(buf)
        await self.drain()

    def close(self):
        if self in _links:
            _links.remove(self)
        if not self.dead:
            self.dead = True
            self.s.close()

    async def wait_closed(self):
        self.close()

    aclose = wait_closed

    def get_extra_info(self, name):
        return None


# The radio, as the ESP32 port's network.WLAN behaves: connect() starts
# an association, which takes ASSOCIATE_MS (config "host" "assoc_ms")
# while status() says CONNECTING; a new connect() starts it over.  It
# ends in GOT_IP, or NO_AP_FOUND (the access point is off or has another
# name), or WRONG_PASSWORD; once asked, the station tries again by itself,
# every association time, after a failure or a drop (a lost beacon: the
# station says CONNECTING again).  The access point is the harness's:
# WIFI OFF / WIFI ON switch it, and its name and password are config
# "host" "ap": [ssid, password] (default: the gun's own, so it joins).
IDLE, CONNECTING, GOT_IP = 1000, 1001, 1010
NO_AP_FOUND, WRONG_PASSWORD = 201, 202
ASSOCIATE_MS = 300
_sta = [IDLE, 0, False]     # status, ticks its attempt began, asked
connects = 0                # connect() calls (tests)


def wifi_set(on):
    """The harness's access point on or off; off drops every link."""
    global _wifi
    _wifi = bool(on)
    if not _wifi:
        while _links:
            _links[-1].close()


def wifi_status():
    st, began, asked = _sta
    host = config().get("host", {})
    now = time.ticks_ms()
    if st == GOT_IP and not _wifi:
        st, began = CONNECTING, now         # beacon lost: it reconnects
    elif asked and st != GOT_IP and time.ticks_diff(now, began) >= \
            host.get("assoc_ms", ASSOCIATE_MS):
        cfg = config()
        ap = host.get("ap") or (cfg.get("ssid"), cfg.get("wifi_password",
                                                          ""))
        if not _wifi or cfg.get("ssid") != ap[0]:
            st = NO_AP_FOUND
        elif cfg.get("wifi_password", "") != ap[1]:
            st = WRONG_PASSWORD
        else:
            st = GOT_IP
        began = now                         # the next try starts now
    _sta[0], _sta[1] = st, began
    return st


def wifi_up():
    return wifi_status() == GOT_IP


def wifi_connect():
    global connects
    connects += 1
    _sta[0], _sta[1], _sta[2] = CONNECTING, time.ticks_ms(), True


def resolve(host):
    """host's IPv4 address as text, by getaddrinfo as on a device."""
    a = socket.getaddrinfo(host, 0)[0][-1]
    # The unix port answers a struct sockaddr_in (bytes: the address in
    # 4-7), not the device's (address, port) the stubs describe.
    return "%d.%d.%d.%d" % tuple(a[4:8])  # pyright: ignore[reportGeneralTypeIssues]


async def open_connection(host, port, ssl=None, name=None):
    """host: an address (resolve()); name: what the certificate must
    name (default host)."""
    if not wifi_up():
        raise OSError(errno.EHOSTUNREACH)
    s = socket.socket()
    try:
        s.settimeout(3)
        s.connect(socket.getaddrinfo(host, port)[0][-1])
        s.setblocking(False)
        tap = None
        if ssl is not None:
            # The handshake then runs inside the first reads and writes, in
            # the event loop, as asyncio.open_connection does on the device;
            # the tap checks the certificate's dates by the board's clock.
            from boards.host_tls import Tap
            tap = Tap(s, _rtc)
            s = ssl.wrap_socket(tap, server_hostname=name or host,
                                do_handshake_on_connect=False)
    except Exception:
        s.close()
        raise
    link = _Link(s, tap)
    _links.append(link)
    return link, link


# ---------------------------------------------------------------- vitals
battery_mv = 3900           # the stand-in battery: BAT <mV> sets it
# The unix port has no internal RAM apart from its heap (None); BLK
# <bytes> stands in for an ESP32's largest free internal block.
internal_blk = None
_start = time.time()


def vitals():
    """(battery mV, RSSI dBm, largest free internal block, seconds since
    start): the battery as the harness sets it, a steady -55 dBm while
    joined, the internal block as the harness sets it (None until
    then)."""
    return (battery_mv, -55 if wifi_up() else None, internal_blk,
            int(time.time() - _start))


# ------------------------------------------------------------------ time
# The board's clock behaves as a device's RTC: 2000-01-01 at power-on,
# running from there until clock(t) sets it (NTP: main.py), and clock()
# says 0 while it reads a year before 2024, as the ESP32 board's does.
# The computer's own clock is always right, so the board keeps an offset
# from it.  TLS links check certificates by it (boards/host_tls.py).
_skew = 946684800 - time.time()


def _rtc():
    return int(time.time() + _skew)


def clock(t=None):
    global _skew
    if t is not None:
        _skew = t - time.time()
    t = _rtc()
    return t if t >= 1704067200 else 0


def ticks_ms():
    return time.ticks_ms()


# -------------------------------------------------------- watchdog, reset
def wdt(timeout):
    from boards.host_wdt import wdt
    return wdt(config()["host"].get("wdt_ms", timeout))


def reset():
    from boards.host_wdt import reset
    reset()
