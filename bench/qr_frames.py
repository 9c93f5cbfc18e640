"""Camera frames of QR codes for the firmware's decoder (CPython side).

Pickgun's own codes, rendered by the server's own code (the order page's
inline SVG, the order, patient, bottle and shipping label PDFs), rasterised
and put in front of a simulated camera: a pinhole at a distance, any
rotation, a tilt about any axis, then focus and motion blur, a lighting
gradient, low contrast, sensor noise and JPEG artefacts, each with an
amount, from a seeded random generator. bench/camera.py measures the
decoders on them; tests/firmware/test_qr_*.py use a few.

    codes = server_codes(folder)          # [Code], from a demo database
    frame, expected = view(code, Shot(module_px=3, angle=30), rng)
    write_frames(folder, [(name, frame, aim), ...])   # for qr_frames.py

A frame is a PIL "L" image; `expected` the text of the code nearest the
aiming point (the frame's centre unless given).
"""
import io
import math
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2
import qrcode
import qrcode.constants
import qrcode.util
import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

__all__ = ["Image", "ImageDraw", "ImageOps", "Code", "Shot", "FRAME"]
REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "tests" / "firmware" / "mp" / "qr_frames.py"
FRAME = (320, 240)
# A QVGA camera with a 60-degree horizontal field of view.
FOCAL_PX = 160 / math.tan(math.radians(30))
PAGE_DPI = 576                  # 8 pixels a PDF point
QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
LEVELS = {"L": qrcode.constants.ERROR_CORRECT_L,
          "M": qrcode.constants.ERROR_CORRECT_M,
          "Q": qrcode.constants.ERROR_CORRECT_Q,
          "H": qrcode.constants.ERROR_CORRECT_H}


@dataclass
class Code:
    """A page holding QR codes: its image, and each code's text, centre
    and module size there (pixels)."""
    kind: str
    page: Image.Image
    texts: list = field(default_factory=list)
    centres: list = field(default_factory=list)
    module: float = 1.0


@dataclass
class Shot:
    """How the camera sees a code (every amount 0 is the clean frame)."""
    module_px: float = 4.0      # module size at the code's centre
    angle: float = 0.0          # rotation in the page's plane, degrees
    tilt: float = 0.0           # page tilted away from the camera, degrees
    tilt_axis: float = 0.0      # direction of the tilt's axis, degrees
    blur: float = 0.0           # focus blur, Gaussian sigma in pixels
    motion: int = 0             # motion blur, pixels
    noise: float = 0.0          # sensor noise, sigma in grey levels
    gradient: float = 0.0       # light falls to (1 - gradient) across
    contrast: float = 1.0       # black-to-white range kept
    jpeg: int = 0               # JPEG quality (0: none)
    offset: tuple = (0.0, 0.0)  # code's centre off the frame's, pixels
    size: tuple = FRAME


def qr_image(text, level="M", box=8, border=4, mode=None):
    """A code drawn by the `qrcode` package (for the unit tests)."""
    q = qrcode.QRCode(error_correction=LEVELS[level], box_size=box,
                      border=border)
    if mode is None:
        q.add_data(text)
    else:
        # The stubs declare the mode constants plain ints, QRData's mode
        # one of the literal mode numbers they are.
        q.add_data(qrcode.util.QRData(text, mode=mode))  # pyright: ignore[reportArgumentType]
    q.make(fit=True)
    return q, q.make_image().get_image().convert("L")


def plain_code(text, level="M", mode=None, kind="qrcode"):
    box = 8
    q, img = qr_image(text, level, box, 4, mode)
    n = q.modules_count
    centre = (img.width / 2, img.height / 2)
    return Code(kind, img, [text], [centre], box), q.version, n


# ---- Pickgun's own codes ----

def svg_image(svg, module_px):
    """The order page's QR SVG (qr_svg: one path of unit squares in a
    viewBox of modules) drawn at module_px pixels a module."""
    svg = str(svg)
    box = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert box, "no viewBox"
    size = int(box.group(1))
    img = Image.new("L", (size * module_px, size * module_px), 255)
    draw = ImageDraw.Draw(img)
    path = re.search(r' d="([^"]+)"', svg)
    assert path, "no path"
    for m in re.finditer(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z",
                         path.group(1)):
        x0, y0, x1, y1 = (float(m.group(i)) for i in (1, 2, 3, 4))
        draw.rectangle([x0 * module_px, y0 * module_px,
                        x1 * module_px - 1, y1 * module_px - 1], fill=0)
    return img


def pdf_pages(data, dpi=PAGE_DPI):
    """Every page of a PDF, rasterised by PDFium, as greyscale images."""
    pdf = pypdfium2.PdfDocument(data)
    try:
        return [pdf[i].render(scale=dpi // 72, grayscale=True).to_pil()
                .convert("L") for i in range(len(pdf))]
    finally:
        pdf.close()


def locate(page):
    """[(text, centre, module px)] of the codes on a clean page."""
    found = []
    for r in zxingcpp.read_barcodes(page, formats=QR_ONLY):
        p = r.position
        pts = [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
        cx = sum(q.x for q in pts) / 4
        cy = sum(q.y for q in pts) / 4
        side = math.hypot(p.top_right.x - p.top_left.x,
                          p.top_right.y - p.top_left.y)
        extra = r.extra
        assert isinstance(extra, dict)
        modules = 17 + 4 * int(extra["Version"])
        found.append((r.text, (cx, cy), side / modules))
    return found


def _page_code(kind, page, expected):
    spots = locate(page)
    texts = sorted(t for t, _, _ in spots)
    assert texts == sorted(expected), (kind, texts, expected)
    return Code(kind, page, [t for t, _, _ in spots],
                [c for _, c, _ in spots], spots[0][2])


def demo_database(folder):
    """A Pickgun database with the demo data, in `folder`."""
    from server.core.db import connect, prepare_database
    from server.seed import seed_demo
    path = str(Path(folder) / "demo.db")
    prepare_database(path)
    db = connect(path)
    seed_demo(db)
    return db


def server_codes(folder):
    """Every kind of QR code the server renders, from its own code, on a
    demo database: [Code] (order page, order label, patient label,
    bottle label, bottle sheet, shipping label)."""
    from server.documents import labels
    from server.web.orders import qr_svg
    from shared import wire
    db = demo_database(folder)
    orders = [r[0] for r in db.execute("SELECT id FROM orders ORDER BY id")]
    order = orders[0]
    out = []
    code = wire.order_code(order)
    page = svg_image(qr_svg(code), 12)
    out.append(_page_code("order page", page, [code]))
    page = pdf_pages(labels.order_label_pdf(db, order))[0]
    out.append(_page_code("order label", page, [code]))
    for oid in orders:
        if labels.dispensed_bottles(db, oid):
            items = labels.dispensed_bottles(db, oid)
            serials = [i["serial"] for i in items]
            codes = {b["serial"]: b["code"]
                     for b in labels.bottles(db, serials)}
            page = pdf_pages(labels.patient_labels_pdf(db, oid))[0]
            out.append(_page_code("patient label", page,
                                  [codes[serials[0]]]))
            break
    serials = [r[0] for r in db.execute(
        "SELECT serial FROM bottles ORDER BY serial LIMIT 40")]
    codes = {b["serial"]: b["code"] for b in labels.bottles(db, serials)}
    page = pdf_pages(labels.bottle_labels_pdf(db, serials[:1]))[0]
    out.append(_page_code("bottle label", page, [codes[serials[0]]]))
    page = pdf_pages(labels.bottle_labels_pdf(db, serials,
                                              layout=labels.SHEET))[0]
    spots = locate(page)
    assert len(spots) >= 4 and {t for t, _, _ in spots} <= set(
        codes.values()), "sheet codes"
    out.append(Code("bottle sheet", page, [t for t, _, _ in spots],
                    [c for _, c, _ in spots], spots[0][2]))
    for oid in orders:
        try:
            data = labels.shipping_label_pdf(db, oid)
        except labels.LabelError:
            continue
        page = pdf_pages(data)[0]
        out.append(_page_code("shipping label", page,
                              [wire.order_code(oid)]))
        break
    db.conn.close()
    return out


# ---- the camera ----

def _solve(a, b):
    """x with a x = b (Gaussian elimination, partial pivoting)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    return [m[i][n] / m[i][i] for i in range(n)]


def homography(src, dst):
    """The 8 coefficients mapping 4 points src to dst (PIL's order)."""
    a, b = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return _solve(a, b)


def apply(h, x, y):
    d = h[6] * x + h[7] * y + 1
    return ((h[0] * x + h[1] * y + h[2]) / d,
            (h[3] * x + h[4] * y + h[5]) / d)


def _camera_point(x, y, shot):
    """A point of the page's plane (frame pixels at the code's centre,
    code centred at 0) as the camera sees it."""
    a = math.radians(shot.angle)
    x, y = x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)
    # tilt: rotate about an in-plane axis at tilt_axis
    t = math.radians(shot.tilt)
    ax = math.radians(shot.tilt_axis)
    ca, sa = math.cos(ax), math.sin(ax)
    along = x * ca + y * sa
    across = -x * sa + y * ca
    z = across * math.sin(t)
    across *= math.cos(t)
    x, y = along * ca - across * sa, along * sa + across * ca
    depth = FOCAL_PX + z
    w, h = shot.size
    return (FOCAL_PX * x / depth + w / 2 + shot.offset[0],
            FOCAL_PX * y / depth + h / 2 + shot.offset[1])


def view(code, shot, rng, target=0):
    """The camera's frame of `code`'s page, centred on its code `target`
    as `shot` says, and the text of the code nearest the frame's centre
    (None if none is in the frame)."""
    page = code.page
    scale = shot.module_px / code.module
    # area-average the page down to about the frame's scale first
    if scale < 1:
        f = max(1, int(1 / scale))
        if f > 1:
            page = page.reduce(f)
            scale *= f
    cx, cy = code.centres[target]
    cx *= page.width / code.page.width
    cy *= page.height / code.page.height
    # page points (pixels of the reduced page) around the code's centre
    r = 100.0
    src = [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r),
           (cx - r, cy + r)]
    dst = [_camera_point((x - cx) * scale, (y - cy) * scale, shot)
           for x, y in src]
    to_page = homography(dst, src)
    to_frame = homography(src, dst)
    background = int(rng.uniform(40, 110))
    frame = page.transform(shot.size, Image.Transform.PERSPECTIVE, to_page,
                           Image.Resampling.BILINEAR, fillcolor=background)
    # lens: always a little soft
    frame = frame.filter(ImageFilter.GaussianBlur(0.45 + shot.blur))
    if shot.motion:
        frame = _motion(frame, shot.motion, rng.uniform(0, 180))
    if shot.gradient:
        frame = _gradient(frame, shot.gradient, rng.uniform(0, 360))
    if shot.contrast < 1:
        lo = 128 - 128 * shot.contrast
        frame = frame.point(lambda v: int(lo + v * shot.contrast))
    if shot.noise:
        frame = _noise(frame, shot.noise, rng)
    if shot.jpeg:
        buf = io.BytesIO()
        frame.save(buf, "JPEG", quality=shot.jpeg)
        frame = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    # the code nearest the aiming point (the frame's centre)
    w, h = shot.size
    best, bd = None, None
    fx = page.width / code.page.width
    for text, (x, y) in zip(code.texts, code.centres, strict=True):
        u, v = apply(to_frame, x * fx, y * fx)
        d = (u - w / 2) ** 2 + (v - h / 2) ** 2
        if 0 <= u < w and 0 <= v < h and (bd is None or d < bd):
            best, bd = text, d
    return frame, best


def _motion(frame, length, angle):
    a = math.radians(angle)
    acc = None
    for i in range(length):
        t = i - (length - 1) / 2
        moved = ImageChops.offset(frame, round(t * math.cos(a)),
                                  round(t * math.sin(a)))
        acc = moved if acc is None else ImageChops.blend(acc, moved,
                                                         1 / (i + 1))
    assert acc is not None
    return acc


def _gradient(frame, amount, angle):
    w, h = frame.size
    ramp = Image.linear_gradient("L").rotate(angle, expand=False,
                                             fillcolor=128)
    ramp = ramp.resize((w, h), Image.Resampling.BILINEAR)
    ramp = ramp.point(lambda v: int(255 * (1 - amount * v / 255)))
    return ImageChops.multiply(frame, ramp)


_GAUSS = None


def _noise(frame, sigma, rng):
    global _GAUSS
    if _GAUSS is None:
        g = random.Random(1)
        _GAUSS = [g.gauss(0, 1) for _ in range(4096)]
    table = [max(0, min(255, round(128 + sigma * v))) for v in _GAUSS]
    w, h = frame.size
    idx = rng.randbytes(2 * w * h)
    data = bytes(table[(idx[2 * i] << 4 | idx[2 * i + 1] >> 4)]
                 for i in range(w * h))
    noise = Image.frombytes("L", frame.size, data)
    return ImageChops.add(frame, noise, 1.0, -128)


def random_frame(rng, size=FRAME):
    """A frame with no QR code: shapes, text-like stripes, noise."""
    w, h = size
    img = Image.new("L", size, int(rng.uniform(60, 230)))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randrange(5, 60)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        s = rng.uniform(2, 60)
        shade = int(rng.uniform(0, 255))
        if rng.random() < 0.5:
            draw.rectangle([x, y, x + s, y + s * rng.uniform(0.2, 2)],
                           fill=shade)
        else:
            draw.ellipse([x, y, x + s, y + s], outline=shade,
                         width=int(rng.uniform(1, 6)))
    for _ in range(rng.randrange(0, 8)):
        # stripes like printed text and barcodes
        y = rng.uniform(0, h)
        x = rng.uniform(0, w / 2)
        while x < w:
            b = rng.choice((1, 1, 2, 3))
            draw.rectangle([x, y, x + b, y + rng.uniform(4, 12)], fill=0)
            x += b + rng.choice((1, 2, 3))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    return _noise(img, rng.uniform(0, 12), rng)


def write_frames(folder, frames):
    """Write [(name, PIL image, aim or None)] as raw greys and
    index.txt, for tests/firmware/mp/qr_frames.py."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, img, aim in frames:
        (folder / (name + ".raw")).write_bytes(img.tobytes())
        line = "%s.raw %d %d" % (name, img.width, img.height)
        if aim:
            line += " %d %d" % aim
        lines.append(line)
    (folder / "index.txt").write_text("\n".join(lines) + "\n")


def build_mpy(out):
    """The decoder precompiled for this host (mpy-cross -march=x64, its
    viper code as machine code), as a gun loads it: out/qr/*.mpy. Returns
    out."""
    from tools.mpy_build import mpy_cross_binary
    target = Path(out) / "qr"
    target.mkdir(parents=True, exist_ok=True)
    for src in sorted((REPO / "firmware" / "qr").glob("*.py")):
        subprocess.run([mpy_cross_binary(), "-march=x64", "-o",
                        str(target / (src.stem + ".mpy")), str(src)],
                       check=True, cwd=str(src.parent))
    return Path(out)


def micropython():
    """The MicroPython unix port beside this Python, else on PATH."""
    found = Path(sys.executable).with_name("micropython")
    return str(found) if found.exists() else shutil.which("micropython")


def run_decoder(folder, slow=False, heap="512k", timeout=600, path=None):
    """Run the firmware's decoder (MicroPython unix port) over a folder
    write_frames() made: {name: (text or None, ms, version, level,
    errors)}. path: where qr/ is (default firmware/, the sources)."""
    env = dict(os.environ)
    env["MICROPYPATH"] = "%s:.frozen" % (path or REPO / "firmware")
    cmd = [micropython() or "micropython", "-X", "heapsize=" + heap,
           str(SCRIPT), str(folder)] + (["slow"] if slow else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)
    if proc.returncode:
        raise RuntimeError("micropython exited %d\n%s\n%s"
                           % (proc.returncode, proc.stdout[-3000:],
                              proc.stderr[-3000:]))
    out = {}
    for line in proc.stdout.splitlines():
        name, text, ms, ver, level, errors = line.split()
        out[name[:-4]] = (None if text == "-"
                          else bytes.fromhex(text).decode("utf-8"),
                          float(ms), int(ver), level, int(errors))
    return out
