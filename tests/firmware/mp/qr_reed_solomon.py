# Reed-Solomon over GF(256) as the decoder corrects a block: a codeword
# made here (the standard's generator polynomial), then up to the
# correction capacity of errors at random places must come back exactly;
# more errors, up to the number no other codeword can be that near,
# must be refused (-1), never "corrected" into something else.
# argv: data codewords, check codewords, capacity. Prints "ok <cases>".
import random
import sys

from qr import Decoder

k = int(sys.argv[1])
nec = int(sys.argv[2])
cap = int(sys.argv[3])
n = k + nec
d = Decoder(64, 64)
gf = d.gf


def mul(a, b):
    if a == 0 or b == 0:
        return 0
    return gf[gf[512 + a] + gf[512 + b]]


# generator: product of (x - alpha**i), i < nec; highest power first
gen = bytearray(nec + 1)
gen[0] = 1
for i in range(nec):
    root = gf[i]
    nxt = bytearray(nec + 1)
    for j in range(nec + 1):
        if gen[j]:
            nxt[j] ^= gen[j]
            if j + 1 <= nec:
                nxt[j + 1] ^= mul(gen[j], root)
    gen = nxt
random.seed(k * 100 + nec)
cases = 0
for _ in range(40):
    code = bytearray(n)
    for i in range(k):
        code[i] = random.getrandbits(8)
    rem = bytearray(code)
    for i in range(k):
        c = rem[i]
        if c:
            for j in range(1, nec + 1):
                rem[i + j] ^= mul(gen[j], c)
    for i in range(nec):
        code[k + i] = rem[k + i]
    blk = d.blk
    for errors in range(0, nec - cap + 1):
        for i in range(n):
            blk[i] = code[i]
        where = []
        while len(where) < errors:
            p = random.getrandbits(8) % n
            if p not in where:
                where.append(p)
                blk[p] ^= 1 + random.getrandbits(8) % 255
        got = d._correct(n, nec, cap)
        same = all(blk[i] == code[i] for i in range(n))
        if errors <= cap:
            if got != errors or not same:
                print("FAIL: %d errors, got %d, same %s" % (errors, got,
                                                           same))
                sys.exit(1)
        elif got != -1:
            print("FAIL: %d errors beyond %d corrected (%d)" % (errors, cap,
                                                               got))
            sys.exit(1)
        cases += 1
print("ok", cases)
