"""The firmware's QR decoder (firmware/qr/), run in the MicroPython unix
port on frames drawn here: codes of every version it reads, each level
and mode, straight on, then through the simulated camera
(bench/qr_frames.py). Stage by stage tests are in test_qr_stages.py."""
import random

import qrcode.util

from bench import qr_frames as qf

FRAME = (320, 240)


def centred(img, size=FRAME, background=200):
    frame = qf.Image.new("L", size, background)
    frame.paste(img, ((size[0] - img.width) // 2,
                      (size[1] - img.height) // 2))
    return frame


def decode_all(tmp_path, frames, slow=False, heap="512k"):
    qf.write_frames(tmp_path, frames)
    return qf.run_decoder(tmp_path, slow=slow, heap=heap)


# Texts that need each version at each level, in each mode.
def _text(mode, version, level, rng):
    """The longest text of `mode` that fits `version` at `level`."""
    alphabet = {"numeric": "0123456789",
                "alnum": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:",
                "byte": "abcdefghijklmnopqrstuvwxyz!?&=_()[]{}"}[mode]
    m = {"numeric": qrcode.util.MODE_NUMBER,
         "alnum": qrcode.util.MODE_ALPHA_NUM,
         "byte": qrcode.util.MODE_8BIT_BYTE}[mode]
    def version_of(n):
        q = qrcode.QRCode(error_correction=qf.LEVELS[level])
        q.add_data(qrcode.util.QRData(alphabet[-1] * n, mode=m))
        q.make(fit=True)
        return q.version
    lo, hi = 1, 700         # fits, does not (10-L holds 652 digits)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if version_of(mid) <= version else (lo, mid)
    n = lo
    return "".join(rng.choice(alphabet) for _ in range(n)), m


def test_every_version_level_and_mode_straight_on(tmp_path):
    """Versions 1 to 10 at L, M, Q and H; numeric, alphanumeric and
    byte modes; the text filling the version."""
    rng = random.Random(11)
    frames, want = [], {}
    for version in range(1, 11):
        for level in "LMQH":
            mode = ("numeric", "alnum", "byte")[(version + "LMQH".index(
                level)) % 3]
            text, m = _text(mode, version, level, rng)
            q, img = qf.qr_image(text, level, box=1, border=4, mode=m)
            assert q.version == version
            box = max(2, min(4, 232 // (17 + 4 * version + 8)))
            img = img.resize((img.width * box, img.height * box))
            name = "v%d%s" % (version, level)
            frames.append((name, centred(img), None))
            want[name] = (text, version, "LMQH".index(level))
    got = decode_all(tmp_path, frames)
    for name, (text, version, level) in want.items():
        assert got[name][0] == text, name
        assert got[name][2:4] == (version, "LMQH"[level]), name


def test_mixed_segments_and_utf8(tmp_path):
    """Several segments in one code (qrcode splits digits, capitals and
    bytes), and byte mode holding UTF-8."""
    texts = {"mixed": "ORDER 1001 " + "1234567890" * 3 + " done/ok?",
             "utf8": "Grüße – 5 ml ✓"}
    frames = []
    for name, text in texts.items():
        q = qrcode.QRCode(error_correction=qf.LEVELS["M"], box_size=4)
        q.add_data(text, optimize=3)
        q.make(fit=True)
        frames.append((name, centred(q.make_image().get_image()
                                     .convert("L")), None))
    got = decode_all(tmp_path, frames)
    assert {k: v[0] for k, v in got.items()} == texts


def test_every_code_the_server_renders(tmp_path):
    """The order page's SVG, the order, patient, bottle (roll and sheet)
    and shipping label PDFs, drawn by the server's own code, rasterised,
    and seen by a camera at 3 to 4 pixels a module, turned and tilted
    (bench/camera.py goes further)."""
    rng = random.Random(21)
    codes = qf.server_codes(tmp_path / "db")
    assert {c.kind for c in codes} == {
        "order page", "order label", "patient label", "bottle label",
        "bottle sheet", "shipping label"}
    frames, want = [], {}
    for i, code in enumerate(codes):
        for j, (px, tilt) in enumerate(((3.5, 15), (3, 0), (4, 20))):
            shot = qf.Shot(module_px=px, angle=rng.uniform(0, 360),
                           tilt=tilt, tilt_axis=rng.uniform(0, 360),
                           blur=0.3)
            frame, expected = qf.view(code, shot, rng,
                                      rng.randrange(len(code.texts)))
            name = "k%d_%d" % (i, j)
            frames.append((name, frame, None))
            want[name] = expected
    got = decode_all(tmp_path / "frames", frames)
    assert {k: v[0] for k, v in got.items()} == want


def _shots():
    """One frame of each degradation, on Pickgun's two code sizes (the
    order code: version 1; the bottle code: version 2)."""
    S = qf.Shot
    return {
        "rotated 37": S(angle=37), "rotated 128": S(angle=128),
        "rotated 215": S(angle=215), "rotated 301": S(angle=301),
        "tilted 30 down": S(tilt=30, tilt_axis=0, module_px=3.5),
        "tilted 30 aside": S(tilt=30, tilt_axis=90, angle=20,
                             module_px=3.5),
        "tilted 30 across": S(tilt=30, tilt_axis=45, angle=160,
                              module_px=3.5),
        "out of focus": S(blur=1.2, module_px=4),
        "moved": S(motion=5, angle=10, module_px=4),
        "noisy": S(noise=14, angle=70, module_px=3),
        "lit from one side": S(gradient=0.65, angle=250, module_px=3),
        "low contrast": S(contrast=0.25, angle=15, module_px=3),
        "jpeg": S(jpeg=15, angle=100, module_px=3),
        "2 px a module": S(module_px=2, angle=12),
        "2.5 px, turned": S(module_px=2.5, angle=200, tilt=10),
    }


def test_robust_to_a_hand_held_camera(tmp_path):
    rng = random.Random(5)
    frames, want = [], {}
    for text in ("PGO:1001:8", "PGB:B000101:CBD-OIL-30:L2607A:2"):
        code, _, _ = qf.plain_code(text, "M", qrcode.util.MODE_ALPHA_NUM)
        for label, shot in _shots().items():
            frame, expected = qf.view(code, shot, rng)
            name = "%s-%d" % (label.replace(" ", "_").replace(",", ""),
                              len(text))
            frames.append((name, frame, None))
            want[name] = expected
    got = decode_all(tmp_path, frames)
    assert {k: v[0] for k, v in got.items()} == want


def test_the_code_nearest_the_aim_of_two(tmp_path):
    a, _ = qf.qr_image("PGO:1001:8", "M", box=4)
    b, _ = qf.qr_image("PGO:2002:3", "M", box=4)
    a, b = a.make_image().get_image().convert("L"), b.make_image()\
        .get_image().convert("L")
    frame = qf.Image.new("L", FRAME, 190)
    frame.paste(a, (10, 50))
    frame.paste(b, (170, 60))
    aims = {"left": (10 + a.width // 2, 50 + a.height // 2),
            "right": (170 + b.width // 2, 60 + b.height // 2),
            "left_quiet_zone": (10 + a.width - 6, 50 + a.height // 2)}
    got = decode_all(tmp_path, [(k, frame, v) for k, v in aims.items()])
    assert {k: v[0] for k, v in got.items()} == {
        "left": "PGO:1001:8", "right": "PGO:2002:3",
        "left_quiet_zone": "PGO:1001:8"}


def test_mirrored_and_inverted_codes_are_read(tmp_path):
    _, img = qf.qr_image("PGO:1001:8", "M", box=4)
    frames = [("mirrored", centred(qf.ImageOps.mirror(img)), None),
              ("inverted", centred(qf.ImageOps.invert(img), background=60),
               None),
              ("both", centred(qf.ImageOps.invert(qf.ImageOps.flip(img)),
                               background=60), None)]
    got = decode_all(tmp_path, frames)
    assert {k: v[0] for k, v in got.items()} == dict.fromkeys(
        ("mirrored", "inverted", "both"), "PGO:1001:8")


def test_frames_without_a_code_and_ruined_codes_read_nothing(tmp_path):
    """Random scenes (shapes, text-like stripes, noise) and codes damaged
    beyond what their check words correct: nothing, never a text."""
    rng = random.Random(13)
    frames = [("scene%02d" % i, qf.random_frame(rng), None)
              for i in range(24)]
    q, img = qf.qr_image("PGO:1001:8", "M", box=4)
    n = q.modules_count
    for i in range(12):
        ruined = img.copy()
        draw = qf.ImageDraw.Draw(ruined)
        # a third of the data modules painted over, away from the finders
        for _ in range(60):
            r, c = rng.randrange(9, n), rng.randrange(9, n)
            shade = rng.choice((0, 255))
            draw.rectangle([(4 + c) * 4, (4 + r) * 4, (5 + c) * 4 - 1,
                            (5 + r) * 4 - 1], fill=shade)
        frames.append(("ruined%02d" % i, centred(ruined), None))
    got = decode_all(tmp_path, frames)
    assert {k: v[0] for k, v in got.items()} == dict.fromkeys(got)


def test_pure_python_loops_read_the_same(tmp_path):
    """Without the native emitters (qr/_slow.py) the decoder reads the
    same frames, only slower."""
    rng = random.Random(2)
    code, _, _ = qf.plain_code("PGO:1001:8", "M", qrcode.util.MODE_ALPHA_NUM)
    frames = [("f%d" % i, qf.view(code, qf.Shot(module_px=3, angle=a,
                                                tilt=15), rng)[0], None)
              for i, a in enumerate((10, 190))]
    fast = decode_all(tmp_path / "fast", frames)
    slow = decode_all(tmp_path / "slow", frames, slow=True)
    assert [v[0] for v in fast.values()] == [v[0] for v in slow.values()] \
        == ["PGO:1001:8"] * 2
