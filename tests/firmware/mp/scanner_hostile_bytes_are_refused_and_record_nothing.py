# First, while the heap is in one piece: the cases it builds are up to
# 10 KB each.
from scanner_hostile import CASES, GOOD
import asyncio
import fakes
import gc
from gun.app import App
from gun.scanner import Scanner


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
        buf[:k] = memoryview(self.data)[self.pos : self.pos + k]
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


for n in (32, 7, 1):  # codes split across reads
    for data in CASES:
        asyncio.run(drain(data, n))
        sc.forget()
    if n == 32:
        base = live()
assert live() - base < 2048, live() - base  # nothing kept per line
assert set(seen) <= {"foreign", "format", "check"}, seen
assert j.pending_count() == 0 and len(a.picks) == 0
assert a.screen == "refused" and len(sc._line) == 96
# the gun still picks: a code split across reads, one byte at a time
asyncio.run(drain(GOOD + b"\r\n", 1))
assert j.pending_count() == 1 and "B000001" in a.picks
