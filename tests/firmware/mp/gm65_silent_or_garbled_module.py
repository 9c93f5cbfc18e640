# A module that never answers (unplugged RX, another model), one whose
# replies fail their checks and one that does not keep a setting: setup()
# says which, in a few seconds, and writes nothing it could not read
# first.  The line still carries codes.  One that ends every reply with
# 33 31 instead of its CRC (reported of some) is set up.
import asyncio
import time

from boards.host_gm65 import GM65
from drivers import gm65
from gm65_rig import power_on, scan
from gun.scanner import Scanner


class Deaf(GM65):
    # its RX wire cut: hears nothing, still scans (set up earlier)
    def write(self, data):
        return len(data)


class Unplugged:
    def write(self, data):
        return len(data)

    async def readinto(self, buf):
        await asyncio.sleep_ms(60000)
        return 0


class Garbling(GM65):
    # flips a bit in the CRC of the first `bad` replies
    bad = 99

    def _send(self, data):
        if data[:1] == b"\x02" and self.bad:
            self.bad -= 1
            data = data[:-1] + bytes((data[-1] ^ 1,))
        GM65._send(self, data)


class Canned(GM65):
    # ends every reply with 33 31, as some modules are reported to
    def _send(self, data):
        if data[:1] == b"\x02":
            data = data[:-2] + b"\x33\x31"
        GM65._send(self, data)


class Forgetful(GM65):
    # acknowledges a write to 0x0060 but keeps the old value
    def _command(self, cmd):
        if cmd[2] == 8 and cmd[5] == 0x60:
            self._reply(b"\x00")
            return
        GM65._command(self, cmd)


async def main():
    harness, module, tap, sc = power_on(Deaf)
    module.zone[0] = 0x96  # continuous: it scans
    module.zone[0x60] = 0x01
    t0 = time.ticks_ms()
    assert await gm65.setup(tap, sc) == "No decoder reply"
    ms = time.ticks_diff(time.ticks_ms(), t0)
    assert 1400 <= ms < 2500, ms  # 3 tries of 500 ms
    assert len(tap.sent) == 3 and module.saves == 0
    assert await scan(harness, tap, sc, b"PGO:1042:Q") == "PGO:1042:Q"

    # nothing at all on the line: the gun's own frames go nowhere
    line = Unplugged()
    assert await gm65.setup(line, Scanner(line)) == "No decoder reply"

    harness, module, tap, sc = power_on(Garbling)
    assert await gm65.setup(tap, sc) == "Decoder garbled"
    assert len(tap.sent) == 3 and module.zone[0] == 0xD4
    assert module.saves == 0

    harness, module, tap, sc = power_on(Garbling)
    module.bad = 2  # two garbled replies: the third try gets through
    assert await gm65.setup(tap, sc) == ""
    assert module.zone[0x60] == 1 and module.saves == 1

    harness, module, tap, sc = power_on(Canned)
    module.zone[0x60] = 0
    assert await gm65.setup(tap, sc) == ""
    assert module.zone[0x60] == 1 and module.saves == 2

    harness, module, tap, sc = power_on(Forgetful)
    module.zone[0x60] = 0  # (the flash above has the tail on)
    assert await gm65.setup(tap, sc) == "Decoder refused"
    assert module.saves == 2  # nothing saved


asyncio.run(main())
print("OK")
