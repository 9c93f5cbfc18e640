# What the camera scripts share: a camera handing out the frames a script
# queues, an app with only what gun/camera.py touches, a clock the script
# moves, and the panel.  The decoder is the tests' stand-in
# (tests/firmware/camlib/qr: a frame whose first row starts "QR:").
import asyncio
import framebuf
import time

W = 32
H = 24


def frame(text=None, grey=200):
    """A W x H frame of one grey; with text, a code the stand-in reads."""
    f = bytearray(bytes([grey]) * (W * H))
    if text:
        row = b"QR:" + text.encode()
        f[0:len(row)] = row
        f[len(row)] = 0
    return f


class Cam:
    """boards/_camera.py's interface: open(), await frame(), width and
    height.  frames: what it sees, in turn; the last stays in view."""

    def __init__(self):
        self.width = W
        self.height = H
        self.frames = [frame()]
        self.taken = 0
        self.fail_open = 0      # opens that fail still
        self.fail_frames = 0    # frames that fail still

    def show(self, *frames):
        self.frames = list(frames)

    def open(self):
        if self.fail_open:
            self.fail_open -= 1
            raise OSError(19)

    async def frame(self):
        await asyncio.sleep_ms(2)
        if self.fail_frames:
            self.fail_frames -= 1
            raise OSError(116)
        self.taken += 1
        if len(self.frames) > 1:
            return self.frames.pop(0)
        return self.frames[0]


class Clock:
    """ticks_ms, which a script moves on by adding to t."""

    def __init__(self):
        self.t = 0

    def __call__(self):
        return time.ticks_add(time.ticks_ms(), self.t)


class Panel(framebuf.FrameBuffer):
    def __init__(self):
        self.buf = bytearray(1024)
        super().__init__(self.buf, 128, 64, framebuf.MONO_VLSB)
        self.shows = 0

    def show(self):
        self.shows += 1


class App:
    def __init__(self):
        self.lit = 0
        self.fb = Panel()
        self.decoder = None
        self.changed = 0
        self.woke = 0

    def wake(self):
        self.woke += 1
        self.lit = 0

    def _changed(self):
        self.changed += 1


async def within(coro, ms=300):
    """coro's result, or None if it takes longer than ms."""
    try:
        return await asyncio.wait_for_ms(coro, ms)
    except asyncio.TimeoutError:
        return None


class Keys:
    """The board's keys: get() -> each of `keys` in turn."""

    def __init__(self, *keys):
        self.keys = list(keys)

    async def get(self):
        while not self.keys:
            await asyncio.sleep_ms(10)
        return self.keys.pop(0)
