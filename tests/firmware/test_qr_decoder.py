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
