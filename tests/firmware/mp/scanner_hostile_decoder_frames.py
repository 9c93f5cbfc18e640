# Hostile bytes on the decoder's line, replies and command frames among
# them: the scanner never crashes, never returns a code that was not sent
# whole, frames replies without allocating, and reads the next good code.
# First, while the heap is in one piece.
import asyncio
import micropython
import random
from gun.scanner import MISREAD
from gun.scanner import Scanner
from shared import wire

GOOD = wire.bottle_code("B000123", "CBD-OIL-30", "L2311A")
CASES = [
    b"\x02" * 300,  # STX storm
    b"\x02\x00\x00\x00",  # a reply claiming 256 bytes, cut short
    b"\x02\x00\x00\xff" + bytes(range(256)) * 2,  # 255 bytes and more
    b"PGO:10\x7e\x00\x08\x01\x00\x60\x01\x0a\x6b42:Q\r",  # a frame mid-code
    b"\x7e\x00\x07\x01\x00\x00\x01\x01\x41" + GOOD.encode() + b"\r",
    b"\x02\x00\x00\x01\x0d\x8e\x3d\x02\x00\x00\x01\x0a" + b"\r\n",
    b"Z" * 4000 + b"\x02\x00\x00\x01\x00\x33\x31\r",  # overlong, then 02
    bytes((i * 131 + 7) % 256 for i in range(4096)),
]
random.seed(7)
CASES.append(bytes(random.getrandbits(8) for _ in range(8192)))


class Chunks:
    def __init__(self, data, n):
        self.data, self.pos, self.n = data, 0, n

    async def readinto(self, buf):
        if self.pos >= len(self.data):
            await asyncio.sleep_ms(150)  # idle: what was under way ends
            if self.pos >= len(self.data):
                return 0
        k = min(len(buf), self.n, len(self.data) - self.pos)
        buf[:k] = memoryview(self.data)[self.pos : self.pos + k]
        self.pos += k
        return k


async def drain(sc):
    out = []
    while True:
        try:
            out.append(await sc.read())
        except EOFError:
            return out


for case in CASES:
    for n in (1, 7, 32):
        stream = Chunks(case, n)
        sc = Scanner(stream, ticks_ms=lambda: 0)
        got = asyncio.run(drain(sc))
        for text in got:
            assert text is not sc.reply, "a reply nobody awaited"
            if text is MISREAD:
                continue
            try:
                wire.parse_code(text)
            except wire.CodeError:
                continue
            assert text == GOOD, ("a code never sent", text)
        # the line recovers: the next code comes through whole
        stream.data = b"\r" + GOOD.encode() + b"\r"
        stream.pos = 0
        got = asyncio.run(drain(sc))
        assert got[-1] == GOOD, (case[:20], n, got)

# Framing replies allocates nothing: only a complete code's str does.
sc = Scanner(None, ticks_ms=lambda: 0)
reply = b"\x02\x00\x00\x01\x0d\x8e\x3d"
res = [0]


def locked(rounds):
    micropython.heap_lock()
    try:
        for _ in range(rounds):
            for k in range(7):
                sc._chunk[k] = reply[k]
            sc._pos = 0
            sc._len = 7
            if sc.poll() is not None:
                res[0] += 1
    finally:
        micropython.heap_unlock()


locked(200)
assert res[0] == 0 and bytes(sc.reply) == reply
sc.reply[0] = 0  # awaited: handed over, still without allocating
locked(1)
assert res[0] == 1
print("OK")
