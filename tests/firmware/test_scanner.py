"""Serial QR decoder framing and debounce, inside MicroPython."""
from mp import check

PRELUDE = """
import asyncio, micropython
from gun.scanner import Scanner, MISREAD

class Stream:
    # Delivers the given chunks, then EOF.
    def __init__(self, chunks):
        self.chunks = list(chunks)
    async def readinto(self, buf):
        if not self.chunks:
            return 0
        c = self.chunks.pop(0)
        buf[:len(c)] = c
        return len(c)

class Clock:
    t = 0
    def __call__(self):
        return self.t

def read_all(chunks, clock=None, times=None, **kw):
    clock = clock or Clock()
    sc = Scanner(Stream(chunks), ticks_ms=clock, **kw)
    out = []
    async def go():
        i = 0
        while True:
            if times:
                clock.t = times[min(i, len(times) - 1)]
            try:
                out.append(await sc.read())
            except EOFError:
                return
            i += 1
    asyncio.run(go())
    return out
"""


def run(body):
    return check(PRELUDE + body)


def test_terminators_and_chunking():
    run("""
got = read_all([b"PGO:1042:Q\\r\\n", b"ABC\\r", b"DEF\\n", b"GH", b"I\\r\\n\\r\\n", b"J\\nK\\r\\nL\\n"])
assert got == ["PGO:1042:Q", "ABC", "DEF", "GHI", "J", "K", "L"], got
""")


def test_identical_code_debounced_within_window():
    run("""
class C(Clock):
    pass
clock = C()
sc = Scanner(Stream([]), ticks_ms=clock)
def feed(t, data):
    clock.t = t
    sc.feed(data)
    return sc.poll()
assert feed(0, b"ABC\\r\\n") == "ABC"
assert feed(300, b"ABC\\r\\n") is None        # decoder repeat
assert feed(1000, b"ABC\\r\\n") is None       # still in view: window extends
assert feed(1500, b"XYZ\\r\\n") == "XYZ"      # another code at once
assert feed(1600, b"ABC\\r\\n") == "ABC"      # not the last one: accepted
assert feed(3000, b"ABC\\r\\n") == "ABC"      # after the window
sc.forget()                                # a key was pressed
assert feed(3100, b"ABC\\r\\n") == "ABC"
""")


def test_overlong_line_is_a_misread_then_recovers():
    run("""
got = read_all([b"X" * 30, b"Y" * 30, b"Z" * 30 + b"\\r\\n", b"OK1\\r\\n"], maxlen=40)
assert got[0] is MISREAD and got[1] == "OK1", got
""")


def test_non_printable_bytes_replaced():
    run("""
got = read_all([b"A\\x00B\\xffC\\r\\n"])
assert got == ["A?B?C"], got
""")


def test_framing_allocates_nothing_per_byte():
    run("""
sc = Scanner(Stream([]), ticks_ms=lambda: 0)
res = [None, None]

def locked_poll(rounds):
    # no allocation allowed in here: poll() must not allocate per byte
    micropython.heap_lock()
    try:
        for i in range(rounds):
            sc._pos = 0
            res[0] = sc.poll()
    finally:
        micropython.heap_unlock()

sc.feed(b"PGB:B000123:CBD-OIL-30:L2311")
locked_poll(1)
assert res[0] is None
sc.feed(b"A:7\\r\\n")
assert sc.poll() == "PGB:B000123:CBD-OIL-30:L2311A:7"
sc.feed(b"X" * 32)
locked_poll(10)                       # 320 bytes, past the 96-byte buffer
assert res[0] is None
sc.feed(b"\\n")
assert sc.poll() is MISREAD
""")


# Hostile bytes from the decoder's UART: every kind of garbage is refused
# (foreign, format, or check for a line too long to be a code), nothing
# is recorded, and framing stays in its fixed buffers.
HOSTILE = r"""
import gc, fakes
from gun.app import App
from shared import wire

GOOD = fakes.bottle("B000001").encode()
BURST = bytearray(10240)               # every byte value, CR and LF among
for i in range(len(BURST)):            # them; the last one a LF
    BURST[i] = (i * 7) % 256
BURST[-1] = 10
HIGH = bytearray(128)
for i in range(128):
    HIGH[i] = 128 + i
CASES = [
    b"X" * 5000 + b"\r\n",                      # overlong, then ended
    b"\x00" * 40 + b"\n",                       # NULs
    bytes(HIGH) + b"\r",                        # bytes >= 0x80
    b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc\n",   # invalid UTF-8
    b"\r\n" * 2000 + b"\r" * 1000 + b"\n" * 1000,        # CR/LF storm
    BURST,                                      # 10 KB burst
    GOOD[:-1] + b"\x00\n",                      # a NUL for the check char
    GOOD[:6] + b"\xff" + GOOD[7:] + b"\n",      # a high byte inside a code
    GOOD[:-2] + b"\n",                          # cut short
    GOOD[:12] + GOOD + b"\n",                   # a fragment, then a code
    b"PGO:" + b"9" * 80 + b":Q\n",              # an order number too long
    b"\t" + GOOD + b"\x7f\n",                   # control characters
]
"""


def test_hostile_bytes_are_refused_and_record_nothing():
    run(HOSTILE + """
class Chunks:
    # the UART: delivers `data` in reads of at most `n` bytes
    def __init__(self):
        self.data = b""
        self.pos = 0
        self.n = 32
    async def readinto(self, buf):
        if self.pos >= len(self.data):
            return 0
        k = min(len(buf), self.n, len(self.data) - self.pos)
        buf[:k] = memoryview(self.data)[self.pos:self.pos + k]
        self.pos += k
        return k

b, j, s = fakes.Board(), fakes.Journal(), fakes.Store()
s.put(fakes.snapshot())
a = App(b, j, s, fakes.Sync())
a.on_scan(fakes.order())
uart = Chunks()
sc = Scanner(uart, ticks_ms=lambda: 0)
seen = {}

async def drain(data, n=32):
    uart.data, uart.pos, uart.n = data, 0, n
    while True:
        try:
            text = await sc.read()
        except EOFError:
            return
        r = a.handle(a.on_scan, text)
        seen[r] = seen.get(r, 0) + 1
        a.refresh()
        del b.beeps[:], b.reports[:]

def live():
    gc.collect()
    return gc.mem_alloc()

for n in (32, 7, 1):                    # codes split across reads
    for data in CASES:
        asyncio.run(drain(data, n))
        sc.forget()
    if n == 32:
        base = live()
assert live() - base < 2048, live() - base      # nothing kept per line
assert set(seen) <= {"foreign", "format", "check"}, seen
assert j.pending_count() == 0 and len(a.picks) == 0
assert a.screen == "refused" and len(sc._line) == 96
# the gun still picks: a code split across reads, one byte at a time
asyncio.run(drain(GOOD + b"\\r\\n", 1))
assert j.pending_count() == 1 and "B000001" in a.picks
""")


def test_hostile_bytes_framed_without_allocating():
    run(HOSTILE + """
sc = Scanner(Stream([]), ticks_ms=lambda: 0)
res = [0]

def locked(data):
    # poll() over data with the heap locked: only a complete line may
    # allocate (its str), so feed what ends no line
    chunk = sc._chunk
    micropython.heap_lock()
    try:
        for i in range(0, len(data) - 31, 32):
            for k in range(32):
                chunk[k] = data[i + k]
            sc._pos = 0
            sc._len = 32
            if sc.poll() is not None:
                res[0] += 1
    finally:
        micropython.heap_unlock()

for i in range(len(BURST)):
    if BURST[i] in (10, 13):
        BURST[i] = 32
locked(b"\\r\\n" * 512)                  # blank lines: nothing to return
locked(BURST)                           # 10 KB, no line end
assert res[0] == 0
sc.feed(b"\\n")
assert sc.poll() is MISREAD             # the overlong line, once
sc.feed(HIGH[:20] + b"\\n")
assert sc.poll() == "?" * 20
""")


def test_a_read_with_nothing_is_not_the_end():
    # An ESP32 UART's readinto() returns None when it has nothing (its RX
    # buffer flushed after an overflow, say): read on, it is no EOF.
    run('''
class Uart:
    def __init__(self, chunks):
        self.chunks = list(chunks)
    async def readinto(self, buf):
        if not self.chunks:
            return 0
        c = self.chunks.pop(0)
        if c is None:
            return None
        buf[:len(c)] = c
        return len(c)

sc = Scanner(Uart([b"PGO:10", None, b"42:Q\\r\\n", None, None, b"AB\\n"]),
             ticks_ms=lambda: 0)
got = []
async def go():
    while True:
        try:
            got.append(await sc.read())
        except EOFError:
            return
asyncio.run(go())
assert got == ["PGO:1042:Q", "AB"], got
''')
