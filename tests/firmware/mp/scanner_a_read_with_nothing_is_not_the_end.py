import asyncio
from gun.scanner import Scanner


class Uart:
    def __init__(self, chunks):
        self.chunks = list(chunks)

    async def readinto(self, buf):
        if not self.chunks:
            return 0
        c = self.chunks.pop(0)
        if c is None:
            return None
        buf[: len(c)] = c
        return len(c)


sc = Scanner(
    Uart([b"PGO:10", None, b"42:Q\r\n", None, None, b"AB\n"]),
    ticks_ms=lambda: 0,
)
got = []


async def go():
    while True:
        try:
            got.append(await sc.read())
        except EOFError:
            return


asyncio.run(go())
assert got == ["PGO:1042:Q", "AB"], got
