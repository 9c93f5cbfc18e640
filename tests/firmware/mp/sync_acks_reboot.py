# argv: those of sync_rig, then "first" (four scans, hostile acks taken
# in, two more scans written, then waiting for the test to cut the power)
# or "second" (the gun after it: drains everything).
import asyncio
import sys

from sync_rig import (exists, j, listener, run_driver, scan, state, store,
                      sync, until)


async def driver():
    mode = sys.argv[4]
    await until("online", lambda: sync.link == "online")
    print("ONLINE")
    if mode == "first":
        scan()
        scan()
        scan("PGB:BAD1:CBD-OIL-30:L1:Q")
        scan()                              # beyond the window of 3
        await until("sent", lambda: exists("committed"))
        state("SENT")
        await until("hostile", lambda: exists("hostile_sent"))
        await until("marker", lambda: store.get(52) is not None)
        state("AFTER_HOSTILE")
        print("IGNORED", sync.ignored)
        for _ in range(2):
            scan()                          # written, maybe not sent
        state("WRITTEN")
        await asyncio.sleep(60)             # the test cuts the power here
    await until("drained", lambda: j.pending_count() == 0)
    state("DRAINED")
    print("REJECTED", [r["seq"] for r in listener.rejected])
    await sync.stop()


run_driver(driver)
