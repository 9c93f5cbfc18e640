"""Pictures for a simulated camera gun (firmware/boards/host_camera.py):
any image made into the camera's frame (8-bit greys of its size, written
as the PGM files the stand-in reads), and Pickgun's QR codes as the
server renders them, photographed as a hand-held camera sees them.

    qr = label_qr("PGB:B000123:X")       # a label's QR (server.documents)
    qr = page_qr("PGO:1042:Q")           # an order page's (server.web)
    frame = photograph(qr, module_px=4, angle=8, blur=0.8, noise=6)
    write_pgm(path, frame)
    frame = to_frame(Image.open("photo.jpg"))

Pillow only (the server's own dependency).  Everything is deterministic:
the noise comes from a seeded generator.
"""
import random
import re
from pathlib import Path

from PIL import Image, ImageFilter

# The camera's frame sizes (config.json camera "size") in pixels.
SIZES = {"QVGA": (320, 240), "R240X240": (240, 240)}
PAPER = 255
LABEL_QR_BOX = 8        # server.documents.pdfkit: image pixels per module


def label_qr(code):
    """The QR code of `code` as the labels print it
    (server.documents.pdfkit.qr_image: alphanumeric mode, level M, a
    4-module quiet zone), one pixel a module, greys."""
    from server.documents.pdfkit import QR_BOX_PX, qr_image
    img = qr_image(code).convert("L")
    return img.resize((img.width // QR_BOX_PX, img.height // QR_BOX_PX),
                      Image.Resampling.NEAREST)


_SQUARE = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z")


def page_qr(code):
    """The QR code of `code` as the web pages show it
    (server.web.orders.qr_svg, its SVG path rasterised: one pixel a
    module, its 4-module quiet zone included), greys."""
    from server.web.orders import qr_svg
    svg = str(qr_svg(code))
    box = re.search(r'viewBox="0 0 (\d+) \d+"', svg)
    squares = _SQUARE.findall(svg)
    if box is None or not squares:
        raise ValueError("no modules in the page's QR code")
    size = int(box.group(1))
    img = Image.new("L", (size, size), PAPER)
    for x, y, x2, y2 in squares:
        img.paste(0, (int(x), int(y), int(x2), int(y2)))
    return img


def photograph(qr, size="QVGA", module_px=4.0, angle=0.0, blur=0.6,
               noise=4.0, black=40, white=200, shift=(0, 0), seed=0):
    """`qr` (one pixel a module) in a camera's frame: `module_px` pixels
    a module, turned by `angle` degrees, its centre `shift` pixels from
    the frame's (the aiming point), on paper of grey `white` with ink of
    grey `black`, blurred (Gaussian radius in pixels) and with sensor
    noise (Gaussian, sigma in greys).  Returns an "L" image of the
    frame's size."""
    w, h = SIZES[size]
    side = max(1, round(qr.width * module_px))
    img = qr.convert("L").resize((side, side), Image.Resampling.NEAREST)
    if angle:
        img = img.rotate(angle, resample=Image.Resampling.BILINEAR,
                         expand=True, fillcolor=PAPER)
    frame = Image.new("L", (w, h), PAPER)
    frame.paste(img, ((w - img.width) // 2 + shift[0],
                      (h - img.height) // 2 + shift[1]))
    lut = [black + (white - black) * v // 255 for v in range(256)]
    frame = frame.point(lut)
    if blur:
        frame = frame.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = random.Random(seed)
        frame = Image.frombytes("L", frame.size, bytes(
            min(255, max(0, round(v + rng.gauss(0, noise))))
            for v in frame.tobytes()))
    return frame


def to_frame(img, size="QVGA"):
    """Any picture as the camera's frame: greys, scaled to fit inside the
    frame with its proportions kept, centred on white."""
    w, h = SIZES[size]
    img = img.convert("L")
    scale = min(w / img.width, h / img.height)
    fit = img.resize((max(1, round(img.width * scale)),
                      max(1, round(img.height * scale))),
                     Image.Resampling.LANCZOS)
    frame = Image.new("L", (w, h), PAPER)
    frame.paste(fit, ((w - fit.width) // 2, (h - fit.height) // 2))
    return frame


def pgm(frame):
    """A frame ("L" image) as a binary PGM: what the stand-in reads."""
    return b"P5\n%d %d\n255\n" % frame.size + frame.tobytes()


def write_pgm(path, frame):
    Path(path).write_bytes(pgm(frame))


def frames_from(path, size="QVGA"):
    """The frames of an image file, or of a folder's image files in name
    order (a sequence: motion, then focus)."""
    path = Path(path)
    files = sorted(p for p in path.iterdir() if p.is_file()) \
        if path.is_dir() else [path]
    out = []
    for f in files:
        try:
            with Image.open(f) as img:
                out.append(to_frame(img, size))
        except OSError:
            if not path.is_dir():
                raise
    if not out:
        raise ValueError("no pictures in %s" % path)
    return out
