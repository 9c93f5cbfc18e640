# A QR code decoder for 8-bit greyscale camera frames, in MicroPython.
#
#   d = Decoder(320, 240)          # preallocates every working buffer
#   text = d.decode(frame)         # str, or None
#   text = d.decode(frame, (x, y)) # the code nearest the aiming point
#
# Stages (docs/firmware.md, "The QR decoder"): an adaptive threshold per
# 8x8 block; finder patterns found along the rows (1:1:3:1:1) and checked
# across, down and diagonally; finder triples ranked by their distance to
# the aiming point; the alignment pattern (version 2 up) for the fourth
# point of a perspective transform; the module grid sampled through it;
# format and version information read with their BCH correction; the
# codewords unmasked and de-interleaved; Reed-Solomon over GF(256) in each
# block; the bit stream parsed (numeric, alphanumeric and byte modes).
# Anything that fails a check is None: the decoder never guesses.
#
# The pixel loops are viper (qr/_fast.py), with a plain Python twin
# (qr/_slow.py) where the native emitters are missing.
import array

from micropython import const

try:
    from qr import _fast
except Exception:   # no native emitter: SyntaxError; foreign .mpy: Value
    _fast = None

_MAXV = const(10)           # versions 1 to 10
_MAXDIM = const(57)         # 17 + 4 * _MAXV
_MAXCW = const(346)         # codewords of version 10
_MAXBLK = const(146)        # the longest block (9-L)
_MAXTEXT = const(656)       # numeric digits 10-L holds, rounded up
_MAXC = const(24)           # finder candidates kept
_TOP = const(8)             # of which combined into triples
_MAXT = const(16)           # triples tried, nearest the aim first
_BAND = const(16)           # rows scanned between candidate checks
_MAXHITS = const(96)        # row hits per band
_MINDYN = const(16)         # a block flatter than this is not an edge
_TOL = const(5)             # run tolerance, eighths of a module
_ATTEMPTS = const(40)       # samplings per frame at most
# Offsets (quarter modules) of the estimated fourth corner, tried in turn
# when the format reads but the data does not.
_JIGGLE = (0, 0, 4, 0, 0, 4, -4, 0, 0, -4, 4, 4, -4, -4, 4, -4, -4, 4)

# Per version 1-10 and level L, M, Q, H: EC codewords per block, blocks
# of the first group, their data codewords, blocks of the second group
# (one data codeword more).
_EC = bytes((
    7, 1, 19, 0, 10, 1, 16, 0, 13, 1, 13, 0, 17, 1, 9, 0,
    10, 1, 34, 0, 16, 1, 28, 0, 22, 1, 22, 0, 28, 1, 16, 0,
    15, 1, 55, 0, 26, 1, 44, 0, 18, 2, 17, 0, 22, 2, 13, 0,
    20, 1, 80, 0, 18, 2, 32, 0, 26, 2, 24, 0, 16, 4, 9, 0,
    26, 1, 108, 0, 24, 2, 43, 0, 18, 2, 15, 2, 22, 2, 11, 2,
    18, 2, 68, 0, 16, 4, 27, 0, 24, 4, 19, 0, 28, 4, 15, 0,
    20, 2, 78, 0, 18, 4, 31, 0, 18, 2, 14, 4, 26, 4, 13, 1,
    24, 2, 97, 0, 22, 2, 38, 2, 22, 4, 18, 2, 26, 4, 14, 2,
    30, 2, 116, 0, 22, 3, 36, 2, 20, 4, 16, 4, 24, 4, 12, 4,
    18, 2, 68, 2, 26, 4, 43, 1, 24, 6, 19, 2, 28, 6, 15, 2))
# Misdecode-protection codewords (the standard's p), versions 1-3: EC
# codewords kept for detecting, not correcting.
_P = bytes((3, 2, 1, 1, 2, 0, 0, 0, 1, 0, 0, 0))
# The format's level bits (L 01, M 00, Q 11, H 10) as 0-3 = L, M, Q, H.
_LEVEL = bytes((1, 0, 3, 2))
_ALNUM = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _ones(x):
    n = 0
    while x:
        x &= x - 1
        n += 1
    return n


def _fit(a, b, c, bits):
    # The right shift bringing the largest of |a|, |b|, |c| below 2**bits
    m = max(abs(a), abs(b), abs(c))
    sh = 0
    while m >= 1 << bits:
        m >>= 1
        sh += 1
    return sh


def _isqrt(n):
    if n <= 0:
        return 0
    x = n
    y = (x + 1) >> 1
    while y < x:
        x = y
        y = (x + n // x) >> 1
    return x


class Decoder:
    """Finds and decodes the QR code nearest the aiming point in 8-bit
    greyscale frames of width x height (each at least 40). All working
    buffers are allocated here; `fast=False` uses the plain Python loops
    even where the native emitters exist (to time them)."""

    def __init__(self, width, height, fast=True):
        if width < 40 or height < 40 or width > 2040 or height > 2040:
            raise ValueError("frame size")
        if fast and _fast is not None:
            self.k = _fast
        else:
            from qr import _slow
            self.k = _slow
        self.w = width
        self.h = height
        nbx = (width + 7) >> 3
        nby = (height + 7) >> 3
        self.avg = bytearray(nbx * nby)
        self.thr = bytearray(nbx * nby)
        self.prm = prm = array.array("i", bytes(16 * 4))
        prm[0] = width
        prm[1] = height
        prm[2] = nbx
        prm[3] = nby
        self.hits = array.array("H", bytes(6 * _MAXHITS))
        self.runs = array.array("i", bytes(8 * 4))
        self.coef = array.array("i", bytes(9 * 4))
        # finder candidates: centre (1/8 pixel), module (1/8 pixel), hits
        self.cx = array.array("i", bytes(_MAXC * 4))
        self.cy = array.array("i", bytes(_MAXC * 4))
        self.cm = array.array("i", bytes(_MAXC * 4))
        self.cn = array.array("i", bytes(_MAXC * 4))
        self.nc = 0
        self.order = bytearray(_MAXC)
        # triples: top-left, top-right, bottom-left, version; their score
        self.tri = bytearray(4 * _MAXT)
        self.score = array.array("i", bytes(_MAXT * 4))
        self.grid = bytearray(_MAXDIM * _MAXDIM)
        self.fmask = bytearray(_MAXDIM * _MAXDIM)
        self.fver = 0
        self.fdim = 0
        self.cw = bytearray(_MAXCW + 1)
        self.data = bytearray(_MAXCW)
        self.blk = bytearray(_MAXBLK)
        self.syn = bytearray(32)
        self.lam = bytearray(32)
        self.old = bytearray(32)
        self.tmp = bytearray(32)
        self.pos = bytearray(16)
        self.text = bytearray(_MAXTEXT)
        # GF(256), polynomial 0x11d: antilogarithms twice over, logarithms
        self.gf = gf = bytearray(768)
        x = 1
        for i in range(255):
            gf[i] = gf[i + 255] = x
            gf[512 + x] = i
            x <<= 1
            if x & 0x100:
                x ^= 0x11D
        self.fwords = array.array("H", bytes(64))
        for d in range(32):
            r = d << 10
            for i in range(4, -1, -1):
                if r & (1 << (i + 10)):
                    r ^= 0x537 << i
            self.fwords[d] = ((d << 10) | r) ^ 0x5412
        self.vwords = array.array("i", bytes(4 * (_MAXV + 1)))
        for v in range(7, _MAXV + 1):
            r = v << 12
            for i in range(5, -1, -1):
                if r & (1 << (i + 12)):
                    r ^= 0x1F25 << i
            self.vwords[v] = (v << 12) | r
        # what the last successful decode read (tests and the bench)
        self.version = 0
        self.level = 0
        self.errors = 0
        # the last grid's corners, margin included (1/8 pixel, x y)
        self.quad = array.array("i", bytes(8 * 4))
        self.ax = 0
        self.ay = 0
        self.attempts = 0

    # ---- the frame ----

    def decode(self, frame, aim=None):
        """The text of the code nearest `aim` ((x, y), default the
        centre) in `frame` (width * height bytes, row-major), or None."""
        if len(frame) < self.w * self.h:
            raise ValueError("frame too short")
        k = self.k
        prm = self.prm
        k.thresholds(frame, self.avg, self.thr, prm, _MINDYN)
        if aim is None:
            ax = self.w << 2
            ay = self.h << 2
        else:
            ax = aim[0] << 3
            ay = aim[1] << 3
        self.attempts = 0
        for pol in (0, 1):
            prm[12] = pol
            self._finders(frame)
            if self.nc >= 3:
                text = self._triples(frame, ax, ay)
                if text is not None:
                    return text
        return None

    # ---- finder patterns ----

    def _finders(self, frame):
        k = self.k
        prm = self.prm
        hits = self.hits
        self.nc = 0
        prm[4] = 0
        prm[6] = self.w
        prm[8] = 1
        prm[9] = 0
        prm[10] = _TOL
        prm[11] = _MAXHITS
        y = 0
        while y < self.h:
            prm[5] = y
            prm[7] = min(y + _BAND, self.h)
            n = k.scan(frame, self.thr, prm, hits)
            for i in range(0, 3 * n, 3):
                self._hit(frame, hits[i], hits[i + 1], hits[i + 2])
            y += _BAND

    def _cross(self, frame, x, y, dx, dy, most):
        runs = self.runs
        runs[7] = most
        if not self.k.cross(frame, self.thr, self.prm, x, y, dx, dy, runs):
            return 0
        tt = runs[0] + runs[1] + runs[2] + runs[3] + runs[4]
        if tt < 7:
            return 0
        lim = _TOL * tt
        for i in (0, 1, 3, 4):
            if 8 * abs(7 * runs[i] - tt) >= lim:
                return 0
        if 8 * abs(7 * runs[2] - 3 * tt) >= 3 * lim:
            return 0
        return tt

    def _hit(self, frame, x, y, tt):
        cx = self.cx
        cy = self.cy
        cm = self.cm
        cn = self.cn
        x8 = x << 3
        y8 = y << 3
        for j in range(self.nc):
            m = cm[j] << 1
            if abs(x8 - cx[j]) < m and abs(y8 - cy[j]) < m:
                cn[j] += 1
                return
        runs = self.runs
        most = tt * 2
        vt = self._cross(frame, x, y, 0, 1, most)
        if not vt or 2 * vt < tt or vt > 2 * tt:
            return
        y8 = (y << 3) + ((runs[6] - runs[5]) << 2)
        y = (y8 + 4) >> 3
        ht = self._cross(frame, x, y, 1, 0, most)
        if not ht or 2 * ht < tt or ht > 2 * tt:
            return
        x8 = (x << 3) + ((runs[6] - runs[5]) << 2)
        x = (x8 + 4) >> 3
        vt = self._cross(frame, x, y, 0, 1, most)
        if not vt:
            return
        y8 = (y << 3) + ((runs[6] - runs[5]) << 2)
        y = (y8 + 4) >> 3
        if not self._cross(frame, x, y, 1, 1, most):
            return
        m8 = ((ht + vt) << 3) // 14
        for j in range(self.nc):
            if abs(x8 - cx[j]) < cm[j] and abs(y8 - cy[j]) < cm[j]:
                n = cn[j]
                cx[j] = (cx[j] * n + x8) // (n + 1)
                cy[j] = (cy[j] * n + y8) // (n + 1)
                cm[j] = (cm[j] * n + m8) // (n + 1)
                cn[j] = n + 1
                return
        j = self.nc
        if j < _MAXC:
            cx[j] = x8
            cy[j] = y8
            cm[j] = m8
            cn[j] = 1
            self.nc = j + 1

    # ---- triples of finders ----

    def _triples(self, frame, ax, ay):
        cx = self.cx
        cy = self.cy
        cn = self.cn
        order = self.order
        nc = self.nc
        # candidates by hits, most first (insertion sort: no allocation)
        for i in range(nc):
            j = i
            while j > 0 and cn[order[j - 1]] < cn[i]:
                order[j] = order[j - 1]
                j -= 1
            order[j] = i
        top = min(nc, _TOP)
        tri = self.tri
        score = self.score
        nt = 0
        for i in range(top - 2):
            for j in range(i + 1, top - 1):
                for m in range(j + 1, top):
                    a, b, c = order[i], order[j], order[m]
                    t = self._shape(a, b, c)
                    if t < 0:
                        continue
                    tl, tr, bl = t & 31, (t >> 5) & 31, (t >> 10) & 31
                    mx = (cx[tr] + cx[bl]) >> 1
                    my = (cy[tr] + cy[bl]) >> 1
                    s = (((mx - ax) >> 3) ** 2 + ((my - ay) >> 3) ** 2)
                    # nearest the aim first (insertion into the list)
                    p = min(nt, _MAXT - 1)
                    if nt == _MAXT and s >= score[p]:
                        continue
                    while p > 0 and score[p - 1] > s:
                        score[p] = score[p - 1]
                        for q in range(4 * p, 4 * p + 4):
                            tri[q] = tri[q - 4]
                        p -= 1
                    score[p] = s
                    tri[4 * p] = tl
                    tri[4 * p + 1] = tr
                    tri[4 * p + 2] = bl
                    tri[4 * p + 3] = t >> 15
                    if nt < _MAXT:
                        nt += 1
        for i in range(nt):
            text = self._try(frame, tri[4 * i], tri[4 * i + 1],
                             tri[4 * i + 2], tri[4 * i + 3])
            if text is not None and self._aimed(ax, ay, i):
                return text
        return None

    def _aimed(self, ax, ay, t):
        # Whether the code just read (triple t) is the one aimed at: the
        # aim is on it (quiet zone included), or no finder seen more than
        # once lies off it and nearer the aim than its centre. Never the
        # neighbour of an aimed code that failed.
        tri = self.tri
        cx = self.cx
        cy = self.cy
        cn = self.cn
        if self._on(ax, ay, 4):
            return True
        tr = tri[4 * t + 1]
        bl = tri[4 * t + 2]
        near = (((cx[tr] + cx[bl]) >> 1) - ax) ** 2 \
            + (((cy[tr] + cy[bl]) >> 1) - ay) ** 2
        for j in range(self.nc):
            if cn[j] > 1 and (cx[j] - ax) ** 2 + (cy[j] - ay) ** 2 < near \
                    and not self._on(cx[j], cy[j], 1):
                return False
        return True

    def _on(self, x8, y8, margin):
        # Whether (x8, y8) (1/8 pixel) is on the last grid, `margin`
        # modules around it included: inside the quadrilateral its
        # corners map to (the map keeps lines; all in small integers).
        c = self.coef
        q = self.quad
        b = 1 << 30
        # half modules
        lo = -2 * margin
        hi = 2 * (self.prm[13] + margin)
        for i in range(4):
            u2 = hi if 0 < i < 3 else lo
            v2 = hi if i > 1 else lo
            d = (c[6] - b) * u2 + (c[7] - b) * v2 + c[8] - b
            if d <= 0:
                return False
            q[2 * i] = ((c[0] - b) * u2 + (c[1] - b) * v2 + c[2] - b) \
                * 8 // d
            q[2 * i + 1] = ((c[3] - b) * u2 + (c[4] - b) * v2 + c[5] - b) \
                * 8 // d
        turn = 0
        for i in range(0, 8, 2):
            j = (i + 2) & 7
            t = ((q[j] - q[i]) * (y8 - q[i + 1])
                 - (q[j + 1] - q[i + 1]) * (x8 - q[i]))
            if t < 0 and turn > 0 or t > 0 and turn < 0:
                return False
            if t:
                turn = t
        return True

    def _shape(self, a, b, c):
        # Whether a, b, c could be one code's finders: a right angle at one
        # of them between two legs of about equal length (loose, for
        # perspective), modules alike. Returns tl | tr << 5 | bl << 10 |
        # version << 15, or -1.

        cx = self.cx
        cy = self.cy
        cm = self.cm
        ab = (cx[a] - cx[b]) ** 2 + (cy[a] - cy[b]) ** 2
        ac = (cx[a] - cx[c]) ** 2 + (cy[a] - cy[c]) ** 2
        bc = (cx[b] - cx[c]) ** 2 + (cy[b] - cy[c]) ** 2
        # (assignments of three at most: no tuple built)
        if bc >= ab and bc >= ac:
            tl, p, q = a, b, c
            hyp, l1, l2 = bc, ab, ac
        elif ac >= ab:
            tl, p, q = b, a, c
            hyp, l1, l2 = ac, ab, bc
        else:
            tl, p, q = c, a, b
            hyp, l1, l2 = ab, ac, bc
        if l1 > 3 * l2 or l2 > 3 * l1:
            return -1
        if 10 * abs(hyp - l1 - l2) > 4 * (l1 + l2):
            return -1
        m0, m1, m2 = cm[tl], cm[p], cm[q]
        lo = min(m0, m1, m2)
        if max(m0, m1, m2) > 2 * lo or lo < 8:
            return -1
        # top-right and bottom-left by the turn from one leg to the other
        turn = ((cx[p] - cx[tl]) * (cy[q] - cy[tl])
                - (cy[p] - cy[tl]) * (cx[q] - cx[tl]))
        if turn < 0:
            p, q = q, p
        # modules between centres, in sixteenths
        d = (_isqrt(l1) * 32 // (m0 + m1) + _isqrt(l2) * 32 // (m0 + m2)) >> 1
        v = (d + 7 * 16 - 17 * 16 + 32) // 64
        if v < 1 or v > _MAXV:
            if v == 0 or v == _MAXV + 1:
                v = max(1, min(v, _MAXV))
            else:
                return -1
        return tl | p << 5 | q << 10 | v << 15

    # ---- one attempt: geometry, sampling, decoding ----

    def _try(self, frame, tl, tr, bl, v):
        # The triple as a code of version v (then v + 1, v - 1), mirrored
        # if not read as it is; the text, or None. A parallelogram through
        # the three finders (integers only) must show the timing patterns
        # and the format first; then the alignment pattern, the corner
        # the finders' sizes suggest and that corner moved about give the
        # perspective.
        for _ in (0, 1):
            for dv in (0, 1, -1):
                ver = v + dv
                if ver < 1 or ver > _MAXV:
                    continue
                if self.attempts >= _ATTEMPTS:
                    return None
                if not (self._affine(frame, tl, tr, bl, ver)
                        or self._project(frame, tl, tr, bl, ver, 0, 0, 1)):
                    continue
                text = self._read(ver)
                if text is not None:
                    return text
                for way in range(-2, len(_JIGGLE), 2):
                    if self.attempts >= _ATTEMPTS:
                        return None
                    if way < 0:
                        if ver < 2 or not self._aligned(frame, tl, tr, bl,
                                                        ver):
                            continue
                    elif not self._project(frame, tl, tr, bl, ver,
                                           _JIGGLE[way], _JIGGLE[way + 1], 0):
                        continue
                    text = self._read(ver)
                    if text is not None:
                        return text
                break
            t = tr
            tr = bl
            bl = t
        return None

    def _affine(self, frame, tl, tr, bl, ver):
        # Sample through the parallelogram of the finders' centres (1/8
        # pixel; x = x0 + A (u - 7) + B (v - 7) in half modules, scaled by
        # 2**16): whether the timing patterns and the format read.
        cx = self.cx
        cy = self.cy
        dim = 17 + 4 * ver
        e = dim - 7
        coef = self.coef
        b = 1 << 30
        a = (cx[tr] - cx[tl]) * 4096 // e
        c = (cx[bl] - cx[tl]) * 4096 // e
        coef[0] = a + b
        coef[1] = c + b
        coef[2] = cx[tl] * 8192 - 7 * (a + c) + b
        a = (cy[tr] - cy[tl]) * 4096 // e
        c = (cy[bl] - cy[tl]) * 4096 // e
        coef[3] = a + b
        coef[4] = c + b
        coef[5] = cy[tl] * 8192 - 7 * (a + c) + b
        coef[6] = b
        coef[7] = b
        coef[8] = 65536 + b
        return self._grid(frame, dim, 1)

    def _grid(self, frame, dim, timing):
        self.attempts += 1
        self.prm[13] = dim
        out = self.k.sample(frame, self.thr, self.prm, self.grid, self.coef)
        if out > dim * dim // 4:
            return False
        if timing:
            g = self.grid
            bad = 0
            for i in range(8, dim - 8):
                bad += (g[6 * dim + i] ^ i ^ 1) & 1
                bad += (g[i * dim + 6] ^ i ^ 1) & 1
            if 2 * bad > dim - 16:      # a quarter of them wrong
                return False
        return self._format(dim) >= 0

    def _aligned(self, frame, tl, tr, bl, ver):
        # Sample through the finders and the alignment pattern nearest
        # where the parallelogram puts it.
        cx = self.cx
        cy = self.cy
        cm = self.cm
        dim = 17 + 4 * ver
        e = dim - 7
        # the alignment's centre is 3 modules in from the fourth corner,
        # as the finders' sizes place it (_corner)
        self._corner(tl, tr, bl)
        px = cx[tl] + (self.ax - cx[tl]) * (e - 3) // e
        py = cy[tl] + (self.ay - cy[tl]) * (e - 3) // e
        if not self._align(frame, px, py, (cm[tl] + cm[tr] + cm[bl]) // 3):
            return False
        return self._corners(frame, tl, tr, bl, dim, self.ax, self.ay,
                             dim - 10, 0)

    def _project(self, frame, tl, tr, bl, ver, ox, oy, timing):
        # Sample through the finders and the fourth corner _corner
        # estimates, moved (ox, oy) quarter modules.
        cx = self.cx
        cy = self.cy
        dim = 17 + 4 * ver
        e = 4 * (dim - 7)
        self._corner(tl, tr, bl)
        x = self.ax
        y = self.ay
        x += (ox * (cx[tr] - cx[tl]) + oy * (cx[bl] - cx[tl])) // e
        y += (ox * (cy[tr] - cy[tl]) + oy * (cy[bl] - cy[tl])) // e
        return self._corners(frame, tl, tr, bl, dim, x, y, dim - 7,
                             timing)

    def _corner(self, tl, tr, bl):
        # The fourth finder-centre corner into self.ax, self.ay (1/8
        # pixel): each leg scaled by the module-size ratio at its far end
        # (first-order perspective).
        cx = self.cx
        cy = self.cy
        cm = self.cm
        m = 2 * cm[tl]
        self.ax = ((cx[tr] + cx[bl]) * cm[tl] + (cx[bl] - cx[tl]) * cm[tr]
                   + (cx[tr] - cx[tl]) * cm[bl]) // m
        self.ay = ((cy[tr] + cy[bl]) * cm[tl] + (cy[bl] - cy[tl]) * cm[tr]
                   + (cy[tr] - cy[tl]) * cm[bl]) // m

    def _corners(self, frame, tl, tr, bl, dim, x, y, n, timing):
        # The projective map of module points (3.5, 3.5), (dim - 3.5,
        # 3.5), (3.5 + n, 3.5 + n), (3.5, dim - 3.5) onto the finders'
        # centres and (x, y) (1/8 pixel), then the grid sampled through
        # it. Small integers only (below 2**30): the map of the unit
        # square is [w1 p1 - w0 p0 | w3 p3 - w0 p0 | w0 p0] (homogeneous
        # columns, p the points relative to the top-left finder), the
        # weights solving for the fourth point at (n / e, n / e).
        cx = self.cx
        cy = self.cy
        x0 = cx[tl]
        y0 = cy[tl]
        x1 = cx[tr] - x0
        y1 = cy[tr] - y0
        x3 = cx[bl] - x0
        y3 = cy[bl] - y0
        x -= x0
        y -= y0
        lim = 1 << 12
        if not (-lim < x < lim and -lim < y < lim and 0 <= x0 < lim
                and 0 <= y0 < lim and -lim < x1 < lim and -lim < y1 < lim
                and -lim < x3 < lim and -lim < y3 < lim):
            return False
        w1 = x * y3 - y * x3
        w3 = x1 * y - y1 * x
        w0 = x1 * y3 - y1 * x3 - w1 - w3
        if not w0 or not (x1 * y3 - y1 * x3):
            return False
        # weights to 10 bits, within 2**30 below (e < 51, x0 < 2**12)
        sh = _fit(w0, w1, w3, 15)
        e = dim - 7
        k = e - 2 * n
        w1 = (w1 >> sh) * k
        w3 = (w3 >> sh) * k
        w0 = (w0 >> sh) * n
        sh = _fit(w0, w1, w3, 10)
        w0 >>= sh
        w1 >>= sh
        w3 >>= sh
        # rows x, y, denominator; columns u, v in half modules (the unit
        # square's (u2 - 7) / 2e, the factor 2e taken to the constant)
        c = self.coef
        e *= 2
        g = w1 - w0
        h = w3 - w0
        c[0] = w1 * x1 + x0 * g
        c[1] = w3 * x3 + x0 * h
        c[2] = e * w0 * x0 - 7 * (c[0] + c[1])
        c[3] = w1 * y1 + y0 * g
        c[4] = w3 * y3 + y0 * h
        c[5] = e * w0 * y0 - 7 * (c[3] + c[4])
        c[6] = g
        c[7] = h
        c[8] = e * w0 - 7 * (g + h)
        # the denominator at the grid's centre to 2**13 .. 2**14, then 8
        # times it (the map gives 1/8 pixels)
        den = (c[6] + c[7]) * dim + c[8]
        if not den:
            return False
        sign = 1
        if den < 0:
            den = -den
            sign = -1
        sh = 0
        while den >= 1 << 14:
            den >>= 1
            sh += 1
        b = 1 << 30
        for i in range(9):
            v = (sign * c[i]) >> sh
            if i > 5:
                v *= 8
            if v >= 1 << 29 or v <= -(1 << 29):
                return False
            c[i] = v + b
        return self._grid(frame, dim, timing)

    def _align(self, frame, px, py, ms):
        # The alignment pattern nearest (px, py) (1/8 pixel), module ms
        # (1/8 pixel), into self.ax, self.ay; False if none.
        k = self.k
        prm = self.prm
        hits = self.hits
        runs = self.runs
        r = (ms * 4 + 24) >> 3
        ix = (px + 4) >> 3
        iy = (py + 4) >> 3
        prm[4] = max(0, ix - r)
        prm[6] = min(self.w, ix + r + 1)
        prm[5] = max(0, iy - r)
        prm[7] = min(self.h, iy + r + 1)
        if prm[6] - prm[4] < 6 or prm[7] - prm[5] < 3:
            return False
        prm[8] = 1
        prm[9] = 1
        prm[10] = _TOL
        prm[11] = _MAXHITS
        n = k.scan(frame, self.thr, prm, hits)
        found = False
        bd = 0
        m3 = 3 * ms
        for i in range(0, 3 * n, 3):
            x = hits[i]
            y = hits[i + 1]
            tt = hits[i + 2] << 3
            if tt * 2 < m3 or tt > m3 * 2:
                continue
            runs[7] = 2 * hits[i + 2]
            if not k.cross(frame, self.thr, prm, x, y, 0, 1, runs):
                continue
            vt = runs[1] + runs[2] + runs[3]
            if vt * 16 < m3 or vt * 4 > m3:
                continue
            if 8 * abs(3 * runs[2] - vt) >= _TOL * vt:
                continue
            y8 = (y << 3) + ((runs[6] - runs[5]) << 2)
            runs[7] = 2 * hits[i + 2]
            if not k.cross(frame, self.thr, prm, x, (y8 + 4) >> 3, 1, 0,
                           runs):
                continue
            x8 = (x << 3) + ((runs[6] - runs[5]) << 2)
            d = (x8 - px) ** 2 + (y8 - py) ** 2
            if not found or d < bd:
                self.ax = x8
                self.ay = y8
                bd = d
                found = True
        return found

    # ---- format, version, codewords ----

    def _format(self, dim):
        # The format (level << 3 | mask) from the nearer of its two copies
        # to a valid word, within 3 bits; -1 if neither is.
        g = self.grid
        a = 0
        b = 0
        for i in range(6):
            a |= g[i * dim + 8] << i
        a |= g[7 * dim + 8] << 6
        a |= g[8 * dim + 8] << 7
        a |= g[8 * dim + 7] << 8
        for i in range(9, 15):
            a |= g[8 * dim + 14 - i] << i
        for i in range(8):
            b |= g[8 * dim + dim - 1 - i] << i
        for i in range(8, 15):
            b |= g[(dim - 15 + i) * dim + 8] << i
        best = -1
        bd = 4
        fw = self.fwords
        for d in range(32):
            n = min(_ones(a ^ fw[d]), _ones(b ^ fw[d]))
            if n < bd:
                bd = n
                best = d
        return best

    def _version(self, dim):
        # The version information (versions 7 up): the version whose word
        # is within 3 bits of either copy, else 0.
        g = self.grid
        a = 0
        b = 0
        for i in range(18):
            a |= g[(i // 3) * dim + dim - 11 + i % 3] << i
            b |= g[(dim - 11 + i % 3) * dim + i // 3] << i
        best = 0
        bd = 4
        for v in range(7, _MAXV + 1):
            n = min(_ones(a ^ self.vwords[v]), _ones(b ^ self.vwords[v]))
            if n < bd:
                bd = n
                best = v
        return best

    def _functions(self, ver):
        # fmask: 1 on the modules of function patterns of version `ver`
        if self.fver == ver:
            return
        dim = 17 + 4 * ver
        f = self.fmask
        for i in range(dim * dim):
            f[i] = 0
        self.fdim = dim
        box = self._box
        box(0, 0, 9, 9)
        box(0, dim - 8, 9, dim)
        box(dim - 8, 0, dim, 9)
        box(6, 0, 7, dim)
        box(0, 6, dim, 7)
        if ver > 1:
            last = dim - 7
            for r in (6, (6 + last) >> 1, last):
                for c in (6, (6 + last) >> 1, last):
                    if ver < 7 and (r == (6 + last) >> 1
                                    or c == (6 + last) >> 1):
                        continue
                    if (r == 6 and c == 6) or (r == 6 and c == last) \
                            or (r == last and c == 6):
                        continue
                    box(r - 2, c - 2, r + 3, c + 3)
        if ver >= 7:
            box(0, dim - 11, 6, dim - 8)
            box(dim - 11, 0, dim - 8, 6)
        self.fver = ver

    def _box(self, r0, c0, r1, c1):
        dim = self.fdim
        f = self.fmask
        for r in range(r0, r1):
            for c in range(c0, c1):
                f[r * dim + c] = 1

    def _read(self, ver):
        dim = 17 + 4 * ver
        if ver >= 7:
            found = self._version(dim)
            if found != ver:
                return None
        fmt = self._format(dim)
        if fmt < 0:
            return None
        level = _LEVEL[fmt >> 3]
        self._functions(ver)
        prm = self.prm
        prm[13] = dim
        prm[14] = fmt & 7
        self.k.extract(self.grid, self.fmask, prm, self.cw)
        t = 4 * (4 * (ver - 1) + level)
        ec, n1, k1, n2 = _EC[t], _EC[t + 1], _EC[t + 2], _EC[t + 3]
        cap = ec // 2
        if ver <= 3:
            cap = (ec - _P[4 * (ver - 1) + level]) // 2
        nb = n1 + n2
        ndata = n1 * k1 + n2 * (k1 + 1)
        cw = self.cw
        blk = self.blk
        data = self.data
        errors = 0
        out = 0
        for b in range(nb):
            k = k1 + (1 if b >= n1 else 0)
            for i in range(k1):
                blk[i] = cw[i * nb + b]
            if k > k1:
                blk[k1] = cw[k1 * nb + b - n1]
            for i in range(ec):
                blk[k + i] = cw[ndata + i * nb + b]
            e = self._correct(k + ec, ec, cap)
            if e < 0:
                return None
            errors += e
            for i in range(k):
                data[out + i] = blk[i]
            out += k
        text = self._parse(ndata, ver)
        if text is None:
            return None
        self.version = ver
        self.level = level
        self.errors = errors
        return text

    # ---- Reed-Solomon ----

    def _correct(self, n, nec, cap):
        # Correct blk[:n] (nec check codewords) in place: the errors
        # corrected, or -1 beyond `cap` or if the result is no codeword.
        gf = self.gf
        syn = self.syn
        blk = self.blk
        if not self.k.syndromes(blk, n, nec, gf, syn):
            return 0
        lam, old, tmp = self.lam, self.old, self.tmp
        for i in range(nec + 1):
            lam[i] = 0
            old[i] = 0
        lam[0] = 1
        old[0] = 1
        size = 0
        shift = 1
        last = 1
        for r in range(nec):
            d = syn[r]
            for i in range(1, size + 1):
                if lam[i] and syn[r - i]:
                    d ^= gf[gf[512 + lam[i]] + gf[512 + syn[r - i]]]
            if d == 0:
                shift += 1
                continue
            # lam -= d / last * x**shift * old
            f = gf[512 + d] + 255 - gf[512 + last]
            grow = 2 * size <= r
            if grow:
                for i in range(nec + 1):
                    tmp[i] = lam[i]
            for i in range(shift, nec + 1):
                if old[i - shift]:
                    lam[i] ^= gf[(f + gf[512 + old[i - shift]]) % 255]
            if grow:
                size = r + 1 - size
                for i in range(nec + 1):
                    old[i] = tmp[i]
                last = d
                shift = 1
            else:
                shift += 1
        if size > cap or size > 15:
            return -1
        # roots of lam: the positions in error (Chien search)
        pos = self.pos
        found = 0
        for t in range(n):
            p = n - 1 - t            # the position's power
            s = lam[0]
            for i in range(1, size + 1):
                if lam[i]:
                    s ^= gf[(gf[512 + lam[i]] - i * p) % 255]
            if s == 0:
                if found == size:
                    return -1
                pos[found] = t
                found += 1
        if found != size:
            return -1
        # values (Forney): e = X * omega(1/X) / lam'(1/X), omega = syn * lam
        for j in range(found):
            t = pos[j]
            p = n - 1 - t
            num = 0
            for i in range(size):
                o = 0
                for q in range(i + 1):
                    if lam[q] and syn[i - q]:
                        o ^= gf[gf[512 + lam[q]] + gf[512 + syn[i - q]]]
                if o:
                    num ^= gf[(gf[512 + o] - i * p) % 255]
            den = 0
            for i in range(1, size + 1, 2):
                if lam[i]:
                    den ^= gf[(gf[512 + lam[i]] - (i - 1) * p) % 255]
            if den == 0:
                return -1
            if num:
                blk[t] ^= gf[(p + gf[512 + num] - gf[512 + den]) % 255]
        if self.k.syndromes(blk, n, nec, gf, syn):
            return -1
        return size

    # ---- the bit stream ----

    def _parse(self, ndata, ver):
        # The data codewords' segments into self.text; the str, or None
        # for anything the standard does not allow or this decoder does
        # not read (ECI, Kanji, structured append, FNC1).
        data = self.data
        text = self.text
        total = ndata * 8
        big = ver >= 10
        at = 0
        n = 0
        while True:
            if total - at < 4:
                at = total
                break
            mode = self._bits(at, 4)
            at += 4
            if mode == 0:
                break
            if mode == 1:
                size = 12 if big else 10
            elif mode == 2:
                size = 11 if big else 9
            elif mode == 4:
                size = 16 if big else 8
            else:
                return None
            if at + size > total:
                return None
            count = self._bits(at, size)
            at += size
            if mode == 1:
                need = (count // 3) * 10 + (0, 4, 7)[count % 3]
            elif mode == 2:
                need = (count >> 1) * 11 + (count & 1) * 6
            else:
                need = count * 8
            if at + need > total or n + count > _MAXTEXT:
                return None
            if mode == 1:
                while count >= 3:
                    v = self._bits(at, 10)
                    if v > 999:
                        return None
                    text[n] = 48 + v // 100
                    text[n + 1] = 48 + (v // 10) % 10
                    text[n + 2] = 48 + v % 10
                    n += 3
                    at += 10
                    count -= 3
                if count:
                    bits = 4 if count == 1 else 7
                    v = self._bits(at, bits)
                    at += bits
                    if v >= (10 if count == 1 else 100):
                        return None
                    if count == 2:
                        text[n] = 48 + v // 10
                        n += 1
                    text[n] = 48 + v % 10
                    n += 1
            elif mode == 2:
                while count >= 2:
                    v = self._bits(at, 11)
                    if v >= 45 * 45:
                        return None
                    text[n] = _ALNUM[v // 45]
                    text[n + 1] = _ALNUM[v % 45]
                    n += 2
                    at += 11
                    count -= 2
                if count:
                    v = self._bits(at, 6)
                    if v >= 45:
                        return None
                    text[n] = _ALNUM[v]
                    n += 1
                    at += 6
            else:
                for _ in range(count):
                    text[n] = self._bits(at, 8)
                    n += 1
                    at += 8
        # the rest as the standard pads it: zero bits to the byte, then
        # 0xEC 0x11 in turn
        if at & 7:
            if self._bits(at, 8 - (at & 7)):
                return None
            at = (at + 7) & ~7
        pad = 0xEC
        for i in range(at >> 3, ndata):
            if data[i] != pad:
                return None
            pad ^= 0xEC ^ 0x11
        view = memoryview(text)[:n]
        try:
            return str(view, "utf-8")
        except UnicodeError:
            # bytes that are no UTF-8: ISO 8859-1, the standard's default
            return "".join(chr(c) for c in view)

    def _bits(self, at, n):
        data = self.data
        v = 0
        for i in range(at, at + n):
            v = (v << 1) | ((data[i >> 3] >> (7 - (i & 7))) & 1)
        return v
