# trigger "hold": frames only while OK is held, from the key's time on
# (300 ms), one code a press; a short press that read nothing is the OK
# key, a long one or one that read a code is not, nor one that lit a dark
# panel; the viewfinder comes with the first frame and goes at the
# release.
import asyncio

from camera_prelude import App, Cam, Clock, Keys, frame, within
from gun.camera import Reader, Trigger

app = App()
cam = Cam()
clock = Clock()
r = Reader(app, cam, {"camera": {"trigger": "hold"}}, clock)


async def main():
    # Nothing is read while OK is up; the camera opened at the first read.
    assert await within(r.read()) is None
    assert app.decoder == "" and cam.taken == 0
    # Pressed: frames until a code, which ends the press's reading.
    cam.show(frame(), frame(), frame("PGO:1042:Q"))
    r.press()
    assert await within(r.read(), 250) is None and cam.taken == 0
    assert await within(r.read(), 1000) == "PGO:1042:Q"
    taken = cam.taken
    assert taken == 3, taken
    assert await within(r.read()) is None
    assert cam.taken == taken
    clock.t += 100
    assert not r.release()          # it read a code: not the key
    # Pressed again on the same label: read again (a new pull).
    r.press()
    assert await within(r.read(), 1000) == "PGO:1042:Q"
    r.release()
    # A short press with nothing in view: the OK key, no viewfinder.
    cam.show(frame())
    shows = app.fb.shows
    r.press()
    assert await within(r.read(), 100) is None
    assert r.release()
    assert app.fb.shows == shows and not r.shown
    # A long one: the viewfinder after 300 ms, gone at the release.
    r.press()
    assert await within(r.read(), 100) is None
    assert app.fb.shows == shows
    clock.t += 300
    assert await within(r.read(), 100) is None
    shows = app.fb.shows
    assert shows > 0 and r.shown
    changed = app.changed
    assert not r.release()
    assert app.changed == changed + 1 and not r.shown
    # A press that lit a dark panel aims but is no key.
    app.lit = 2
    r.press()
    assert app.woke and app.lit == 0
    assert not r.release()
    # A release with no press (the board's first event) is nothing.
    assert not r.release()
    # The board's keys through Trigger: press and release make the key;
    # BACK, and OK from a board that only reports presses, go through.
    t = Trigger(r, Keys("OK_DOWN", "OK_UP", "BACK", "OK"))
    assert await within(t.get()) == "OK"
    assert await within(t.get()) == "BACK"
    assert await within(t.get()) == "OK"
    # A long press through Trigger: no key.
    t = Trigger(r, Keys("OK_DOWN"))
    assert await within(t.get(), 50) is None
    clock.t += 400
    t.keys.keys.append("OK_UP")
    assert await within(t.get(), 50) is None
    print("ok")


asyncio.run(main())
