# A code the decoder sends with no line end (its factory setting) ends
# after gap_ms with no byte; a code in two reads closer than that is one
# code; a reply cut short is dropped, not glued to the next code.
import asyncio
import time
from gun.scanner import Scanner


class Paced:
    # (delay ms, bytes) reads, then the end of the stream; a read
    # cancelled while it waits loses nothing, as a UART's
    def __init__(self, steps):
        self.steps = list(steps)
        self.t = time.ticks_ms()

    async def readinto(self, buf):
        if not self.steps:
            await asyncio.sleep_ms(400)
            return 0
        ms, data = self.steps[0]
        await asyncio.sleep_ms(ms - time.ticks_diff(time.ticks_ms(), self.t))
        self.steps.pop(0)
        self.t = time.ticks_ms()
        buf[: len(data)] = data
        return len(data)


async def codes(steps):
    sc = Scanner(Paced(steps), ticks_ms=time.ticks_ms)
    out = []
    t0 = time.ticks_ms()
    while True:
        try:
            text = await sc.read()
        except EOFError:
            return out
        out.append((text, time.ticks_diff(time.ticks_ms(), t0)))


got = asyncio.run(codes([(0, b"PGO:1042:Q")]))
assert [g[0] for g in got] == ["PGO:1042:Q"], got
assert 80 <= got[0][1] < 300, got  # at the gap, not at the end
got = asyncio.run(codes([(0, b"PGO:10"), (30, b"42:Q"), (200, b"PGO:7:Q")]))
assert [g[0] for g in got] == ["PGO:1042:Q", "PGO:7:Q"], got
got = asyncio.run(
    codes([(0, b"\x02\x00\x00\x01\x00"), (150, b"PGO:1042:Q\r")])
)
assert [g[0] for g in got] == ["PGO:1042:Q"], got
got = asyncio.run(codes([(0, b"X" * 200)]))  # overlong, never ended
assert len(got) == 1 and got[0][0].startswith("\x00"), got
print("OK")
