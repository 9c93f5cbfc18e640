# argv: the names every board has.  Every device board also has a pin
# table (CHIP, PINS, GPIOS) whose defaults its pin_problems() accepts, and
# each checks against its own table; the first board's name (esp32_gm65)
# is the ESP32-WROOM board.
import sys

import boards
import boards.esp32_gm65 as gm65
import boards.esp32_s3 as s3
import boards.esp32_s3_cam as s3cam
import boards.esp32_wroom as wroom
import boards.esp32_wrover as wrover
import boards.host as h
from gun import config

for name in sys.argv[1:]:
    assert hasattr(h, name), ("host", name)
    for b in (wroom, wrover, s3, s3cam, gm65):
        assert hasattr(b, name), (b.NAME, name)
good = {"id": "G01", "password": "pw", "broker": "10.0.0.2"}
for b, chip, size in ((wroom, "ESP32", 40), (wrover, "ESP32", 40),
                      (s3, "ESP32-S3", 49), (s3cam, "ESP32-S3", 49)):
    assert b.DATA_DIR == "/data" and b.CHIP == chip, b.NAME
    assert len(b.GPIOS) == size, b.NAME
    assert boards.load(b.NAME) is b
    assert config.problems(dict(good, board=b.NAME, pins=b.PINS), b) == [], \
        b.NAME
# imported last, the S3 does not lend the others its table
assert wroom.pin_problems({"scl": 22}) == []
assert s3.pin_problems({"scl": 22}) == ["scl 22: not a GPIO of ESP32-S3"]
# The camera boards (and the host's, for a camera gun) have a camera.
assert hasattr(s3cam, "camera") and hasattr(h, "camera")
assert not hasattr(wroom, "camera") and not hasattr(s3, "camera")
assert s3cam.GPIOS == s3.GPIOS
assert gm65.NAME == "esp32_wroom" and gm65.PINS == wroom.PINS
assert gm65.GPIOS == wroom.GPIOS and gm65.uart is wroom.uart
assert boards.load("esp32_gm65") is gm65
assert boards.DEFAULT_DEVICE_BOARD == "esp32_wroom"
assert h.pin_problems is None   # the simulator has no pins of its own
try:
    boards.load("../x")
except ValueError:
    pass
else:
    raise AssertionError("bad board name accepted")
