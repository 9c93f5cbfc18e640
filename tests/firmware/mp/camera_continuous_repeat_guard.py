# trigger "continuous": frames are read with OK up; a code seen again
# within repeat_ms of its last sighting is dropped (each sighting extends
# the window), another code passes at once, forget() (a key) lets it
# through; a press that reads a code is no key.  A camera that does not
# start, or fails, says so in the decoder line and recovers.
import asyncio

from camera_prelude import App, Cam, Clock, frame, within
from gun.camera import Reader

app = App()
cam = Cam()
clock = Clock()
r = Reader(app, cam, {"camera": {"trigger": "continuous",
                                 "repeat_ms": 500}}, clock)
A = frame("PGB:B000123:X")
B = frame("PGB:B000124:Y")


async def main():
    cam.show(frame(), A)
    assert await within(r.read()) == "PGB:B000123:X"
    # Still in view: dropped, however long, while seen within 500 ms.
    for _ in range(5):
        clock.t += 400
        assert await within(r.read(), 60) is None
    # Another code: at once.
    cam.show(B)
    assert await within(r.read()) == "PGB:B000124:Y"
    # The first again after the other: at once.
    cam.show(frame())
    assert await within(r.read(), 60) is None
    cam.show(A)
    assert await within(r.read()) == "PGB:B000123:X"
    clock.t += 100
    assert await within(r.read(), 60) is None
    r.forget()                      # OK or BACK pressed: a rescan
    assert await within(r.read()) == "PGB:B000123:X"
    # Holding OK here only aims; a press that reads a code is no key.
    cam.show(frame())
    r.press()
    assert await within(r.read(), 60) is None
    cam.show(B)
    clock.t += 1000
    assert await within(r.read()) == "PGB:B000124:Y"
    assert not r.release()
    # A press that reads nothing is the key.
    cam.show(frame())
    r.press()
    assert await within(r.read(), 60) is None
    assert r.release()
    print("ok")


async def failing():
    # A camera that does not start: "No camera" until it does.
    app2 = App()
    cam2 = Cam()
    cam2.fail_open = 1
    r2 = Reader(app2, cam2, {"camera": {"trigger": "continuous"}}, clock)
    task = asyncio.create_task(r2.read())
    await asyncio.sleep_ms(50)
    assert app2.decoder == "No camera", app2.decoder
    task.cancel()
    # One whose frames fail: "Camera error", then "" once they come.
    app3 = App()
    cam3 = Cam()
    cam3.fail_frames = 1
    cam3.show(frame(), frame("PGO:7:Z"))
    r3 = Reader(app3, cam3, {"camera": {"trigger": "continuous"}}, clock)
    task = asyncio.create_task(r3.read())
    await asyncio.sleep_ms(200)
    assert app3.decoder == "Camera error", app3.decoder
    assert await within(task, 2000) == "PGO:7:Z"
    assert app3.decoder == ""
    print("ok")


asyncio.run(main())
asyncio.run(failing())
