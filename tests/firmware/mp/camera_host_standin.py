# argv: pictures folder (a.pgm: 200 grey, pixel 1 is 10; seq/: a.pgm
# then a 50 grey; small.pgm: 160 x 120).  The host board's camera through
# boards/_camera.py as the gun uses it, with config.json "camera": frames
# are the pictures shown (unsigned greys, the driver's memoryview
# signed), a sequence moves on by frame time and holds its last, an
# empty scene is grey 128, a wrong picture is black; waiting for a frame
# leaves the event loop running; the stand-in checks its arguments as
# the driver does.
import asyncio
import sys
import time

import boards
from boards import host_camera as hc

pics = sys.argv[1]
b = boards.load()
cam = b.camera()
assert cam is not None and b.camera() is cam
cam.open()
assert (cam.width, cam.height) == (320, 240)
ticks = [0]


async def ticker():
    while True:
        await asyncio.sleep_ms(5)
        ticks[0] += 1


async def main():
    asyncio.create_task(ticker())
    hc.show(pics + "/a.pgm")
    f = await cam.frame()
    assert len(f) == 320 * 240 and f[0] == 200 and f[1] == 10, f[:2]
    # The driver's own view is signed.
    raw = cam.cam.capture()
    assert raw is not None and raw[0] == 200 - 256 and raw[1] == 10
    # A frame comes every 80 ms: the loop runs meanwhile.
    t = time.ticks_ms()
    before = ticks[0]
    for _ in range(5):
        f = await cam.frame()
    took = time.ticks_diff(time.ticks_ms(), t)
    assert 5 * 80 - 40 <= took <= 5 * 80 + 200, took
    assert ticks[0] - before >= took // 5 // 2, (ticks[0], took)
    # A sequence: its first picture, then its last, held.
    hc.show(pics + "/seq")
    f = await cam.frame()
    assert f[0] == 200, f[0]
    await asyncio.sleep_ms(300)
    for _ in range(3):
        f = await cam.frame()
        assert f[0] == 50 and f[1] == 50, f[0]
    # An empty scene, a picture of another size, a missing one.
    hc.show("")
    f = await cam.frame()
    assert f[0] == 128 and f[320 * 240 - 1] == 128
    hc.show(pics + "/small.pgm")
    f = await cam.frame()
    assert f[0] == 0
    hc.show(pics + "/none.pgm")
    f = await cam.frame()
    assert f[0] == 0


asyncio.run(main())
# As the driver: data pins a list or a bytearray of 8, greyscale here.
for kw, err in (({"data_pins": (1, 2, 3, 4, 5, 6, 7, 8)}, TypeError),
                ({"data_pins": [1, 2]}, ValueError),
                ({"pixel_format": hc.PixelFormat.JPEG}, ValueError),
                ({"grab_mode": 5}, ValueError)):
    args = {"pixel_format": hc.PixelFormat.GRAYSCALE}
    args.update(kw)
    try:
        hc.Camera(**args)
    except err:
        pass
    else:
        raise AssertionError(kw)
c = hc.Camera(pixel_format=hc.PixelFormat.GRAYSCALE,
              frame_size=hc.FrameSize.R240X240, grab_mode=hc.GrabMode.LATEST,
              data_pins=bytearray(8))
assert (c.pixel_width, c.pixel_height) == (240, 240)
c.deinit()
try:
    c.capture()
except OSError:
    pass
else:
    raise AssertionError("capture after deinit")
# A sensor that does not answer.
hc.PRESENT = False
try:
    hc.Camera(pixel_format=hc.PixelFormat.GRAYSCALE)
except OSError:
    pass
else:
    raise AssertionError("no sensor, yet a camera")
print("ok")
