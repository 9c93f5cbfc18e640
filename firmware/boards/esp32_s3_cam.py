# ESP32-S3 camera boards: an ESP32-S3-WROOM-1 N8R8 or N16R8 module (octal
# PSRAM) with an OV2640 on the camera connector wired as on Espressif's
# ESP32-S3-EYE (the Freenove ESP32-S3-WROOM CAM and the common
# "ESP32-S3-CAM" boards use the same pins).  The camera is the gun's QR
# reader: frames from it, codes from the firmware's own decoder (qr/,
# gun/camera.py); there is no serial decoder.  MicroPython image: one with
# micropython-camera-API's `camera` module (its releases' ESP32_GENERIC_S3
# SPIRAM_OCT image, or a build with its user module), whose frame buffers
# live in PSRAM.  The rest of the device code is boards/_esp32.py's.
import asyncio

from boards import _camera, _esp32
# (Its uart() and keys() below replace the shared ones.)
from boards._esp32 import *  # noqa: F403  # pyright: ignore[reportAssignmentType]

NAME = "esp32_s3_cam"
CHIP = "ESP32-S3"
# The camera's pins are the board's wiring (cam_*: D0-D7, the pixel
# clock, VSYNC, HREF, the clock out to the sensor, and its SCCB bus);
# the panel, buzzer, keys and battery go on GPIOs the board leaves free.
PINS = {"scl": 42, "sda": 41, "buzzer": 47, "ok": 14, "back": 21,
        "battery": 1,
        "cam_d0": 11, "cam_d1": 9, "cam_d2": 8, "cam_d3": 10, "cam_d4": 12,
        "cam_d5": 18, "cam_d6": 17, "cam_d7": 16, "cam_pclk": 13,
        "cam_vsync": 6, "cam_href": 7, "cam_xclk": 15, "cam_sda": 4,
        "cam_scl": 5}
# As boards/esp32_s3.py's: the same chip and module.
#        0         1         2         3         4
#        0123456789012345678901234567890123456789012345678
GPIOS = b"saasaaaaaaaoooooooouuo----ffffffffffffooooouussoo"
_esp32.PINS = PINS
_XCLK_HZ = 20000000         # the OV2640's clock (10 or 20 MHz)


def pin_problems(pins):
    return _esp32.check_pins(pins, PINS, GPIOS, CHIP)


def uart():
    return None             # no serial decoder: the camera reads codes


def _sensor():
    """The started Camera: greyscale frames of config.json camera "size"
    (QVGA by default), one frame buffer (boards/_camera.py says why)."""
    import camera as api
    p = _esp32._pin
    size = (_esp32.config().get("camera") or {}).get("size", "QVGA")
    return api.Camera(
        data_pins=[p("cam_d0"), p("cam_d1"), p("cam_d2"), p("cam_d3"),
                   p("cam_d4"), p("cam_d5"), p("cam_d6"), p("cam_d7")],
        pclk_pin=p("cam_pclk"), vsync_pin=p("cam_vsync"),
        href_pin=p("cam_href"), sda_pin=p("cam_sda"), scl_pin=p("cam_scl"),
        xclk_pin=p("cam_xclk"), xclk_freq=_XCLK_HZ, powerdown_pin=-1,
        reset_pin=-1, pixel_format=api.PixelFormat.GRAYSCALE,
        frame_size=getattr(api.FrameSize, size), fb_count=1,
        grab_mode=api.GrabMode.WHEN_EMPTY)


def camera():
    """The camera (boards/_camera.py), not started yet: gun/camera.py
    opens it."""
    return _camera.Cam(_sensor)


class EdgeKeys(_esp32.Keys):
    """The keys, with OK's press and release as "OK_DOWN" and "OK_UP"
    (the camera's trigger: gun/camera.py); BACK as its press, and
    "BACK_LONG" held 1.5 s."""

    async def get(self):
        while True:
            await asyncio.sleep_ms(20)
            name = self._long(None)
            if name:
                return name
            for i in range(2):
                pin, name = self._pins[i]
                v = pin.value()
                if v == self._prev[i]:
                    continue
                await asyncio.sleep_ms(20)
                if pin.value() != v:
                    continue        # a bounce
                self._prev[i] = v
                if i == 0:
                    return "OK_UP" if v else "OK_DOWN"
                if not v:
                    return self._long(name)


def keys():
    return EdgeKeys()
