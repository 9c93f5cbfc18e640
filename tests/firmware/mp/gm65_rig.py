# A GM65 module (boards/host_gm65.py) on the gun's line, as the host board
# puts it: the harness shows it labels (show()), the gun's scanner reads
# what it sends and the driver (drivers/gm65.py) writes its commands, both
# through a Tap that records them.  Its flash is the file sys.argv[1].
import asyncio
import sys

from boards.host_gm65 import GM65
from gun.scanner import Scanner

FLASH = sys.argv[1]


class Harness:
    """The labels the module's camera sees, one a line."""

    def __init__(self):
        self.lines = []
        self.ev = asyncio.Event()

    def show(self, text):
        self.lines.append(text + b"\n")
        self.ev.set()

    async def readinto(self, buf):
        while not self.lines:
            self.ev.clear()
            await self.ev.wait()
        t = self.lines.pop(0)
        buf[: len(t)] = t
        return len(t)


class Tap:
    """The gun's UART: what it writes (sent, one frame a write) and what
    it reads (got)."""

    def __init__(self, module):
        self.module = module
        self.sent = []
        self.got = bytearray()

    def write(self, data):
        self.sent.append(bytes(data))
        return self.module.write(data)

    async def readinto(self, buf):
        n = await self.module.readinto(buf)
        self.got += buf[:n]
        return n


def power_on(cls=GM65):
    """A module (a new one on the same flash: a power cycle), the gun's
    tapped UART and its scanner."""
    harness = Harness()
    module = cls(harness, FLASH)
    tap = Tap(module)
    return harness, module, tap, Scanner(tap)


def hexes(frames):
    return [" ".join("%02X" % b for b in f) for f in frames]


async def scan(harness, tap, scanner, label, ms=1000):
    """Show a label; the code the gun reads (None: nothing in ms)."""
    tap.got = bytearray()
    harness.show(label)
    try:
        return await asyncio.wait_for_ms(scanner.read(), ms)
    except asyncio.TimeoutError:
        return None
