# Decode every frame listed in <folder>/index.txt with the firmware's QR
# decoder and print one line per frame:
#   <file> <hex of the text's UTF-8, or -> <ms> <version> <level> <errors>
# index.txt lines: <file> <width> <height> [<aim x> <aim y>]; frames are
# raw 8-bit greys, row-major. argv: folder, then "slow" for the plain
# Python loops (default: the native emitters where the port has them).
import binascii
import sys
import time

from qr import Decoder

folder = sys.argv[1]
fast = not (len(sys.argv) > 2 and sys.argv[2] == "slow")
decoders = {}
frames = {}
with open(folder + "/index.txt") as index:
    lines = index.read().split("\n")
for line in lines:
    f = line.split()
    if not f:
        continue
    name, w, h = f[0], int(f[1]), int(f[2])
    aim = (int(f[3]), int(f[4])) if len(f) > 4 else None
    if (w, h) not in decoders:
        decoders[(w, h)] = Decoder(w, h, fast=fast)
        frames[(w, h)] = bytearray(w * h)
    d = decoders[(w, h)]
    frame = frames[(w, h)]
    with open(folder + "/" + name, "rb") as raw:
        raw.readinto(frame)
    t = time.ticks_us()
    text = d.decode(frame, aim)
    us = time.ticks_diff(time.ticks_us(), t)
    if text is None:
        print(name, "-", "%.2f" % (us / 1000), 0, 0, 0)
    else:
        print(name, binascii.hexlify(text.encode()).decode(),
              "%.2f" % (us / 1000), d.version, "LMQH"[d.level], d.errors)
