# One frame through the decoder, its stages shown: the decoded text (hex
# of its UTF-8, or -), then the first pass's finder candidates (centre x,
# y and module size in pixels, hits), then the last grid sampled (rows of
# 0 and 1). argv: the raw frame's path, width, height.
import binascii
import sys

from qr import Decoder

w = int(sys.argv[2])
h = int(sys.argv[3])
frame = bytearray(w * h)
with open(sys.argv[1], "rb") as raw:
    raw.readinto(frame)
d = Decoder(w, h)
text = d.decode(frame)
print("text", "-" if text is None else binascii.hexlify(text.encode())
      .decode())
# the finders again, dark on light, as the first pass saw them
d.k.thresholds(frame, d.avg, d.thr, d.prm, 16)
d.prm[12] = 0
d._finders(frame)
for i in range(d.nc):
    print("finder", d.cx[i] / 8, d.cy[i] / 8, d.cm[i] / 8, d.cn[i])
dim = d.prm[13]
print("grid", dim, "".join(str(b) for b in d.grid[:dim * dim]))
