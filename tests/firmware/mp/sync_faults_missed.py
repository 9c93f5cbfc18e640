# argv: those of sync_rig, the data folder being /fl.  A snapshot that
# arrives while the flash is full, then one while it fails: each is asked
# for again and stored.
from sync_flash import BS, dev
import os

from sim_flash import fill
from shared import wire
from sync_rig import exists, run_driver, store, sync, until

real_offer = store.offer


def offer(payload, order_id=None):
    # what became of each snapshot that arrived (None: not stored)
    r = real_offer(payload, order_id)
    print("OFFER", wire.decode(payload)["rev"], r)
    return r


store.offer = offer


async def driver():
    await until("online", lambda: sync.link == "online")
    await until("rev 1", lambda: store.rev(1042) == 1)
    print("REV", store.rev(1042), sync.connects)
    # The flash fills up; the next revision arrives and cannot be stored.
    await until("fill", lambda: exists("fill"))
    fillers = fill("/fl", BS)
    print("FILLED", len(fillers))
    # Room again (the journal compacted, say): asked for at once.
    await until("room", lambda: exists("room"))
    while fillers:
        os.remove(fillers.pop())
    await until("rev 2", lambda: store.rev(1042) == 2)
    print("REV", store.rev(1042), sync.connects)
    # The flash fails when the next one arrives: asked for again at the
    # next connection, which resumes the session.
    await until("break", lambda: exists("break"))
    dev.broken = True
    print("BROKEN")
    await until("offline", lambda: sync.link == "offline")
    dev.broken = False
    await until("rev 3", lambda: store.rev(1042) == 3)
    print("REV", store.rev(1042), sync.connects,
          sync.client.session_present)
    await sync.stop()


run_driver(driver)
