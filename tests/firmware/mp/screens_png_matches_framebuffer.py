# argv: the PNG to write.  Prints the framebuffer in hex.
import binascii
import framebuf
import sys

from drivers import png
from gun import screens as S
from screens_show import show

buf = bytearray(1024)
fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_HLSB)
rows, big = show(
    "refused",
    "offline",
    3,
    message="Wrong product",
    detail="GUMMY-10",
    todo="Put it back",
)
S.paint(fb, rows, big)
with open(sys.argv[1], "wb") as f:
    png.encode(f, buf, 128, 64)
print(binascii.hexlify(buf).decode())
