# The QR decoder's pixel loops, compiled by MicroPython's viper emitter
# into machine code. qr/_slow.py is the same loops in plain Python, used
# where the emitter is missing (qr/decoder.py chooses); a test keeps the
# two in step.
#
# Viper's rules shape this code: integers are machine words (32 bits on an
# ESP32, so every product here stays under 2**31), buffers are read through
# ptr8/ptr16/ptr32 casts with no bounds checks (the caller sizes them), and
# there are no floats. ptr32 reads are unsigned on a 64-bit host, so every
# value passed in a ptr32 array is kept non-negative: the sampling
# coefficients carry a bias (BIAS, removed here).
#
# The parameter block `prm` (an array('i'), qr/decoder.py fills it):
#   0 width  1 height  2 blocks across  3 blocks down
#   4 x0  5 y0  6 x1  7 y1 (a scan's window, x1 and y1 excluded)
#   8 row step  9 kind (0 finder 1:1:3:1:1, 1 alignment 1:1:1)
#   10 tolerance (eighths of a module)  11 most hits
#   12 polarity (1: light code on dark)  13 grid dimension  14 mask
import micropython

BIAS = 1 << 30


@micropython.viper
def thresholds(frame, avg, thr, prm, mindyn: int):
    # One threshold per 8x8 block: the mean of the 3x3 blocks around it
    # of each block's mean (a flat block: half its minimum, or its
    # neighbours' level when it is darker than them).
    src = ptr8(frame)
    a = ptr8(avg)
    t = ptr8(thr)
    p = ptr32(prm)
    w = int(p[0])
    h = int(p[1])
    nbx = int(p[2])
    nby = int(p[3])
    by = 0
    while by < nby:
        y0 = by << 3
        y1 = y0 + 8
        if y1 > h:
            y1 = h
        bx = 0
        while bx < nbx:
            x0 = bx << 3
            x1 = x0 + 8
            if x1 > w:
                x1 = w
            s = 0
            lo = 255
            hi = 0
            y = y0
            while y < y1:
                i = y * w + x0
                e = i + x1 - x0
                while i < e:
                    g = int(src[i])
                    s += g
                    if g < lo:
                        lo = g
                    if g > hi:
                        hi = g
                    i += 1
                y += 1
            b = by * nbx + bx
            if hi - lo > mindyn:
                v = s // ((y1 - y0) * (x1 - x0))
            else:
                v = lo >> 1
                if bx > 0 and by > 0:
                    nb = (int(a[b - nbx]) + 2 * int(a[b - 1])
                          + int(a[b - nbx - 1])) >> 2
                    if lo < nb:
                        v = nb
            a[b] = v
            bx += 1
        by += 1
    by = 0
    while by < nby:
        cy = by
        if cy < 1:
            cy = 1
        if cy > nby - 2:
            cy = nby - 2
        bx = 0
        while bx < nbx:
            cx = bx
            if cx < 1:
                cx = 1
            if cx > nbx - 2:
                cx = nbx - 2
            s = 0
            yy = cy - 1
            while yy <= cy + 1:
                i = yy * nbx + cx - 1
                e = i + 3
                while i < e:
                    s += int(a[i])
                    i += 1
                yy += 1
            t[by * nbx + bx] = s // 9
            bx += 1
        by += 1


@micropython.viper
def scan(frame, thr, prm, hits) -> int:
    # Rows of the window, every `step`-th: each dark-light-dark-light-dark
    # run of the kind's ratios is a hit (centre x, y, width in pixels: the
    # five runs of a finder, the middle three of an alignment pattern).
    src = ptr8(frame)
    t = ptr8(thr)
    p = ptr32(prm)
    out = ptr16(hits)
    w = int(p[0])
    nbx = int(p[2])
    x0 = int(p[4])
    y1 = int(p[7])
    x1 = int(p[6])
    step = int(p[8])
    kind = int(p[9])
    tol = int(p[10])
    most = int(p[11])
    pol = int(p[12])
    n = 0
    y = int(p[5])
    while y < y1:
        row = y * w
        trow = (y >> 3) * nbx
        r0 = 0
        r1 = 0
        r2 = 0
        r3 = 0
        r4 = 0
        cur = 0
        dark = 2
        x = x0
        while x <= x1:
            d = 2
            if x < x1:
                d = pol
                if int(src[row + x]) < int(t[trow + (x >> 3)]):
                    d = 1 - pol
            if d == dark:
                cur += 1
            else:
                r0 = r1
                r1 = r2
                r2 = r3
                r3 = r4
                r4 = cur
                if dark == 1 and r0 > 0:
                    ok = 0
                    if kind == 0:
                        tt = r0 + r1 + r2 + r3 + r4
                        lim = tol * tt
                        if tt >= 7:
                            ok = 1
                            e = 7 * r0 - tt
                            if e < 0:
                                e = 0 - e
                            if 8 * e >= lim:
                                ok = 0
                            e = 7 * r1 - tt
                            if e < 0:
                                e = 0 - e
                            if 8 * e >= lim:
                                ok = 0
                            e = 7 * r3 - tt
                            if e < 0:
                                e = 0 - e
                            if 8 * e >= lim:
                                ok = 0
                            e = 7 * r4 - tt
                            if e < 0:
                                e = 0 - e
                            if 8 * e >= lim:
                                ok = 0
                            e = 7 * r2 - 3 * tt
                            if e < 0:
                                e = 0 - e
                            if 8 * e >= 3 * lim:
                                ok = 0
                    else:
                        tt = r1 + r2 + r3
                        lim = tol * tt
                        if tt >= 3:
                            ok = 1
                            e = 3 * r1 - tt
                            if e < 0:
                                e = 0 - e
                            if 8 * e >= lim:
                                ok = 0
                            e = 3 * r2 - tt
                            if e < 0:
                                e = 0 - e
                            if 8 * e >= lim:
                                ok = 0
                            e = 3 * r3 - tt
                            if e < 0:
                                e = 0 - e
                            if 8 * e >= lim:
                                ok = 0
                    if ok:
                        k = n * 3
                        out[k] = x - r4 - r3 - r2 + (r2 >> 1)
                        out[k + 1] = y
                        out[k + 2] = tt
                        n += 1
                        if n >= most:
                            return n
                dark = d
                cur = 1
            x += 1
        y += step
    return n


@micropython.viper
def cross(frame, thr, prm, x: int, y: int, dx: int, dy: int, runs) -> int:
    # From (x, y), dark, step along (dx, dy) both ways: the dark run it
    # lies in, then a light and a dark run on each side (the outer dark
    # runs may end at the frame's edge, or stop counting past runs[7]).
    # runs: outer -, light -, centre,
    # light +, outer +, then the centre run's reach - and + from (x, y).
    # 0 if another run is longer than runs[7] or meets the edge.
    src = ptr8(frame)
    t = ptr8(thr)
    p = ptr32(prm)
    r = ptr32(runs)
    w = int(p[0])
    h = int(p[1])
    nbx = int(p[2])
    pol = int(p[12])
    most = int(r[7])
    if x < 0 or y < 0 or x >= w or y >= h:
        return 0
    d = pol
    if int(src[y * w + x]) < int(t[(y >> 3) * nbx + (x >> 3)]):
        d = 1 - pol
    if d == 0:
        return 0
    side = 0
    while side < 2:
        sx = dx
        sy = dy
        if side == 1:
            sx = 0 - dx
            sy = 0 - dy
        c0 = 0
        c1 = 0
        c2 = 0
        state = 0
        xx = x + sx
        yy = y + sy
        while state < 3:
            if xx < 0 or yy < 0 or xx >= w or yy >= h:
                if state == 2:
                    break
                return 0
            d = pol
            if int(src[yy * w + xx]) < int(t[(yy >> 3) * nbx + (xx >> 3)]):
                d = 1 - pol
            if state == 0:
                if d:
                    c0 += 1
                    if c0 > most:
                        return 0
                else:
                    state = 1
                    c1 = 1
            elif state == 1:
                if d:
                    state = 2
                    c2 = 1
                else:
                    c1 += 1
                    if c1 > most:
                        return 0
            else:
                if d:
                    c2 += 1
                    if c2 > most:
                        break
                else:
                    state = 3
            xx += sx
            yy += sy
        if side == 0:
            r[3] = c1
            r[4] = c2
            r[6] = c0
        else:
            r[1] = c1
            r[0] = c2
            r[5] = c0
        side += 1
    r[2] = int(r[5]) + int(r[6]) + 1
    return 1


@micropython.viper
def sample(frame, thr, prm, grid, coef) -> int:
    # The module grid: each module's centre (u, v in half modules) mapped
    # to the frame by the projective transform x = (a u + b v + c) / D,
    # y = (d u + e v + f) / D, D = g u + h v + i (coef, biased), its grey
    # interpolated between the four pixels around it and read against its
    # block's threshold. Returns the modules that fell
    # outside the frame (read as light).
    src = ptr8(frame)
    t = ptr8(thr)
    p = ptr32(prm)
    o = ptr8(grid)
    c = ptr32(coef)
    bias = int(BIAS)
    w = int(p[0])
    h = int(p[1])
    nbx = int(p[2])
    pol = int(p[12])
    dim = int(p[13])
    ca = int(c[0]) - bias
    cb = int(c[1]) - bias
    cc = int(c[2]) - bias
    cd = int(c[3]) - bias
    ce = int(c[4]) - bias
    cf = int(c[5]) - bias
    cg = int(c[6]) - bias
    ch = int(c[7]) - bias
    ci = int(c[8]) - bias
    outside = 0
    k = 0
    row = 0
    while row < dim:
        v2 = 2 * row + 1
        nx = ca + cb * v2 + cc
        ny = cd + ce * v2 + cf
        nd = cg + ch * v2 + ci
        col = 0
        while col < dim:
            bit = 0
            q = nd >> 4
            if q > 0:
                # sixteenths of a pixel; the grey interpolated bilinearly
                x = nx // q
                y = ny // q
                if x >= 0 and y >= 0 and x < (w - 1) << 4 \
                        and y < (h - 1) << 4:
                    fx = x & 15
                    fy = y & 15
                    x >>= 4
                    y >>= 4
                    i = y * w + x
                    g = ((int(src[i]) * (16 - fx) + int(src[i + 1]) * fx)
                         * (16 - fy)
                         + (int(src[i + w]) * (16 - fx)
                            + int(src[i + w + 1]) * fx) * fy) >> 8
                    bit = pol
                    if g < int(t[(y >> 3) * nbx + (x >> 3)]):
                        bit = 1 - pol
                else:
                    outside += 1
            else:
                outside += 1
            o[k] = bit
            k += 1
            nx += 2 * ca
            ny += 2 * cd
            nd += 2 * cg
            col += 1
        row += 1
    return outside


@micropython.viper
def extract(grid, fmask, prm, out) -> int:
    # The data modules in the standard's zigzag, two columns at a time
    # from the bottom right, unmasked, packed into bytes. Returns the
    # number of whole bytes.
    g = ptr8(grid)
    f = ptr8(fmask)
    o = ptr8(out)
    p = ptr32(prm)
    dim = int(p[13])
    mask = int(p[14])
    k = 0
    byte = 0
    right = dim - 1
    while right >= 1:
        if right == 6:
            right = 5
        up = ((right + 1) & 2) == 0
        vert = 0
        while vert < dim:
            y = vert
            if up:
                y = dim - 1 - vert
            x = right
            while x >= right - 1:
                i = y * dim + x
                if int(f[i]) == 0:
                    m = 0
                    if mask == 0:
                        m = (y + x) & 1
                    elif mask == 1:
                        m = y & 1
                    elif mask == 2:
                        m = x % 3
                    elif mask == 3:
                        m = (y + x) % 3
                    elif mask == 4:
                        m = ((y >> 1) + x // 3) & 1
                    elif mask == 5:
                        m = (y * x) % 2 + (y * x) % 3
                    elif mask == 6:
                        m = ((y * x) % 2 + (y * x) % 3) & 1
                    else:
                        m = ((y + x) % 2 + (y * x) % 3) & 1
                    bit = int(g[i])
                    if m == 0:
                        bit ^= 1
                    byte = (byte << 1) | bit
                    k += 1
                    if (k & 7) == 0:
                        o[(k >> 3) - 1] = byte
                        byte = 0
                x -= 1
            vert += 1
        right -= 2
    return k >> 3


@micropython.viper
def syndromes(block, n: int, nsym: int, gf, syn) -> int:
    # syn[j] = the block (a polynomial, first byte highest) at alpha**j,
    # for j below nsym; gf: antilogarithms (512) then logarithms (256).
    # Returns non-zero if any syndrome is.
    b = ptr8(block)
    e = ptr8(gf)
    s = ptr8(syn)
    anyone = 0
    j = 0
    while j < nsym:
        v = 0
        i = 0
        while i < n:
            if v:
                v = int(e[int(e[512 + v]) + j])
            v ^= int(b[i])
            i += 1
        s[j] = v
        anyone |= v
        j += 1
    return anyone
