import asyncio
import fakes
import framebuf
from faults_prelude import frame, make, until


class Panel(framebuf.FrameBuffer):
    def __init__(self):
        self.buf = bytearray(1024)
        super().__init__(self.buf, 128, 64, framebuf.MONO_VLSB)
        self.shown = 0

    def show(self):
        self.shown += 1


tries = [0]
panel = Panel()


def display():
    # the I2C panel does not answer at boot, twice (ENODEV)
    tries[0] += 1
    if tries[0] < 3:
        raise OSError(19)
    return panel


a, b, j, s = make(fakes.snapshot())


async def main():
    t = asyncio.create_task(a.display_task(display))
    assert a.on_scan(fakes.order()) == "order"
    await until(lambda: panel.shown)
    assert tries[0] == 3 and not t.done()
    assert panel.buf == frame(*a.view())
    t.cancel()


asyncio.run(main())
print("OK")
