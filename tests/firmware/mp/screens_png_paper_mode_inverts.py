# argv: the PNG to write.
import sys

from drivers import png

buf = bytearray(1024)
buf[0] = 0x80
with open(sys.argv[1], "wb") as f:
    png.encode(f, buf, 128, 64, paper=True)
