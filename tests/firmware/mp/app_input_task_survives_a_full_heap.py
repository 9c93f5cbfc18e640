import fakes
from app_memory import boot, oom

import asyncio


class Scanner:
    def __init__(self, codes):
        self.codes = codes

    async def read(self):
        while not self.codes:
            await asyncio.sleep_ms(5)
        c = self.codes.pop(0)
        if c is None:
            raise MemoryError  # the decoder's read ran out too
        return c

    def forget(self):
        pass


a, b, j, s, sy = boot(fakes.snapshot())
sc = Scanner([fakes.bottle("B000001"), None, fakes.bottle("B000002")])
oom.arm("append", 2)  # the first scan is refused: busy
t = asyncio.create_task(a.input_task(sc))


async def main():
    await asyncio.sleep_ms(50)
    assert not sc.codes
    assert a.reason is None and a.screen == "picking", a.reason
    assert [e["c"].split(":")[1] for e in j.decoded()] == ["B000002"]
    assert b.beeps.count("err") == 2  # the busy scan, the failed read
    sc.codes.append(fakes.bottle("B000001"))
    await asyncio.sleep_ms(30)
    assert j.pending_count() == 2 and a.screen == "picking"
    t.cancel()


asyncio.run(main())
print("OK")
