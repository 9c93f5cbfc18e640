# argv: those of sync_rig.  Prints "BOOT <hold list>" before the session
# starts, then "STATE <cached orders> <hold list> <held> <their revs>"
# each time that changes, until the test touches "stop".
import asyncio

from sync_rig import exists, run_driver, store, sync, until

print("BOOT", store.hold)


async def driver():
    await until("online", lambda: sync.link == "online")
    print("ONLINE", sync.client.session_present)
    last = None
    while not exists("stop"):
        ids = sorted(store.ids())
        now = (ids, list(store.hold), store.held(),
               [store.rev(o) for o in ids])
        if now != last:
            print("STATE", *now)
            last = now
        await asyncio.sleep_ms(50)
    await sync.stop()


run_driver(driver)
