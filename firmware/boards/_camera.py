# The camera behind the board layer, on a device and on the host alike:
# micropython-camera-API's Camera (the `camera` module of the board's
# MicroPython image; boards/host_camera.py on the host), which the board
# constructs for greyscale frames.  What the gun (gun/camera.py) sees:
#
#   cam.open()          start the sensor (OSError or ValueError when it
#                       does not answer: the gun says so and tries again)
#   await cam.frame()   a fresh frame: width * height bytes, 0 black to
#                       255 white, row after row; valid until the next
#   cam.width, cam.height   once open
#
# The driver hands each frame out as a memoryview of its own buffer, of
# typecode 'b' (signed), refilled once handed back.  frame() hands the
# last one back, then waits for the next without blocking the event loop
# (capture() would block until a frame comes), so a frame is always one
# the sensor took after the call: one buffer is enough (the board asks
# for fb_count=1) and the gun never decodes a stale frame.  The same
# memory is then read as unsigned bytes, through a view made once per
# driver buffer: nothing is allocated per frame but the driver's own
# memoryview.
import asyncio
import errno
import uctypes
from micropython import const

_POLL_MS = const(5)          # a frame takes 80 ms (OV2640, QVGA greys)


class Cam:
    def __init__(self, opener):
        self._open = opener     # the board's: () -> a started Camera
        self.cam = None
        self.width = self.height = 0
        self._at = [0, 0]       # driver buffers' addresses, and the
        # unsigned views of them
        self._view: list[bytearray | None] = [None, None]

    def open(self):
        cam = self._open()
        self.width = cam.pixel_width
        self.height = cam.pixel_height
        self.cam = cam

    async def frame(self):
        cam = self.cam
        if cam is None:
            raise OSError(errno.ENODEV)
        cam.free_buffer()
        while not cam.frame_available():
            await asyncio.sleep_ms(_POLL_MS)
        mv = cam.capture()
        if mv is None:          # the driver's wait for a frame timed out
            raise OSError(errno.ETIMEDOUT)
        at = uctypes.addressof(mv)
        i = 0 if self._at[0] == at else 1 if self._at[1] == at else -1
        if i < 0:               # a buffer not seen yet (or reallocated)
            i = 0 if self._view[0] is None else 1
            self._at[i] = at
            self._view[i] = uctypes.bytearray_at(at, len(mv))
        return self._view[i]
