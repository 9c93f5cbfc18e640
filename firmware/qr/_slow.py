# qr/_fast.py's loops in plain Python, for a MicroPython built without
# the native emitters (qr/decoder.py falls back to them) and to time the
# emitters' gain. Same arguments, same results (a test compares them).
BIAS = 1 << 30


def thresholds(frame, avg, thr, prm, mindyn):
    w, h, nbx, nby = prm[0], prm[1], prm[2], prm[3]
    for by in range(nby):
        y0 = by << 3
        y1 = min(y0 + 8, h)
        for bx in range(nbx):
            x0 = bx << 3
            x1 = min(x0 + 8, w)
            s = 0
            lo = 255
            hi = 0
            for y in range(y0, y1):
                i = y * w
                for g in frame[i + x0:i + x1]:
                    s += g
                    if g < lo:
                        lo = g
                    if g > hi:
                        hi = g
            b = by * nbx + bx
            if hi - lo > mindyn:
                v = s // ((y1 - y0) * (x1 - x0))
            else:
                v = lo >> 1
                if bx > 0 and by > 0:
                    nb = (avg[b - nbx] + 2 * avg[b - 1]
                          + avg[b - nbx - 1]) >> 2
                    if lo < nb:
                        v = nb
            avg[b] = v
    for by in range(nby):
        cy = min(max(by, 1), nby - 2)
        for bx in range(nbx):
            cx = min(max(bx, 1), nbx - 2)
            s = 0
            for yy in range(cy - 1, cy + 2):
                i = yy * nbx + cx - 1
                s += sum(avg[i:i + 3])
            thr[by * nbx + bx] = s // 9


def _ok(kind, tol, r0, r1, r2, r3, r4):
    if kind == 0:
        tt = r0 + r1 + r2 + r3 + r4
        lim = tol * tt
        if tt < 7:
            return 0
        for r in (r0, r1, r3, r4):
            if 8 * abs(7 * r - tt) >= lim:
                return 0
        if 8 * abs(7 * r2 - 3 * tt) >= 3 * lim:
            return 0
        return tt
    tt = r1 + r2 + r3
    lim = tol * tt
    if tt < 3:
        return 0
    for r in (r1, r2, r3):
        if 8 * abs(3 * r - tt) >= lim:
            return 0
    return tt


def scan(frame, thr, prm, hits):
    w, nbx = prm[0], prm[2]
    x0, y0, x1, y1 = prm[4], prm[5], prm[6], prm[7]
    step, kind, tol, most, pol = prm[8], prm[9], prm[10], prm[11], prm[12]
    n = 0
    for y in range(y0, y1, step):
        row = y * w
        trow = (y >> 3) * nbx
        r0 = r1 = r2 = r3 = r4 = 0
        cur = 0
        dark = 2
        for x in range(x0, x1 + 1):
            d = 2
            if x < x1:
                d = pol
                if frame[row + x] < thr[trow + (x >> 3)]:
                    d = 1 - pol
            if d == dark:
                cur += 1
                continue
            r0, r1, r2, r3, r4 = r1, r2, r3, r4, cur
            if dark == 1 and r0 > 0:
                tt = _ok(kind, tol, r0, r1, r2, r3, r4)
                if tt:
                    k = n * 3
                    hits[k] = x - r4 - r3 - r2 + (r2 >> 1)
                    hits[k + 1] = y
                    hits[k + 2] = tt
                    n += 1
                    if n >= most:
                        return n
            dark = d
            cur = 1
    return n


def cross(frame, thr, prm, x, y, dx, dy, runs):
    w, h, nbx, pol = prm[0], prm[1], prm[2], prm[12]
    most = runs[7]
    if x < 0 or y < 0 or x >= w or y >= h:
        return 0
    if (frame[y * w + x] < thr[(y >> 3) * nbx + (x >> 3)]) == pol:
        return 0
    for side in (0, 1):
        sx, sy = (dx, dy) if side == 0 else (-dx, -dy)
        c = [0, 0, 0]
        state = 0
        xx = x + sx
        yy = y + sy
        while state < 3:
            if xx < 0 or yy < 0 or xx >= w or yy >= h:
                if state == 2:
                    break
                return 0
            d = (frame[yy * w + xx]
                 < thr[(yy >> 3) * nbx + (xx >> 3)]) != pol
            if state == 0:
                if d:
                    c[0] += 1
                else:
                    state = 1
                    c[1] = 1
            elif state == 1:
                if d:
                    state = 2
                    c[2] = 1
                else:
                    c[1] += 1
            elif d:
                c[2] += 1
                if c[2] > most:
                    break
            else:
                state = 3
            if state < 2 and c[state] > most:
                return 0
            xx += sx
            yy += sy
        if side == 0:
            runs[3], runs[4], runs[6] = c[1], c[2], c[0]
        else:
            runs[1], runs[0], runs[5] = c[1], c[2], c[0]
    runs[2] = runs[5] + runs[6] + 1
    return 1


def sample(frame, thr, prm, grid, coef):
    w, h, nbx, pol, dim = prm[0], prm[1], prm[2], prm[12], prm[13]
    ca, cb, cc, cd, ce, cf, cg, ch, ci = (c - BIAS for c in coef)
    outside = 0
    k = 0
    for row in range(dim):
        v2 = 2 * row + 1
        nx = ca + cb * v2 + cc
        ny = cd + ce * v2 + cf
        nd = cg + ch * v2 + ci
        for _ in range(dim):
            bit = 0
            q = nd >> 4
            if q > 0:
                x = nx // q
                y = ny // q
                if 0 <= x < (w - 1) << 4 and 0 <= y < (h - 1) << 4:
                    fx = x & 15
                    fy = y & 15
                    x >>= 4
                    y >>= 4
                    i = y * w + x
                    g = ((frame[i] * (16 - fx) + frame[i + 1] * fx)
                         * (16 - fy)
                         + (frame[i + w] * (16 - fx)
                            + frame[i + w + 1] * fx) * fy) >> 8
                    bit = pol
                    if g < thr[(y >> 3) * nbx + (x >> 3)]:
                        bit = 1 - pol
                else:
                    outside += 1
            else:
                outside += 1
            grid[k] = bit
            k += 1
            nx += 2 * ca
            ny += 2 * cd
            nd += 2 * cg
    return outside


def _masked(mask, y, x):
    if mask == 0:
        return (y + x) & 1
    if mask == 1:
        return y & 1
    if mask == 2:
        return x % 3
    if mask == 3:
        return (y + x) % 3
    if mask == 4:
        return ((y >> 1) + x // 3) & 1
    if mask == 5:
        return (y * x) % 2 + (y * x) % 3
    if mask == 6:
        return ((y * x) % 2 + (y * x) % 3) & 1
    return ((y + x) % 2 + (y * x) % 3) & 1


def extract(grid, fmask, prm, out):
    dim, mask = prm[13], prm[14]
    k = 0
    byte = 0
    right = dim - 1
    while right >= 1:
        if right == 6:
            right = 5
        up = ((right + 1) & 2) == 0
        for vert in range(dim):
            y = dim - 1 - vert if up else vert
            for x in (right, right - 1):
                i = y * dim + x
                if fmask[i] == 0:
                    bit = grid[i]
                    if _masked(mask, y, x) == 0:
                        bit ^= 1
                    byte = (byte << 1) | bit
                    k += 1
                    if (k & 7) == 0:
                        out[(k >> 3) - 1] = byte
                        byte = 0
        right -= 2
    return k >> 3


def syndromes(block, n, nsym, gf, syn):
    anyone = 0
    for j in range(nsym):
        v = 0
        for i in range(n):
            if v:
                v = gf[gf[512 + v] + j]
            v ^= block[i]
        syn[j] = v
        anyone |= v
    return anyone
