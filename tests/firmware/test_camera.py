"""The camera gun's reader (gun/camera.py), its board layer
(boards/_camera.py, boards/esp32_s3_cam.py) and the host board's camera
(boards/host_camera.py), inside MicroPython: the trigger, the repeat
guard, the viewfinder's dithering and the host stand-in.  The decoder
here is the tests' stand-in (tests/firmware/camlib/qr); the camera gun
with the real one: test_camera_gun.py."""
import ast
import json

from camera_support import viewfinder
from mp import FIRMWARE, HERE, check, script

CAMLIB = HERE / "camlib"


def run(name, *args, **kw):
    return check(script(name), path=(CAMLIB,), args=args, **kw)


def test_hold_trigger_reads_while_ok_is_held():
    assert run("camera_hold_trigger").strip() == "ok"


def test_continuous_trigger_and_its_repeat_guard():
    out = run("camera_continuous_repeat_guard")
    assert out.splitlines()[0] == "ok" and out.strip().endswith("ok")
    assert "pickgun: camera failed: OSError(19,)" in out


def test_viewfinder_dithers_a_known_frame_to_a_known_bitmap():
    for width, height in ((320, 240), (240, 240)):
        data = bytes.fromhex(run("camera_viewfinder", width, height).strip())
        # The SSD1306's layout (MONO_VLSB): a byte is 8 rows of a column.
        got = [[(data[(y // 8) * 128 + x] >> (y % 8)) & 1
                for x in range(128)] for y in range(64)]
        want = viewfinder(lambda x, y: (7 * x + 3 * y) & 255, width,
                          height)
        assert got == want, (width, height)


def test_the_host_camera_stands_in_for_the_driver(tmp_path):
    pics = tmp_path / "pics"
    (pics / "seq").mkdir(parents=True)

    def pgm(path, w, h, grey, first=None):
        data = bytearray([grey]) * (w * h)
        if first is not None:
            data[1] = first
        path.write_bytes(b"P5\n%d %d\n255\n" % (w, h) + data)

    pgm(pics / "a.pgm", 320, 240, 200, 10)
    pgm(pics / "seq" / "000.pgm", 320, 240, 200, 10)
    pgm(pics / "seq" / "001.pgm", 320, 240, 50)
    pgm(pics / "small.pgm", 160, 120, 90)
    (tmp_path / "config.json").write_text(json.dumps(
        {"id": "G01", "host": {"uart": 1, "panel": 2}, "camera": {}}))
    out = run("camera_host_standin", pics, heapsize="512k",
              env={"PICKGUN_BOARD": "host",
                   "PICKGUN_HOST_DIR": str(tmp_path)})
    assert out.strip().endswith("ok")
    assert "small.pgm ValueError('not a 320x240 PGM',)" in out


def _signature(tree, cls):
    """{keyword: default's source} of cls.__init__ in a parsed module."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for fn in node.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "__init__":
                    return [a.arg for a in fn.args.kwonlyargs]
    raise AssertionError("no %s.__init__" % cls)


def _members(tree, cls):
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            return {t.id for n in node.body
                    if isinstance(n, (ast.Assign, ast.AnnAssign))
                    for t in (n.targets if isinstance(n, ast.Assign)
                              else [n.target])
                    if isinstance(t, ast.Name)}
    raise AssertionError("no class " + cls)


def test_the_stand_in_has_the_stubs_api():
    """boards/host_camera.py takes the keyword arguments the driver takes
    (firmware/stubs/camera.pyi, written from its C source), and names
    its constants as the driver does (its frame sizes up to VGA)."""
    stub = ast.parse((FIRMWARE / "stubs" / "camera.pyi").read_text())
    host = ast.parse((FIRMWARE / "boards" / "host_camera.py").read_text())
    assert _signature(host, "Camera") == _signature(stub, "Camera")
    for cls in ("PixelFormat", "GrabMode"):
        assert _members(host, cls) == _members(stub, cls), cls
    assert _members(host, "FrameSize") <= _members(stub, "FrameSize")
    assert {"QVGA", "R240X240"} <= _members(host, "FrameSize")


def test_camera_config_checked():
    out = check("""
import boards.esp32_s3_cam as cam
import boards.esp32_wroom as wroom
from gun import config
good = {"id": "G01", "password": "pw", "broker": "10.0.0.2"}
assert config.problems(dict(good, camera={}), cam) == []
assert config.problems(dict(good, camera={"trigger": "continuous",
    "size": "R240X240", "repeat_ms": 0}), cam) == []
for c, want in (({"trigger": "press"}, "bad camera trigger"),
                ({"size": "VGA"}, "bad camera size"),
                ({"repeat_ms": "1s"}, "bad camera repeat_ms"),
                ({"repeat_ms": True}, "bad camera repeat_ms"),
                ("hold", "bad camera")):
    assert config.problems(dict(good, camera=c), cam) == [want], c
assert config.problems(dict(good, camera={}), wroom) == [
    "no camera on board"]
# The camera board's pins: its camera's among them, checked as any.
assert config.problems(dict(good, pins=cam.PINS), cam) == []
assert cam.pin_problems({"buzzer": 15}) == [
    "cam_xclk 15: also used by buzzer"]
assert cam.pin_problems({"cam_d0": 35}) == [
    "cam_d0 35: flash/PSRAM pin"]
print("ok")
""", path=(CAMLIB,))
    assert out.strip() == "ok"
