# Format information with bit errors: every one of the 32 formats, both
# copies written into the grid, up to 3 bits of either copy flipped (the
# other copy as damaged or ruined) must still read as that format; a pair
# of copies 4 or more bits from every valid word reads as nothing.
# Prints "ok", or the first failure.
import random

from qr import Decoder

d = Decoder(64, 64)
random.seed(3)
DIM = 21


def put(word, flips_a, flips_b):
    g = d.grid
    a = word
    b = word
    for i in flips_a:
        a ^= 1 << i
    for i in flips_b:
        b ^= 1 << i
    for i in range(6):
        g[i * DIM + 8] = (a >> i) & 1
    g[7 * DIM + 8] = (a >> 6) & 1
    g[8 * DIM + 8] = (a >> 7) & 1
    g[8 * DIM + 7] = (a >> 8) & 1
    for i in range(9, 15):
        g[8 * DIM + 14 - i] = (a >> i) & 1
    for i in range(8):
        g[8 * DIM + DIM - 1 - i] = (b >> i) & 1
    for i in range(8, 15):
        g[(DIM - 15 + i) * DIM + 8] = (b >> i) & 1
    return a, b


def flips(n):
    out = []
    while len(out) < n:
        i = random.getrandbits(4)
        if i < 15 and i not in out:
            out.append(i)
    return out


def ones(x):
    n = 0
    while x:
        x &= x - 1
        n += 1
    return n


def nearest(x):
    return min(ones(x ^ w) for w in d.fwords)


fail = None
for fmt in range(32):
    word = d.fwords[fmt]
    for n in range(4):
        for _ in range(20):
            # both copies damaged up to 3 bits
            put(word, flips(n), flips(random.getrandbits(2)))
            if d._format(DIM) != fmt:
                fail = fail or ("both", fmt, n)
            # one copy up to 3 bits, the other ruined (but no nearer to
            # another format than the first is to its own)
            for ruined in (0, 1):
                bad = flips(4 + random.getrandbits(3))
                a, b = put(word, bad if ruined == 0 else flips(n),
                           flips(n) if ruined == 0 else bad)
                if nearest(a if ruined == 0 else b) <= n:
                    continue
                if d._format(DIM) != fmt:
                    fail = fail or ("one copy", fmt, n, ruined)
refused = 0
for _ in range(3000):
    a = random.getrandbits(15)
    b = random.getrandbits(15)
    if min(min(ones(a ^ w), ones(b ^ w)) for w in d.fwords) < 4:
        continue
    put(a, [], [i for i in range(15) if (a ^ b) >> i & 1])
    if d._format(DIM) != -1:
        fail = fail or ("garbage read", a, b)
    refused += 1
print("ok %d" % refused if fail is None else "FAIL %r" % (fail,))
