"""The QR decoder stage by stage, in the MicroPython unix port: threshold,
finder patterns, sampling through a perspective, format information,
Reed-Solomon, the viper loops against their plain Python twin, and the
heap the decoder needs beside a QVGA frame. The decoder is loaded as a
gun loads it: precompiled, its viper code as machine code
(bench/qr_frames.build_mpy)."""
import math
import random

import pytest

from bench import qr_frames as qf
from mp import check, script


@pytest.fixture(scope="module")
def qr_mpy(tmp_path_factory):
    return qf.build_mpy(tmp_path_factory.mktemp("qr-mpy"))


def run_mp(qr_mpy, name, *args, heap="110k"):
    return check(script(name), path=[qr_mpy], args=args, heapsize=heap)


def test_threshold_follows_uneven_light(qr_mpy):
    assert run_mp(qr_mpy, "qr_threshold").strip() == "ok"


def test_format_information_corrects_three_bit_errors(qr_mpy):
    out = run_mp(qr_mpy, "qr_format").split()
    assert out[0] == "ok" and int(out[1]) > 100


@pytest.mark.parametrize("data, check_words, capacity", [
    (19, 7, 2),      # 1-L: 3 of its 7 check words only detect
    (16, 10, 4),     # 1-M: 2 of 10 only detect
    (13, 13, 6),     # 1-Q
    (34, 10, 4),     # 2-L: 2 of 10 only detect
    (15, 28, 14),    # 6-H
    (116, 30, 15),   # 9-L, the longest block
])
def test_reed_solomon_corrects_to_capacity_and_refuses_beyond(
        qr_mpy, data, check_words, capacity):
    out = run_mp(qr_mpy, "qr_reed_solomon", data, check_words, capacity)
    assert out.split()[0] == "ok"


def _tilted_code(text, version_min=1, module_px=4.0, tilt=25.0, angle=20.0,
                 seed=1):
    """A frame of a qrcode-drawn code seen tilted, and where its finder
    centres land in the frame (pixel-centre coordinates, as the decoder
    counts them)."""
    code, _, n = qf.plain_code(text, "M")
    shot = qf.Shot(module_px=module_px, angle=angle, tilt=tilt,
                   tilt_axis=60)
    frame, expected = qf.view(code, shot, random.Random(seed))
    assert expected == text
    box = code.module               # page pixels a module (border 4)
    page = [((4 + 3.5) * box, (4 + 3.5) * box),
            ((4 + n - 3.5) * box, (4 + 3.5) * box),
            ((4 + 3.5) * box, (4 + n - 3.5) * box)]
    scale = shot.module_px / code.module
    cx, cy = code.centres[0]
    src = [(cx - 100, cy - 100), (cx + 100, cy - 100), (cx + 100, cy + 100),
           (cx - 100, cy + 100)]
    dst = [qf._camera_point((x - cx) * scale, (y - cy) * scale, shot)
           for x, y in src]
    h = qf.homography(src, dst)
    # PIL samples at pixel centres: pixel i spans [i, i + 1)
    centres = [tuple(v - 0.5 for v in qf.apply(h, x, y)) for x, y in page]
    return frame, centres, n


def _inspect(qr_mpy, tmp_path, frame):
    path = tmp_path / "frame.raw"
    path.write_bytes(frame.tobytes())
    out = run_mp(qr_mpy, "qr_inspect", path, frame.width, frame.height,
                 heap="256k")
    lines = [line.split() for line in out.splitlines()]
    text = next(f[1] for f in lines if f[0] == "text")
    finders = [tuple(map(float, f[1:4])) for f in lines if f[0] == "finder"]
    grid = next(f for f in lines if f[0] == "grid")
    return (None if text == "-" else bytes.fromhex(text).decode(), finders,
            int(grid[1]), grid[2])


def test_finders_found_within_a_pixel(qr_mpy, tmp_path):
    frame, centres, _ = _tilted_code("PGO:1001:8", module_px=3, tilt=20)
    _, finders, _, _ = _inspect(qr_mpy, tmp_path, frame)
    assert len(finders) >= 3
    for x, y in centres:
        nearest = min(math.hypot(fx - x, fy - y) for fx, fy, _ in finders)
        assert nearest < 1.0, (x, y, finders)
    for _, _, module in finders:
        assert 2.4 < module < 3.6


def test_grid_sampled_through_the_perspective_is_the_code(qr_mpy, tmp_path):
    # version 3: its alignment pattern gives the fourth point
    text = "PGB:B000101:CBD-OIL-30:L2607A:2 AND MORE TEXT"
    frame, _, n = _tilted_code(text, module_px=3.5, tilt=30, angle=200)
    got, _, dim, grid = _inspect(qr_mpy, tmp_path, frame)
    assert got == text and dim == n
    q, _ = qf.qr_image(text, "M")
    want = "".join("1" if q.modules[r][c] else "0" for r in range(n)
                   for c in range(n))
    # the last grid sampled: the one read (a few modules off, which
    # Reed-Solomon put right)
    assert sum(a != b for a, b in zip(grid, want, strict=True)) <= n * n // 20


def test_viper_and_plain_python_loops_agree(qr_mpy, tmp_path):
    rng = random.Random(4)
    code, _, _ = qf.plain_code("PGO:1001:8", "M")
    frames = [("code", qf.view(code, qf.Shot(module_px=3, angle=33,
                                             tilt=20, noise=6), rng)[0],
               None),
              ("noise", qf.random_frame(rng), None)]
    qf.write_frames(tmp_path, frames)
    out = run_mp(qr_mpy, "qr_kernels_agree", tmp_path, heap="512k")
    assert out.split() == ["ok", "2"]


def test_decoder_fits_beside_a_qvga_frame(qr_mpy, tmp_path):
    """The decoder (code, buffers and a frame's garbage) reads codes with
    a QVGA frame in a 130 KB heap: 53 KB beside the frame on this 64-bit
    host, whose objects are about twice an ESP32's."""
    rng = random.Random(8)
    codes = qf.server_codes(tmp_path / "db")
    frames = []
    for i, code in enumerate(codes[:4]):
        shot = qf.Shot(module_px=3, angle=rng.uniform(0, 360),
                       tilt=rng.uniform(0, 25), tilt_axis=rng.uniform(0, 360))
        frame, expected = qf.view(code, shot, rng)
        frames.append(("f%d" % i, frame, None, expected))
    frames.append(("noise", qf.random_frame(rng), None, None))
    qf.write_frames(tmp_path / "frames", [f[:3] for f in frames])
    got = qf.run_decoder(tmp_path / "frames", heap="130k", path=qr_mpy)
    assert {name: got[name][0] for name, *_ in frames} == {
        name: expected for name, _, _, expected in frames}
    out = run_mp(qr_mpy, "qr_memory", tmp_path / "frames", 320, 240,
                 heap="4M").split()
    figures = dict(zip(out[::2], map(int, out[1::2]), strict=True))
    assert figures["decoder"] < 16 * 1024       # its buffers
    assert figures["code"] < 24 * 1024
    # garbage, one frame: the text and little else (the perspective
    # map and the sampling allocate nothing; 544 bytes measured)
    assert figures["decode"] < 1024
