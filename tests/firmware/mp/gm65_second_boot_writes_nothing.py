# A module already set up: the gun only reads it, and its flash is not
# written again.  One whose settings were changed but not saved (lost at
# the power cycle) is set up again.
import asyncio

from drivers import gm65
from gm65_rig import power_on

READS = [0x00, 0x03, 0x0D, 0x60]


async def main():
    harness, module, tap, sc = power_on()
    assert await gm65.setup(tap, sc) == ""
    assert module.saves == 1
    harness, module, tap, sc = power_on()
    assert await gm65.setup(tap, sc) == ""
    assert [f[2] for f in tap.sent] == [7, 7, 7, 7], tap.sent
    assert [f[5] for f in tap.sent] == READS
    assert module.saves == 1
    with open(module.path, "rb") as f:
        assert f.read()[256:] == b"\x01\x00\x00\x00"
    # a setting written but not saved does not outlive the power
    assert await gm65.send(tap, sc, 8, 0x60, 0x00) == 0
    assert module.zone[0x60] == 0
    harness, module, tap, sc = power_on()
    assert module.zone[0x60] == 1
    assert await gm65.setup(tap, sc) == ""
    assert len(tap.sent) == 4 and module.saves == 1


asyncio.run(main())
print("OK")
