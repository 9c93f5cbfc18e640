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
