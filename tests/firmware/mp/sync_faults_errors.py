# argv: those of sync_rig.  The app's callbacks and the store fail on
# some messages; the session logs each error and goes on.
from sync_rig import Listener, j, run_driver, scan, store, sync, until

real_offer = store.offer


class Shaky(Listener):
    # the app's callbacks, failing for order 66 and for the first ack
    def on_snapshot(self, order_id):
        if order_id == 66:
            raise KeyError("st")
        Listener.on_snapshot(self, order_id)

    def on_acked(self, rejected):
        Listener.on_acked(self, rejected)
        if self.acked == 1:
            raise TypeError("bad rejection")


def offer(payload, order_id=None):
    # a bug in handling one message: it must not end every session
    if order_id == 67:
        raise IndexError("bug")
    return real_offer(payload, order_id)


store.offer = offer
sync.listener = listener = Shaky()


async def driver():
    await until("online", lambda: sync.link == "online")
    print("ONLINE")
    scan()
    await until("acked", lambda: j.pending_count() == 0)
    print("ACKED", listener.acked)
    await until("snapshots", lambda: 68 in listener.snaps)
    print("SNAPS", store.rev(66), store.rev(67), store.rev(68),
          listener.snaps, sync.connects, sync.link, repr(sync.last_error))
    await sync.stop()


run_driver(driver)
