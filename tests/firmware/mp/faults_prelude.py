import asyncio
import framebuf
import fakes
from gun import screens
from gun.app import App


def make(*snaps, board=None, journal=None, store=None):
    b = board or fakes.Board()
    j = journal if journal is not None else fakes.Journal()
    s = store if store is not None else fakes.Store()
    for sn in snaps:
        s.put(sn)
    return App(b, j, s, fakes.Sync()), b, j, s


def frame(rows, big):
    # the bitmap paint() draws for rows (an SSD1306's layout)
    buf = bytearray(1024)
    screens.paint(
        framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB), rows, big
    )
    return bytes(buf)


async def until(cond, ms=10000):
    # polls; the limit only stops a broken run from hanging
    while not cond():
        ms -= 10
        assert ms > 0, "timed out"
        await asyncio.sleep_ms(10)
