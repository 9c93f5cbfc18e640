# The gun sets only the bits it needs: the module's LED, aim and light
# settings (register 0x0000) and the rest of 0x000D stay as they were; a
# module left in USB keyboard mode (nothing on the serial port) is put
# back to serial output.
import asyncio

from drivers import gm65
from gm65_rig import FLASH, power_on, scan

zone = bytearray(256)
zone[0x00] = 0xB9  # LED on, beep on, aim always, light off, command mode
zone[0x03] = 0x01
zone[0x0D] = 0xA1  # USB keyboard, and bits the gun does not know
zone[0x60] = 0x41  # TAB after each code
with open(FLASH, "wb") as f:
    f.write(zone)
    f.write(b"\x05\x00\x00\x00")


async def main():
    harness, module, tap, sc = power_on()
    assert await scan(harness, tap, sc, b"PGO:1:Q", 300) is None
    assert await gm65.setup(tap, sc) == ""
    z = module.zone
    assert (z[0x00], z[0x03], z[0x0D], z[0x60]) == (0xBA, 0x03, 0xA0, 0x01)
    assert module.saves == 6
    assert await scan(harness, tap, sc, b"PGO:1042:Q") == "PGO:1042:Q"
    assert bytes(tap.got) == b"PGO:1042:Q\r"


asyncio.run(main())
print("OK")
