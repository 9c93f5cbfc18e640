# First boot on a module in its factory settings (manual scanning, no
# tail: no codes at all): the gun sets it up, reading each register, then
# writing it and reading it back, saves once, and codes come with a CR.
import asyncio

from drivers import gm65
from gm65_rig import hexes, power_on, scan

# The frames, their CRCs worked out apart from the firmware's
# (CRC-16/XMODEM, as the manual's examples: docs/firmware.md).
FIRST_BOOT = [
    "7E 00 07 01 00 00 01 01 41",  # read 0x0000: 0xD4, manual mode
    "7E 00 08 01 00 00 96 97 E6",  # continuous, its beep off
    "7E 00 07 01 00 00 01 01 41",  # read back
    "7E 00 07 01 00 03 01 54 12",
    "7E 00 08 01 00 03 03 11 A9",  # setup barcodes ignored
    "7E 00 07 01 00 03 01 54 12",
    "7E 00 07 01 00 0D 01 77 1D",  # serial output already
    "7E 00 07 01 00 60 01 0A 6B",
    "7E 00 08 01 00 60 01 6F 92",  # CR after each code
    "7E 00 07 01 00 60 01 0A 6B",
    "7E 00 09 01 00 00 00 DE C8",  # save (the manual's own frame)
]


async def main():
    harness, module, tap, sc = power_on()
    assert await scan(harness, tap, sc, b"PGO:1042:Q", 300) is None
    assert not tap.got  # factory settings: nothing scanned
    assert await gm65.setup(tap, sc) == ""
    assert hexes(tap.sent) == FIRST_BOOT, hexes(tap.sent)
    z = module.zone
    assert (z[0x00], z[0x03], z[0x0D], z[0x60]) == (0x96, 0x03, 0, 1)
    assert module.saves == 1
    # what the module reports now, read as the gun reads
    assert await gm65.send(tap, sc, 7, 0x60, 1) == 1
    assert await gm65.send(tap, sc, 7, 0x00, 1) == 0x96
    assert await scan(harness, tap, sc, b"PGO:1042:Q") == "PGO:1042:Q"
    assert bytes(tap.got) == b"PGO:1042:Q\r", tap.got
    # the settings are in its flash: a power cycle keeps them
    harness, module, tap, sc = power_on()
    assert (module.zone[0], module.zone[0x60], module.saves) == (0x96, 1, 1)
    assert await scan(harness, tap, sc, b"PGO:7:Q") == "PGO:7:Q"
    assert bytes(tap.got) == b"PGO:7:Q\r"


asyncio.run(main())
print("OK")
