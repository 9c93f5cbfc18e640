import asyncio
from gun.scanner import Scanner


class Stream:
    # Delivers the given chunks, then EOF.
    def __init__(self, chunks):
        self.chunks = list(chunks)

    async def readinto(self, buf):
        if not self.chunks:
            return 0
        c = self.chunks.pop(0)
        buf[: len(c)] = c
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
