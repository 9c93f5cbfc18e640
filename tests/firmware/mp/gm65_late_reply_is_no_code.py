# After boot, a reply nobody awaits (one that came too late) is dropped:
# the codes around it come through whole, never glued to it.
import asyncio

from drivers import gm65
from gm65_rig import power_on, scan


async def main():
    harness, module, tap, sc = power_on()
    assert await gm65.setup(tap, sc) == ""
    tap.write(b"\x7e\x00\x07\x01\x00\x60\x01\x0a\x6b")  # nobody waits
    tap.write(b"\x7e\x00\x07\x01\x00\x00\x04\xab\xcd")  # 4 registers
    assert await scan(harness, tap, sc, b"PGO:1042:Q") == "PGO:1042:Q"
    # both replies came first: read and dropped
    assert tap.got.startswith(b"\x02\x00\x00\x01\x01"), tap.got
    assert tap.got.endswith(b"\x03XcPGO:1042:Q\r"), tap.got
    tap.write(b"\x7e\x00\x08\x01\x00\x0a\x3e\x4c\xcf")
    assert await scan(harness, tap, sc, b"PGO:1043:Q") == "PGO:1043:Q"
    assert tap.got.startswith(b"\x02\x00\x00\x01\x00\x33\x31")
    # Without a tail (a module set up by someone else): the reply right
    # after a code, after the idle gap, is dropped too.
    module.zone[0x60] = 0x00
    assert await scan(harness, tap, sc, b"PGO:1044:Q") == "PGO:1044:Q"
    await asyncio.sleep_ms(150)
    tap.write(b"\x7e\x00\x07\x01\x00\x60\x01\x0a\x6b")
    assert await scan(harness, tap, sc, b"PGO:1045:Q") == "PGO:1045:Q"


asyncio.run(main())
print("OK")
