# The camera gun's reader: frames from the board's camera
# (boards/_camera.py), QR codes from the firmware's own decoder (qr/), and
# each code into App.input_task as the serial decoder's Scanner gives
# one: read() -> the next code, forget() -> the next may repeat the last.
# So a code read by the camera takes the path a code from the UART takes
# (App.on_scan, the journal, the beep), and the app does not know which.
#
# The trigger is OK (config.json "camera" "trigger"):
#   hold        frames are read only while OK is held, one code a press
#               (then it stops, as a scan engine in manual mode does);
#   continuous  frames are read all the time, as a presentation scanner,
#               and holding OK only brings up the viewfinder.
# The board reports OK's press and release ("OK_DOWN", "OK_UP": Trigger
# below); a press released within _CLICK_MS that read nothing is the OK
# key, as it always was (the host harness's "KEY OK" too), so OK still
# confirms notes and dismisses refusals.  A press that lights a dark
# panel is never a key (a key on a dark panel only lights it), but it
# aims.  Either way a code seen again within repeat_ms (default 1000) of
# its last sighting is dropped, each sighting extending the window, so a
# label held in view scans once; a new press (hold) or a key forgets it.
#
# Nothing is decoded in a press's first _CLICK_MS: a decode holds the
# event loop, and the keys' polling with it, so a release would be seen
# late and the OK key taken for an aim.  (With the continuous trigger a
# press that starts and ends within one decode is not seen at all: hold
# OK a moment longer there.)  From then until a code or the release the
# panel shows the viewfinder: the frame scaled to the panel's height (85
# x 64 for QVGA, centred), ordered-dithered to one bit with a 4 x 4 Bayer
# matrix, the aiming point (the frame's centre, where the decoder looks
# first) marked by a cross of inverted pixels.  It is drawn into a
# preallocated bitmap and blitted onto the panel's FrameBuffer: nothing
# is allocated per frame.  Released, or once a code is read, the usual
# screens return.
#
# A camera that does not start says "No camera" on the idle screen (the
# app's decoder line) and is tried again every 10 s; one that fails
# while running says "Camera error" until its frames come back.
import array
import asyncio
import framebuf
from micropython import const
from time import ticks_diff

_CLICK_MS = const(300)      # OK released sooner, nothing read: a key
_RETRY_MS = const(10000)    # a camera that did not start: again
_ERROR_MS = const(1000)     # a frame that failed: again
_PANEL_W = const(128)
_PANEL_H = const(64)
# The 4 x 4 Bayer matrix, row by row: pixel (x, y) is lit where its grey
# is above 16 * m[y % 4][x % 4] + 8 (THRESHOLDS).
BAYER = b"\x00\x08\x02\x0a\x0c\x04\x0e\x06\x03\x0b\x01\x09\x0f\x07\x0d\x05"
THRESHOLDS = bytes(16 * m + 8 for m in BAYER)
SIZES = ("QVGA", "R240X240")    # camera "size": what the decoder takes


def problems(cfg, board=None):
    """config.json "camera" checked (gun/config.py): messages."""
    if not isinstance(cfg, dict):
        return ["bad camera"]
    out = []
    if board is not None and not hasattr(board, "camera"):
        out.append("no camera on board")
    if cfg.get("trigger", "hold") not in ("hold", "continuous"):
        out.append("bad camera trigger")
    if cfg.get("size", "QVGA") not in SIZES:
        out.append("bad camera size")
    ms = cfg.get("repeat_ms", 1000)
    if not isinstance(ms, int) or isinstance(ms, bool) or \
            not 0 <= ms <= 60000:
        out.append("bad camera repeat_ms")
    return out


class Viewfinder:
    """A width x height grey frame as the panel shows it while aiming."""

    def __init__(self, width, height):
        w = min(width * _PANEL_H // height, _PANEL_W)
        self.w = w
        self.x0 = (_PANEL_W - w) // 2
        self.buf = bytearray((w + 7) // 8 * _PANEL_H)
        self.img = framebuf.FrameBuffer(self.buf, w, _PANEL_H,
                                        framebuf.MONO_HLSB)
        # Each panel pixel shows the frame's pixel at its centre: one
        # scale for both axes, so the picture keeps its proportions.
        self.cols = array.array("H", (min((2 * x + 1) * height //
                                          (2 * _PANEL_H), width - 1)
                                      for x in range(w)))
        self.rows = array.array("I", ((2 * y + 1) * height //
                                      (2 * _PANEL_H) * width
                                      for y in range(_PANEL_H)))

    def draw(self, frame, fb):
        """Paint frame (its greys, row after row) on fb, the panel's
        FrameBuffer, with the aiming point marked."""
        buf = self.buf
        cols = self.cols
        rows = self.rows
        t = THRESHOLDS
        w = self.w
        i = 0
        for y in range(_PANEL_H):
            at = rows[y]
            ty = (y & 3) << 2
            b = 0
            for x in range(w):
                b = b << 1 | (frame[at + cols[x]] > t[ty | x & 3])
                if x & 7 == 7:
                    buf[i] = b
                    i += 1
                    b = 0
            if w & 7:
                buf[i] = b << (8 - (w & 7))
                i += 1
        fb.fill(0)
        fb.blit(self.img, self.x0, 0)
        cx = self.x0 + w // 2
        cy = _PANEL_H // 2
        for d in range(-5, 6):      # a cross with an open centre
            if d < -1 or d > 1:
                fb.pixel(cx + d, cy, 1 - fb.pixel(cx + d, cy))
                fb.pixel(cx, cy + d, 1 - fb.pixel(cx, cy + d))


class Reader:
    """The camera's codes for App.input_task (as gun/scanner.py's
    Scanner): await read() -> str; forget()."""

    def __init__(self, app, cam, cfg, ticks_ms):
        """cfg: config.json (its "camera": trigger, repeat_ms)."""
        self.app = app
        self.cam = cam
        self.ticks = ticks_ms
        cfg = cfg.get("camera") or {}
        self.hold = cfg.get("trigger", "hold") != "continuous"
        self.repeat_ms = cfg.get("repeat_ms", 1000)
        self.down = None        # ticks_ms when OK went down; None: up
        self.done = True        # this press has had its code (or key)
        self.dark = False       # this press lit a dark panel
        self.shown = False      # the viewfinder is on the panel
        self.decoder = None     # qr.Decoder, once the camera is open
        self.vf = None
        self.frames = 0         # frames read (tests)
        self._last = None       # the last code, and its last sighting
        self._last_t = 0
        self._go = asyncio.Event()      # OK went down

    def forget(self):
        self._last = None

    # ------------------------------------------------------------ OK
    def press(self):
        app = self.app
        self.dark = app.lit == 2
        app.wake()
        self.down = self.ticks()
        self.done = False
        if self.hold:
            self.forget()           # a new pull: the same label again
        self._go.set()

    def release(self):
        """OK let go: True if the press was the OK key."""
        if self.down is None:
            return False            # its press came before the gun's
        held = ticks_diff(self.ticks(), self.down)
        self.down = None
        self._off()
        key = not (self.done or self.dark) and held < _CLICK_MS
        self.done = True
        return key

    def _off(self):
        if self.shown:
            self.shown = False
            self.app._changed()     # the usual screen, painted again

    # --------------------------------------------------------- frames
    async def _open(self):
        app = self.app
        cam = self.cam
        while True:
            try:
                cam.open()
                from qr import Decoder
                self.decoder = Decoder(cam.width, cam.height)
                self.vf = Viewfinder(cam.width, cam.height)
                app.decoder = ""
                app._changed()
                return
            except Exception as e:  # no sensor, a bad size, the heap
                print("pickgun: camera failed:", repr(e))
                app.decoder = "No camera"
                app._changed()
            await asyncio.sleep_ms(_RETRY_MS)

    async def read(self):
        """The next code the camera reads (EOFError never: a camera has
        no end)."""
        if self.decoder is None:
            await self._open()
        app = self.app
        while True:
            down = self.down
            if self.hold and (down is None or self.done):
                self._go.clear()
                await self._go.wait()
                continue
            if down is not None and not self.done:
                young = _CLICK_MS - ticks_diff(self.ticks(), down)
                if young > 0:
                    # No decoding while a press may still be the OK key:
                    # a decode holds the event loop, and with it the
                    # keys' polling, so the release would be seen late
                    # and a press taken for an aim.
                    await asyncio.sleep_ms(young)
                    continue
            try:
                frame = await self.cam.frame()
            except OSError as e:
                print("pickgun: camera failed:", repr(e))
                app.decoder = "Camera error"
                app._changed()
                await asyncio.sleep_ms(_ERROR_MS)
                continue
            if app.decoder:
                app.decoder = ""
                app._changed()
            self.frames += 1
            # _open() has set decoder and vf before any frame is read.
            if self.down is not None and not self.done and \
                    app.fb is not None:
                self.vf.draw(frame, app.fb)  # pyright: ignore[reportOptionalMemberAccess]
                app.fb.show()
                self.shown = True
            text = self.decoder.decode(frame)  # pyright: ignore[reportOptionalMemberAccess]
            if text is None or self.hold and self.done:
                continue            # nothing, or read after the release
            now = self.ticks()
            if text == self._last and \
                    ticks_diff(now, self._last_t) < self.repeat_ms:
                self._last_t = now
                continue
            self._last = text
            self._last_t = now
            if self.down is not None:
                self.done = True    # its release is no key
                self._off()
            return text


class Trigger:
    """The board's keys for App.input_task, OK's press and release taken
    here: get() -> "OK" (a press that was the OK key) or "BACK"."""

    def __init__(self, reader, keys):
        self.reader = reader
        self.keys = keys

    async def get(self):
        while True:
            key = await self.keys.get()
            if key == "OK_DOWN":
                self.reader.press()
            elif key != "OK_UP":
                return key          # BACK, or OK from a board that only
            elif self.reader.release():     # says presses
                return "OK"
