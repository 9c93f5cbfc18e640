"""A camera gun whole (config.json "camera"): main.py on the host board,
its camera (boards/host_camera.py) looking at Pickgun's QR codes as the
server renders them (an order page's, server.web.orders.qr_svg; a
label's, server.documents.pdfkit), photographed at a camera's
resolution (tools/camframes.py), read by the firmware's own decoder
(firmware/qr) in the real interpreter, driven through tools/simulate.py's
SimulatedGun.  The same gun with a broker, the worker and the web
server: tests/e2e/test_camera_sync.py."""
import sys
import time

from PIL import Image

from camera_support import viewfinder
from mp import REPO, check
from test_simulated_gun import prestore

sys.path.insert(0, str(REPO))
from server.gunlink.broker import free_port  # noqa: E402
from shared import wire  # noqa: E402
from tools.camframes import label_qr, page_qr, photograph  # noqa: E402
from tools.simulate import (CAMERA_ALLOWANCE_K, FIRMWARE,  # noqa: E402
                            SimulatedGun)

ORDER = 1042
SNAP = wire.snapshot(ORDER, 3, "placed", "Jane Doe",
                     [{"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL",
                       "qty": 2, "got": 0}], [], [])
B1 = wire.bottle_code("B000101", "CBD-OIL-30", "L2311A")
B2 = wire.bottle_code("B000102", "CBD-OIL-30", "L2311A")


def camera_gun(work, camera=None, **kw):
    return SimulatedGun(work, "G01", "pw", "127.0.0.1", free_port(),
                        camera=camera or {}, **kw)


def order_page():
    """The order's page, its QR code as the web shows it, held up to the
    camera: a little turned, a little blurred."""
    return photograph(page_qr(wire.order_code(ORDER)), module_px=3.5,
                      angle=8, blur=0.8, noise=5)


def test_camera_gun_opens_an_order_from_its_page_and_picks_labels(
        tmp_path):
    work = tmp_path / "g"
    work.mkdir()
    prestore(work, FIRMWARE, SNAP)
    with camera_gun(work) as gun:
        st = gun.wait_for(lambda s: s["screen"] == "idle")
        assert st["decoder"] == "" and "Scan an order" in gun.screen_text()
        st = gun.aim(order_page())
        assert st["screen"] == "order" and st["order"] == ORDER, st
        assert gun.beeps[-1] == "ok" and "Jane Doe" in gun.screen_text()
        # A bottle's label, turned the other way, blurred a little more.
        st = gun.aim(photograph(label_qr(B1), module_px=4, angle=-15,
                                blur=1.0, noise=5, seed=1))
        assert st["screen"] == "picking" and st["pending"] == 1, st
        assert gun.beeps[-1] == "ok"
        # The same label again (a new pull reads it again): refused.
        st = gun.aim(photograph(label_qr(B1), module_px=4, angle=5))
        assert st["reason"] == "duplicate" and st["pending"] == 1
        assert gun.beeps[-1] == "err"
        gun.press("OK")
        # The other: the camera moving, then in focus.
        blurred = photograph(label_qr(B2), module_px=4, blur=4, seed=2)
        st = gun.aim(blurred, blurred, blurred, blurred,
                     photograph(label_qr(B2), module_px=4, angle=30,
                                blur=0.7, seed=3))
        assert st["screen"] == "complete" and st["pending"] == 2, st
        assert gun.beeps[-1] == "done"
        events = st["pending"]
        gun.power_cut()
        gun.power_on()
        st = gun.wait_for(lambda s: s["screen"] == "idle")
        assert st["pending"] == events


def test_hold_reads_only_while_ok_is_held(tmp_path):
    with camera_gun(tmp_path / "g") as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        gun.show(order_page())
        time.sleep(1.0)
        assert gun.state()["scans"] == 0
        gun.hold()
        st = gun.wait_for(lambda s: s["scans"] == 1)
        # Not in the store: refused, but read (and beeped) all the same.
        assert st["reason"] == "unknown_order", st
        gun.release()
        # A short press with nothing in view is the OK key: on the idle
        # screen, the diagnostics.
        gun.press("OK")
        gun.show()
        gun.hold()
        gun.release()
        st = gun.wait_for(lambda s: s["keys"] == 2)
        assert st["screen"] == "diag" and st["scans"] == 1


def panel(gun):
    img = Image.open(gun.screen_png)
    img.load()
    return [[1 if img.getpixel((x, y)) else 0 for x in range(128)]
            for y in range(64)]


def test_the_viewfinder_shows_the_frame_while_aiming(tmp_path):
    """A known frame, nothing to read in it: while OK is held the panel
    (screen.png) is the frame dithered; let go, the idle screen."""
    def grey(x, y):
        return (x * 255 // 319 + (40 if (x // 40 + y // 40) % 2 else 0)) \
            % 256
    frame = Image.new("L", (320, 240))
    frame.putdata([grey(x, y) for y in range(240) for x in range(320)])
    want = viewfinder(grey, 320, 240)
    with camera_gun(tmp_path / "g") as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        idle = panel(gun)
        gun.show(frame)
        gun.hold()
        deadline = time.monotonic() + 10
        while True:
            try:
                if panel(gun) == want:
                    break
            except OSError:
                pass                # being replaced
            assert time.monotonic() < deadline, "no viewfinder"
            time.sleep(0.05)
        gun.release()
        deadline = time.monotonic() + 10
        while True:
            try:
                # "Scan an order" (rows below it say why the link is
                # down, which changes as the gun tries)
                if panel(gun)[16:24] == idle[16:24]:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the idle screen never came"
            time.sleep(0.05)
        assert gun.state()["keys"] == 0     # a long press: no key


def test_continuous_reads_a_label_in_view_once(tmp_path):
    work = tmp_path / "g"
    work.mkdir()
    prestore(work, FIRMWARE, SNAP)
    with camera_gun(work, {"trigger": "continuous",
                           "repeat_ms": 800}) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        gun.show(order_page())
        st = gun.wait_for(lambda s: s["scans"] == 1)
        assert st["screen"] == "order"
        time.sleep(2.0)             # still in view: not read again
        assert gun.state()["scans"] == 1
        gun.show()
        time.sleep(1.2)
        gun.show(photograph(label_qr(B1), module_px=4, angle=12))
        st = gun.wait_for(lambda s: s["scans"] == 2)
        assert st["screen"] == "picking" and st["pending"] == 1


def test_a_camera_that_does_not_answer_is_named(tmp_path):
    with camera_gun(tmp_path / "g",
                    extra_config={"host": {"camera": False}}) as gun:
        st = gun.wait_for(lambda s: s["screen"] == "idle")
        assert st["decoder"] == "No camera"
        assert "No camera" in gun.screen_text()
        assert "camera failed" in gun.log_path.read_text()


def test_camera_allowance_covers_the_camera_code():
    """What the camera gun adds to the heap on the unix port, from source
    (gun/camera.py, the decoder, their buffers), fits the allowance
    SimulatedGun adds for it beside the frame buffer."""
    out = check("""
import gc
gc.collect()
base = gc.mem_alloc()
from gun import camera
from qr import Decoder
d = Decoder(320, 240)
v = camera.Viewfinder(320, 240)
gc.collect()
print(gc.mem_alloc() - base)
""", heapsize="1024k", env={"MICROPYPATH": "%s:%s:.frozen" % (
        FIRMWARE, REPO)})
    used = int(out.split()[-1])
    assert used < CAMERA_ALLOWANCE_K * 1024, used


def test_camera_gun_reads_from_the_romfs_image(tmp_path):
    """As `pickgun flash` installs it: the decoder's modules from the
    image, its viper loops compiled by the gun itself (tools/mpy_build.py
    NATIVE)."""
    work = tmp_path / "g"
    work.mkdir()
    prestore(work, FIRMWARE, SNAP)
    with camera_gun(work, romfs=True) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        st = gun.aim(order_page())
        assert st["screen"] == "order" and st["order"] == ORDER, st
        st = gun.aim(photograph(label_qr(B1), module_px=4, angle=-15,
                                blur=1.0, noise=5, seed=1))
        assert st["screen"] == "picking" and st["pending"] == 1, st
