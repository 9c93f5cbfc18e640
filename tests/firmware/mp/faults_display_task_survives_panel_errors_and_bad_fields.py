import asyncio
import fakes
import framebuf
from faults_prelude import frame, make, until


class Panel(framebuf.FrameBuffer):
    # an SSD1306 whose I2C bus fails `fail` times on show(), then recovers
    def __init__(self):
        self.buf = bytearray(1024)
        super().__init__(self.buf, 128, 64, framebuf.MONO_VLSB)
        self.fail = 0
        self.frames = []

    def show(self):
        if self.fail:
            self.fail -= 1
            raise OSError(116)  # ETIMEDOUT on the bus
        self.frames.append(bytes(self.buf))


panel = Panel()
odd = fakes.snapshot(
    order=7, lines=[{"sku": 5, "name": None, "qty": "2", "got": 0}]
)
a, b, j, s = make(fakes.snapshot(), odd)


def shows_app():
    rows, big = a.view()
    return panel.frames and panel.frames[-1] == frame(rows, big)


async def main():
    t = asyncio.create_task(a.display_task(lambda: panel))
    await until(lambda: len(panel.frames) == 1)
    panel.fail = 3
    assert a.on_scan(fakes.order()) == "order"  # the screen changes
    await asyncio.sleep_ms(30)
    assert len(panel.frames) == 1 and not t.done()
    # scans go on while the panel is failing
    assert a.on_scan(fakes.bottle("B000001")) == "accepted"
    await until(shows_app)  # painted again, whole
    assert panel.fail == 0 and not t.done()
    assert "1/2" in a.rows
    # an order whose fields the screen cannot draw: logged, retried
    a.on_key("BACK")
    assert a.on_scan(fakes.order(7)) == "order"
    await asyncio.sleep_ms(300)
    assert not t.done()
    n = len(panel.frames)
    a.on_key("BACK")  # a screen it can draw
    await until(lambda: len(panel.frames) > n and shows_app())
    assert "Scan an order" in " ".join(a.rows)
    t.cancel()


asyncio.run(main())
print("OK")
