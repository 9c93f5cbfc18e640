# The host board's camera: a stand-in for micropython-camera-API's
# `camera` module (firmware/stubs/camera.pyi: the same names, keyword
# arguments and checks, capture() a memoryview of typecode 'b' over the
# driver's own buffer), for a greyscale sensor looking at what the
# harness shows it.
#
# The scene: FRAMES <path> on the panel line (boards/host.py calls
# show()) is a PGM picture (P5, 8-bit greys, exactly the frame's size) or
# a folder of them, taken in name order as a sequence: picture k is what
# the sensor sees from k frame times after the FRAMES line, the last one
# from then on (so motion, then the code in focus, is a folder of
# frames); a frame shows what was in view when it began.  FRAMES alone
# is an empty scene (a uniform grey).  Paths are absolute or from
# PICKGUN_HOST_DIR.
#
# The sensor: a frame every FRAME_MS (80 ms: the OV2640's greyscale QVGA
# on an ESP32-S3, micropython-camera-API's own figures), each into a free
# frame buffer, which stays filled until the gun takes it (capture()) and
# hands it back (free_buffer(), or the next capture()).  WHEN_EMPTY
# gives the oldest filled buffer, LATEST the newest; with none filled,
# capture() blocks until one is, as the driver does.  PRESENT False (the
# host config's "camera": false) is a board whose sensor does not answer:
# construction raises the OSError the driver raises.  Greyscale only
# (the gun's format); the sizes up to VGA.
import array
import os
import time
from micropython import const

FRAME_MS = 80
PRESENT = True
# An empty scene: mid grey (128, stored in the signed buffer as -128).
_EMPTY = const(-128)


class PixelFormat:
    # esp32-camera's pixformat_t
    RGB565 = 0
    YUV422 = 1
    YUV420 = 2
    GRAYSCALE = 3
    JPEG = 4
    RGB888 = 5
    RAW = 6
    RGB444 = 7
    RGB555 = 8


class FrameSize:
    # esp32-camera's framesize_t, up to VGA (_SIZES: their pixels)
    R96X96 = 0
    QQVGA = 1
    R128x128 = 2
    QCIF = 3
    HQVGA = 4
    R240X240 = 5
    QVGA = 6
    R320X320 = 7
    CIF = 8
    HVGA = 9
    VGA = 10


class GrabMode:
    WHEN_EMPTY = 0
    LATEST = 1


class GainCeiling:
    pass


_cam = None


def board_camera(cfg):
    """The host board's camera() (boards/host.py): the camera, once,
    behind the board layer (boards/_camera.py) as a device board's."""
    global _cam
    if _cam is None:
        from boards import _camera
        _cam = _camera.Cam(lambda: _sensor(cfg))
    return _cam


def _sensor(cfg):
    """The sensor, started as the camera board starts its
    (boards/esp32_s3_cam.py: greyscale, config "camera" "size", one
    frame buffer); config "host" "camera": false, one that does not
    answer, "frame_ms" its frame time."""
    global PRESENT, FRAME_MS
    host = cfg.get("host") or {}
    PRESENT = host.get("camera", True) is not False
    FRAME_MS = host.get("frame_ms", FRAME_MS)
    size = (cfg.get("camera") or {}).get("size", "QVGA")
    return Camera(pixel_format=PixelFormat.GRAYSCALE,
                  frame_size=getattr(FrameSize, size), fb_count=1,
                  grab_mode=GrabMode.WHEN_EMPTY)


_SIZES = ((96, 96), (160, 120), (128, 128), (176, 144), (240, 176),
          (240, 240), (320, 240), (320, 320), (400, 296), (480, 320),
          (640, 480))

_dir = os.getenv("PICKGUN_HOST_DIR") or "."
_scene = []                 # the pictures' paths
_shown = time.ticks_ms()    # when they were shown
_seen = 0                   # scenes shown so far


def show(path):
    """The harness's FRAMES line: a picture, a folder of them, or ""
    (nothing in view)."""
    global _scene, _shown, _seen
    if path and path[0] != "/":
        path = _dir + "/" + path
    pics = []
    if path:
        try:
            pics = [path + "/" + n for n in sorted(os.listdir(path))
                    if n.endswith(".pgm")]
        except OSError:         # not a folder: one picture
            pics = [path]
    _scene = pics
    _shown = time.ticks_ms()
    _seen += 1


def Version():
    return "host"


class Camera:
    def __init__(self, *, data_pins=None, pclk_pin=-1, vsync_pin=-1,
                 href_pin=-1, sda_pin=-1, scl_pin=-1, xclk_pin=-1,
                 xclk_freq=20000000, powerdown_pin=-1, reset_pin=-1,
                 i2c=None, pixel_format=PixelFormat.RGB565,
                 frame_size=FrameSize.QQVGA, jpeg_quality=85, fb_count=1,
                 grab_mode=GrabMode.WHEN_EMPTY, init=True):
        if data_pins is not None:
            if not isinstance(data_pins, (list, bytearray)):
                raise TypeError("data_pins must be a list or bytearray")
            if len(data_pins) != 8:
                raise ValueError("data_pins must have 8 elements")
        if not 0 <= jpeg_quality <= 100:
            raise ValueError("jpeg quality must be in range 0-100")
        if grab_mode not in (GrabMode.WHEN_EMPTY, GrabMode.LATEST):
            raise ValueError("Invalid grab_mode")
        if pixel_format != PixelFormat.GRAYSCALE:
            raise ValueError("host camera: GRAYSCALE only")
        if not 0 <= frame_size < len(_SIZES):
            raise ValueError("host camera: sizes up to VGA")
        if fb_count < 1:
            raise ValueError("fb_count")
        self._format = pixel_format
        self._size = frame_size
        self._grab = grab_mode
        self._count = fb_count
        self._bufs = []
        # Per buffer: ticks_ms its frame is complete (None while the gun
        # holds it: _held), and (scene, picture) it holds.
        self._ready: list = []
        self._has: list = []
        self._held = -1
        self._on = False
        self._t0 = time.ticks_ms()      # the sensor's first frame
        self.init()
        # The driver takes a first frame to see the sensor answers.
        self.capture()
        self.free_buffer()
        if not init:
            self.deinit()

    # ----------------------------------------------------------- power
    def init(self):
        if self._on:
            return
        if not PRESENT:
            raise OSError("Failed to capture initial frame. Construct a "
                          "new object with appropriate configuration.")
        w, h = _SIZES[self._size]
        if len(self._bufs) != self._count or len(self._bufs[0]) != w * h:
            self._bufs = []
            for _ in range(self._count):
                self._bufs.append(array.array("b", bytes(w * h)))
        self._t0 = time.ticks_ms()
        self._ready = [None] * self._count
        self._has = [None] * self._count
        self._held = -1
        self._on = True
        for i in range(self._count):
            self._refill(i)

    def deinit(self):
        self._on = False
        self._held = -1

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.deinit()

    def _check(self):
        if not self._on:
            raise OSError("Camera not initialized")

    def reconfigure(self, *, frame_size=None, pixel_format=None,
                    grab_mode=None, fb_count=None):
        self._check()
        self.deinit()
        if frame_size is not None:
            self._size = frame_size
        if pixel_format is not None:
            self._format = pixel_format
        if grab_mode is not None:
            self._grab = grab_mode
        if fb_count is not None:
            self._count = fb_count
        self.init()

    # --------------------------------------------------------- frames
    def _refill(self, i):
        """Buffer i is free from now: it takes the next frame no other
        buffer takes, complete at the end of that frame time."""
        now = time.ticks_ms()
        since = time.ticks_diff(now, self._t0)
        end = (since // FRAME_MS + 1) * FRAME_MS
        for r in self._ready:
            if r is not None:
                end = max(end, time.ticks_diff(r, self._t0) + FRAME_MS)
        self._ready[i] = time.ticks_add(self._t0, end)

    def _take(self):
        """The buffer capture() hands out, waiting for it if need be:
        WHEN_EMPTY the oldest frame, LATEST the newest complete one (the
        older ones go back to the sensor), else the next to come."""
        ready = self._ready
        now = time.ticks_ms()
        first = last = -1
        for i in range(self._count):
            r = ready[i]
            if r is None:
                continue
            if first < 0 or time.ticks_diff(r, ready[first]) < 0:
                first = i
            if time.ticks_diff(r, now) <= 0 and (
                    last < 0 or time.ticks_diff(r, ready[last]) > 0):
                last = i
        if self._grab == GrabMode.LATEST and last >= 0:
            for i in range(self._count):
                r = ready[i]
                if i != last and r is not None and \
                        time.ticks_diff(r, now) <= 0:
                    self._refill(i)
            return last
        wait = time.ticks_diff(ready[first], now)
        if wait > 0:
            time.sleep_ms(wait)     # the driver blocks for its frame
        return first

    def capture(self):
        self._check()
        self.free_buffer()
        i = self._take()
        self._load(i, self._ready[i])
        self._ready[i] = None
        self._held = i
        return memoryview(self._bufs[i])

    def free_buffer(self):
        if self._held >= 0 and self._on:
            self._refill(self._held)
        self._held = -1

    def frame_available(self):
        self._check()
        now = time.ticks_ms()
        for r in self._ready:
            if r is not None and time.ticks_diff(r, now) <= 0:
                return True
        return False

    def _load(self, i, when):
        """The scene's picture at `when` into buffer i (read again only
        when another picture, or another scene, is in view)."""
        w, h = _SIZES[self._size]
        n = len(_scene)
        # What was in view when the frame began.
        k = min(max(time.ticks_diff(when, _shown) // FRAME_MS - 1, 0),
                n - 1)
        path = _scene[k] if n else ""
        if self._has[i] == (_seen, path):
            return
        self._has[i] = (_seen, path)
        buf = self._bufs[i]
        grey = _EMPTY
        if path:
            try:
                with open(path, "rb") as f:
                    head = (f.readline() + f.readline() +
                            f.readline()).split()
                    if head != [b"P5", str(w).encode(), str(h).encode(),
                                b"255"]:
                        raise ValueError("not a %dx%d PGM" % (w, h))
                    if f.readinto(buf) != w * h:
                        raise ValueError("short")
                return
            except (OSError, ValueError) as e:
                print("host camera:", path, repr(e))
                grey = 0            # the harness's mistake: black
        for j in range(w * h):
            buf[j] = grey

    # ------------------------------------------------------ properties
    @property
    def pixel_format(self):
        return self._format

    @property
    def grab_mode(self):
        return self._grab

    @property
    def fb_count(self):
        return self._count

    @property
    def pixel_width(self):
        self._check()
        return _SIZES[self._size][0]

    @property
    def pixel_height(self):
        self._check()
        return _SIZES[self._size][1]

    @property
    def max_frame_size(self):
        return len(_SIZES) - 1

    @property
    def sensor_name(self):
        return "OV2640"

    @property
    def frame_size(self):
        return self._size

    @frame_size.setter
    def frame_size(self, value):
        self.reconfigure(frame_size=value)
