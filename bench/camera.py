"""The camera gun's QR decoder against zxing-cpp and zbar, on the same
frames of Pickgun's own codes.

    python bench/camera.py [--per 24] [--seed 11] [--keep DIR]

The frames (bench/qr_frames.py): every code the server renders (order
page, order label, patient label, bottle label, a sheet of 40 bottle
labels, shipping label), drawn by the server's own code on a demo
database, rasterised at 576 dpi and seen by a simulated QVGA camera
(320 x 240, 60-degree lens), the aim at the frame's centre. Each
degradation gets --per frames, its amounts drawn from a generator seeded
with --seed (the table says them); "no code" frames are scenes without
one (shapes, text-like stripes, noise), where any text is wrong.

Decoders: Pickgun's (firmware/qr, in the MicroPython unix port, its
pixel loops as viper machine code and again as plain Python), zxing-cpp
and zbar (pyzbar over Debian's libzbar0), each answer being the code it
returns nearest the aim. "wrong" is any text other than the code nearest
the aim: must be 0 for Pickgun's.

The ESP32-S3 estimate: the unix port's time times DEVICE_FACTOR (below,
with how it was reached).
"""
import argparse
import math
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import zxingcpp  # noqa: E402
from pyzbar import pyzbar  # noqa: E402

from bench import qr_frames as qf  # noqa: E402

# An ESP32-S3 at 240 MHz against one core of this host: the unix port's
# time is multiplied by this for the device. It is the ratio of the same
# MicroPython loops (bytecode and viper machine code alike) measured on
# an ESP32-S3 and on an x86-64 desktop core of about 3 GHz, which is
# 30 to 60 (clock 240 MHz against 3+ GHz, one instruction a cycle against
# three or four, and PSRAM cache misses for a frame that lives there):
# taken as 45, so read the estimate as within a factor of 1.5.
DEVICE_FACTOR = 45

S = qf.Shot


def shots(rng):
    """{degradation: (what it is, a function making one Shot)}."""
    def angle():
        return rng.uniform(0, 360)
    return {
        "clean": ("3 px/module, any rotation",
                  lambda: S(module_px=3, angle=angle())),
        "rotation": ("0-360 degrees, 3 px/module",
                     lambda: S(module_px=3, angle=angle())),
        "tilt": ("15-35 degrees about any axis, 3.5 px/module",
                 lambda: S(module_px=3.5, angle=angle(),
                           tilt=rng.uniform(15, 35),
                           tilt_axis=rng.uniform(0, 360))),
        "scale": ("2-3 px/module",
                  lambda: S(module_px=rng.choice((2, 2.25, 2.5, 3)),
                            angle=angle())),
        "blur": ("focus sigma 0.6-1.4 px or motion 3-6 px, 4 px/module",
                 lambda: S(module_px=4, angle=angle(),
                           blur=rng.uniform(0.6, 1.4))
                 if rng.random() < 0.5 else
                 S(module_px=4, angle=angle(), motion=rng.randrange(3, 7))),
        "noise": ("Gaussian sigma 6-16 grey levels, 3 px/module",
                  lambda: S(module_px=3, angle=angle(),
                            noise=rng.uniform(6, 16))),
        "lighting": ("light falls 40-75 % across, 3 px/module",
                     lambda: S(module_px=3, angle=angle(),
                               gradient=rng.uniform(0.4, 0.75))),
        "contrast": ("20-40 % of the grey range, 3 px/module",
                     lambda: S(module_px=3, angle=angle(),
                               contrast=rng.uniform(0.2, 0.4))),
        "jpeg": ("JPEG quality 10-30, 3 px/module",
                 lambda: S(module_px=3, angle=angle(),
                           jpeg=rng.randrange(10, 31))),
        "combined": ("2.5-4 px, tilt 0-25, blur 0-0.8, noise 0-8, "
                     "light 0-50 %, contrast 40-100 %, JPEG 30-60",
                     lambda: S(module_px=rng.uniform(2.5, 4), angle=angle(),
                               tilt=rng.uniform(0, 25),
                               tilt_axis=rng.uniform(0, 360),
                               blur=rng.uniform(0, 0.8),
                               noise=rng.uniform(0, 8),
                               gradient=rng.uniform(0, 0.5),
                               contrast=rng.uniform(0.4, 1.0),
                               jpeg=rng.randrange(30, 61))),
    }


def _nearest(found, size):
    """The text of the (text, x, y) nearest the frame's centre, or None."""
    w, h = size
    best = None
    for text, x, y in found:
        d = math.hypot(x - w / 2, y - h / 2)
        if best is None or d < best[0]:
            best = (d, text)
    return best and best[1]


def zxing_read(img):
    found = []
    for r in zxingcpp.read_barcodes(img, formats=qf.QR_ONLY):
        p = r.position
        pts = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        found.append((r.text, sum(q.x for q in pts) / 4,
                      sum(q.y for q in pts) / 4))
    return _nearest(found, img.size)


def zbar_read(img):
    found = []
    for r in pyzbar.decode(img, symbols=[pyzbar.ZBarSymbol.QRCODE]):
        try:
            text = r.data.decode("utf-8")
        except UnicodeDecodeError:
            text = r.data.decode("latin-1")
        pts = r.polygon
        found.append((text, sum(q.x for q in pts) / len(pts),
                      sum(q.y for q in pts) / len(pts)))
    return _nearest(found, img.size)


def timed(read, img, repeat=3):
    best = None
    text = None
    for _ in range(repeat):
        t = time.perf_counter()
        text = read(img)
        ms = (time.perf_counter() - t) * 1000
        best = ms if best is None else min(best, ms)
    return text, best


def make_frames(folder, per, seed):
    rng = random.Random(seed)
    codes = qf.server_codes(Path(folder) / "db")
    frames = []           # (name, degradation, image, expected, kind)
    for deg, (_, make) in shots(rng).items():
        for i in range(per):
            code = codes[i % len(codes)]
            target = rng.randrange(len(code.texts))
            img, expected = qf.view(code, make(), rng, target)
            frames.append(("%s%03d" % (deg, i), deg, img, expected,
                           code.kind))
    for i in range(per):
        frames.append(("nocode%03d" % i, "no code",
                       qf.random_frame(rng), None, "scene"))
    return frames


def main():
    ap = argparse.ArgumentParser(description="The camera gun's QR decoder "
                                 "against zxing-cpp and zbar.")
    ap.add_argument("--per", type=int, default=24,
                    help="frames per degradation (default 24)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--keep", help="write the frames (PNG) here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        frames = make_frames(tmp, args.per, args.seed)
        print("%d frames made in %.0f s (seed %d)" % (
            len(frames), time.perf_counter() - t0, args.seed))
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            for name, _, img, _, _ in frames:
                img.save(Path(args.keep) / (name + ".png"))
        mpy = qf.build_mpy(Path(tmp) / "mpy")
        qf.write_frames(Path(tmp) / "frames",
                        [(n, img, None) for n, _, img, _, _ in frames])
        ours = qf.run_decoder(Path(tmp) / "frames", path=mpy)
        slow = qf.run_decoder(Path(tmp) / "frames", path=mpy, slow=True)
    results = {}
    for name, deg, img, expected, kind in frames:
        zx, zx_ms = timed(zxing_read, img)
        zb, zb_ms = timed(zbar_read, img)
        results[name] = {
            "pickgun": (ours[name][0], ours[name][1]),
            "pickgun-py": (slow[name][0], slow[name][1]),
            "zxing-cpp": (zx, zx_ms),
            "zbar": (zb, zb_ms),
        }
        results[name]["expected"] = expected
        results[name]["deg"] = deg
        results[name]["kind"] = kind
    report(frames, results, args)


DECODERS = ("pickgun", "pickgun-py", "zxing-cpp", "zbar")


def report(frames, results, args):
    degs = []
    for _, deg, _, _, _ in frames:
        if deg not in degs:
            degs.append(deg)
    what = {k: v[0] for k, v in shots(random.Random(0)).items()}
    what["no code"] = "scenes without a code (shapes, stripes, noise)"
    print()
    print("Degradations (amounts drawn per frame):")
    for deg in degs:
        print("  %-9s %s" % (deg, what[deg]))
    print()
    head = "%-9s %5s" % ("", "frames")
    for d in DECODERS:
        head += " | %-21s" % d
    print(head)
    print("%-9s %5s" % ("", "") + " | read  wrong  ms/frame" * len(DECODERS))
    totals = {d: [0, 0, 0.0] for d in DECODERS}
    count = 0
    for deg in degs:
        names = [n for n, g, _, _, _ in frames if g == deg]
        line = "%-9s %5d" % (deg, len(names))
        for d in DECODERS:
            read = wrong = 0
            ms = 0.0
            for n in names:
                r = results[n]
                text, t = r[d]
                ms += t
                if text is not None:
                    if text == r["expected"]:
                        read += 1
                    else:
                        wrong += 1
            line += " | %4d  %5d  %8.2f" % (read, wrong, ms / len(names))
            totals[d][0] += read
            totals[d][1] += wrong
            totals[d][2] += ms
        count += len(names)
        print(line)
    line = "%-9s %5d" % ("total", count)
    for d in DECODERS:
        line += " | %4d  %5d  %8.2f" % (totals[d][0], totals[d][1],
                                        totals[d][2] / count)
    print(line)
    with_code = sum(1 for r in results.values() if r["expected"])
    print()
    print("Frames with a code: %d. Pickgun's decoder read %d, zxing-cpp "
          "%d, zbar %d." % (with_code, totals["pickgun"][0],
                            totals["zxing-cpp"][0], totals["zbar"][0]))
    ms = totals["pickgun"][2] / count
    slow_ms = totals["pickgun-py"][2] / count
    print("ESP32-S3 estimate (unix port x %d): %.0f ms a frame with the "
          "viper loops, %.0f ms in plain Python." % (
              DEVICE_FACTOR, ms * DEVICE_FACTOR, slow_ms * DEVICE_FACTOR))
    print()
    print("Where each fails (frames not read, by degradation and page):")
    for d in ("pickgun", "zxing-cpp", "zbar"):
        missed = {}
        for r in results.values():
            if r["expected"] and r[d][0] != r["expected"]:
                key = "%s/%s" % (r["deg"], r["kind"])
                missed[key] = missed.get(key, 0) + 1
        print("  %-10s %s" % (d, ", ".join(
            "%s %d" % kv for kv in sorted(missed.items())) or "-"))


if __name__ == "__main__":
    main()
