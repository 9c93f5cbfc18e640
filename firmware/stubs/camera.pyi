# The `camera` module of micropython-camera-API (cnadler86), compiled
# into the MicroPython images of the camera boards (boards/esp32_s3_cam.py)
# and stood in for on the host by boards/host_camera.py.  Written from the
# module's C source (src/modcamera_api.c, src/modcamera.c), so that a
# wrong call fails the firmware's type check: keyword-only arguments,
# data_pins a list or a bytearray (a tuple raises TypeError), capture()
# None when no frame came.  The micropython-esp32 stubs have no such
# module.
from typing import ClassVar, final

@final
class PixelFormat:
    RGB565: ClassVar[int]
    YUV422: ClassVar[int]
    YUV420: ClassVar[int]
    GRAYSCALE: ClassVar[int]
    JPEG: ClassVar[int]
    RGB888: ClassVar[int]
    RAW: ClassVar[int]
    RGB444: ClassVar[int]
    RGB555: ClassVar[int]

@final
class FrameSize:
    R96X96: ClassVar[int]
    QQVGA: ClassVar[int]
    R128x128: ClassVar[int]
    QCIF: ClassVar[int]
    HQVGA: ClassVar[int]
    R240X240: ClassVar[int]
    QVGA: ClassVar[int]
    R320X320: ClassVar[int]
    CIF: ClassVar[int]
    HVGA: ClassVar[int]
    VGA: ClassVar[int]
    SVGA: ClassVar[int]
    XGA: ClassVar[int]
    HD: ClassVar[int]
    SXGA: ClassVar[int]
    UXGA: ClassVar[int]
    FHD: ClassVar[int]
    P_HD: ClassVar[int]
    P_3MP: ClassVar[int]
    QXGA: ClassVar[int]
    QHD: ClassVar[int]
    WQXGA: ClassVar[int]
    P_FHD: ClassVar[int]
    QSXGA: ClassVar[int]

@final
class GrabMode:
    WHEN_EMPTY: ClassVar[int]
    LATEST: ClassVar[int]

@final
class GainCeiling:
    # Its members are named 2X, 4X ... 128X: not identifiers, so only
    # getattr(GainCeiling, "2X") reaches them.
    ...

def Version() -> str: ...

class Camera:
    """One camera (a singleton in C: constructing another deinitialises
    the first).  Constructed with init=True it is initialised and has
    captured a first frame, or raised OSError."""

    def __init__(self, *, data_pins: list[int] | bytearray | None = ...,
                 pclk_pin: int = ..., vsync_pin: int = ...,
                 href_pin: int = ..., sda_pin: int = ..., scl_pin: int = ...,
                 xclk_pin: int = ..., xclk_freq: int = ...,
                 powerdown_pin: int = ..., reset_pin: int = ...,
                 i2c: object = ..., pixel_format: int = ...,
                 frame_size: int = ..., jpeg_quality: int = ...,
                 fb_count: int = ..., grab_mode: int = ...,
                 init: bool = ...) -> None: ...
    def init(self) -> None: ...
    def deinit(self) -> None: ...
    def reconfigure(self, *, frame_size: int = ..., pixel_format: int = ...,
                    grab_mode: int = ..., fb_count: int = ...) -> None: ...
    def capture(self) -> memoryview | None:
        """The driver's frame buffer as a memoryview of typecode 'b'
        (signed: index it through an unsigned view), the previous one
        handed back first; None if no frame came in time."""
    def frame_available(self) -> bool: ...
    def free_buffer(self) -> None: ...
    def __enter__(self) -> Camera: ...
    def __exit__(self, *args: object) -> None: ...
    # Read-only
    @property
    def pixel_format(self) -> int: ...
    @property
    def grab_mode(self) -> int: ...
    @property
    def fb_count(self) -> int: ...
    @property
    def pixel_width(self) -> int: ...
    @property
    def pixel_height(self) -> int: ...
    @property
    def max_frame_size(self) -> int: ...
    @property
    def sensor_name(self) -> str: ...
    # Read and write (the sensor's settings)
    frame_size: int
    contrast: int
    brightness: int
    saturation: int
    sharpness: int
    denoise: int
    gainceiling: int
    quality: int
    colorbar: bool
    whitebal: bool
    gain_ctrl: bool
    exposure_ctrl: bool
    hmirror: bool
    vflip: bool
    aec2: bool
    awb_gain: bool
    agc_gain: int
    aec_value: int
    special_effect: int
    wb_mode: int
    ae_level: int
    dcw: bool
    bpc: bool
    wpc: bool
    raw_gma: bool
    lenc: bool
