# qr/_fast.py (viper) and qr/_slow.py (plain Python) give the same
# thresholds, hits, runs and grid on the frames listed in argv[1]'s
# index.txt (as qr_frames.py reads them). Prints "ok <frames>".
import sys

from qr import Decoder
from qr import _fast, _slow

folder = sys.argv[1]
with open(folder + "/index.txt") as index:
    lines = [line.split() for line in index.read().split("\n") if line]
count = 0
for f in lines:
    w, h = int(f[1]), int(f[2])
    frame = bytearray(w * h)
    with open(folder + "/" + f[0], "rb") as raw:
        raw.readinto(frame)
    a = Decoder(w, h)
    b = Decoder(w, h, fast=False)
    assert a.k is _fast and b.k is _slow
    text = a.decode(frame)
    assert b.decode(frame) == text, f[0]
    assert a.thr == b.thr and a.avg == b.avg, f[0]
    assert a.nc == b.nc and a.cx == b.cx and a.cy == b.cy, f[0]
    assert a.grid == b.grid, f[0]
    for x, y in ((w // 2, h // 2), (w // 3, h // 4)):
        for dx, dy in ((1, 0), (0, 1), (1, 1), (1, -1)):
            a.runs[7] = b.runs[7] = 40
            ra = _fast.cross(frame, a.thr, a.prm, x, y, dx, dy, a.runs)
            rb = _slow.cross(frame, b.thr, b.prm, x, y, dx, dy, b.runs)
            assert ra == rb and (not ra or a.runs == b.runs), f[0]
    count += 1
print("ok", count)
