import asyncio
import fakes
from faults_prelude import make, until


class Buzzer(fakes.Board):
    broken = False

    def beep(self, pattern):
        if self.broken:
            raise OSError(5)  # its driver fails
        super().beep(pattern)


class Decoder:
    # codes, or exceptions raised by read() as a UART might
    def __init__(self):
        self.q = []

    async def read(self):
        while not self.q:
            await asyncio.sleep_ms(5)
        x = self.q.pop(0)
        if isinstance(x, Exception):
            raise x
        return x

    def forget(self):
        pass


class Keys(Decoder):
    get = Decoder.read


b = Buzzer()
a, b, j, s = make(fakes.snapshot(), board=b)
dec, keys = Decoder(), Keys()


async def main():
    st = asyncio.create_task(a.input_task(dec))
    kt = asyncio.create_task(a.input_task(keys, True))
    dec.q.extend([OSError(5), UnicodeError("bad byte"), fakes.order()])
    await until(lambda: a.screen == "order")
    keys.q.extend([ValueError("bad line"), "OK"])
    await until(lambda: a.screen == "picking")
    b.broken = True
    dec.q.append("https://example.com")
    await until(lambda: a.scans == 2)
    # the refusal shows although the buzzer failed
    assert a.screen == "refused" and a.reason == "foreign", a.reason
    keys.q.append("OK")
    await until(lambda: a.screen == "picking")
    dec.q.append(fakes.bottle("B000001"))
    await until(lambda: a.scans == 3)
    assert a.screen == "picking" and j.pending_count() == 1
    assert not st.done() and not kt.done()
    # the decoder's stream ending (EOFError) still ends the task
    dec.q.append(EOFError())
    await until(lambda: st.done())
    assert not kt.done()
    kt.cancel()


asyncio.run(main())
print("OK")
