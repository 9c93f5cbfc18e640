# argv: those of sync_rig.  Scans while the server holds its acks, so the
# pending count climbs, then drains once it lets them go.
import asyncio

from sync_rig import exists, j, run_driver, scan, sync, until


async def driver():
    await until("online", lambda: sync.link == "online")
    print("ONLINE")
    await until("held", lambda: exists("held"))
    await asyncio.sleep_ms(2200)          # clear of the status sent at connect
    for _ in range(4):
        scan()
        await asyncio.sleep_ms(150)
    print("SCANNED")
    await until("drained", lambda: j.pending_count() == 0)
    print("DRAINED")
    await asyncio.sleep_ms(500)
    await sync.stop()


run_driver(driver, settle_ms=0)
