# The decoder's adaptive threshold: dark squares on a background whose
# light falls from 230 to 70 across the frame (and the squares' grey with
# it, at 40 % of the background) are all dark and the background all
# light. Prints "ok" or the first failure.
from qr import Decoder

W = 160
H = 120
d = Decoder(W, H)
frame = bytearray(W * H)
for y in range(H):
    for x in range(W):
        light = 230 - (160 * x) // W
        # 6-pixel squares in a checker of 12, but only in the middle band
        dark = 30 <= y < 90 and (x // 6 + y // 6) % 2 == 0
        frame[y * W + x] = light * 2 // 5 if dark else light
d.k.thresholds(frame, d.avg, d.thr, d.prm, 16)
bad = 0
for y in range(H):
    for x in range(W):
        t = d.thr[(y >> 3) * d.prm[2] + (x >> 3)]
        dark = frame[y * W + x] < t
        want = 30 <= y < 90 and (x // 6 + y // 6) % 2 == 0
        if dark != want:
            bad += 1
            if bad == 1:
                print("FAIL at", x, y, frame[y * W + x], t)
print("ok" if not bad else "bad %d" % bad)
