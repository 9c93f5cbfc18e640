# argv: those of sync_rig, then the mode: "crash" (scans through a broker
# outage, held and junk acks, a wifi drop, then waits offline with scans
# on flash for the test to cut the power) or "reboot" (the gun after it:
# drains what is left).
import asyncio
import sys

from sync_rig import (exists, j, listener, run_driver, scan, state, store,
                      sync, until)


async def driver():
    mode = sys.argv[4]
    await until("online", lambda: sync.link == "online")
    print("ONLINE")
    if mode == "reboot":
        await until("drained", lambda: j.pending_count() == 0)
        state("DRAINED")
        await sync.stop()
        return
    for _ in range(5):
        scan()
        await asyncio.sleep_ms(30)
    await until("drained1", lambda: j.pending_count() == 0)
    state("DRAINED1")

    await until("broker down", lambda: exists("broker_down"))
    await until("offline", lambda: sync.link != "online")
    for _ in range(5):
        scan()
    state("PENDING")
    await until("drained2", lambda: j.pending_count() == 0, 60000)
    state("DRAINED2")

    await until("held", lambda: exists("held"))
    scan()
    scan("PGB:BAD1:CBD-OIL-30:L1:Q")
    scan()
    state("SENT_HELD")
    print("ACKS", listener.acked)
    await until("junk", lambda: exists("junk_sent"))
    await until("marker", lambda: store.get(52) is not None)
    print("AFTERJUNK", j.pending_count(), j.upto, j.next_seq, store.rev(50),
          store.get(51) is None, listener.acked, sync.link)
    await until("released", lambda: exists("release"))
    await until("drained3", lambda: j.pending_count() == 0)
    state("DRAINED3")

    await until("wifi off", lambda: exists("wifi_off"))
    await until("offline", lambda: sync.link == "offline")
    scan()
    scan()
    state("WIFI_PENDING")
    await until("wifi on", lambda: not exists("wifi_off"))
    await until("drained4", lambda: j.pending_count() == 0)
    state("DRAINED4")
    print("REJECTED", [r["seq"] for r in listener.rejected])
    if mode == "crash":
        await until("offline again", lambda: exists("broker_down2"))
        await until("offline", lambda: sync.link != "online")
        scan()
        scan()
        state("CRASH_PENDING")
        await asyncio.sleep(60)      # the test kills the process here
    await sync.stop()
    print("DONE")


run_driver(driver)
