# argv: width height.  The viewfinder of a known frame (grey (7x + 3y) %
# 256 at pixel (x, y)) on an SSD1306's FrameBuffer (MONO_VLSB), printed
# as hex for the test to compare with the bitmap it computes itself; the
# drawing allocates nothing (the heap locked).
import binascii
import framebuf
import micropython
import sys

from gun.camera import Viewfinder

w, h = int(sys.argv[1]), int(sys.argv[2])
frame = bytearray(w * h)
for y in range(h):
    for x in range(w):
        frame[y * w + x] = (7 * x + 3 * y) & 255
vf = Viewfinder(w, h)
buf = bytearray(1024)
fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
fb.fill(1)
micropython.heap_lock()
try:
    vf.draw(frame, fb)
    vf.draw(frame, fb)
finally:
    micropython.heap_unlock()
print(binascii.hexlify(buf).decode())
