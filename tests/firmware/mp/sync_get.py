# argv: those of sync_rig.  The app on the sync session: orders the store
# lacks are scanned while online (asked for), then offline.  Prints
# "<TAG> <screen> <reason> | <refusal message> | <what to do>".
from sync_rig import board, j, run_driver, store, sync, until
import asyncio
from time import ticks_diff, ticks_ms

import fakes
from gun.app import App


class GunBoard(type(board)):
    beeps = []

    def beep(self, pattern):
        self.beeps.append(pattern)

    def report(self, rows, state):
        pass


app = App(GunBoard(), j, store, sync)
sync.listener = app


def show(tag):
    print(tag, app.screen, app.reason, "|", app.message, "|", app.todo,
          "|", app.refresh()[1], GunBoard.beeps[-1])


async def driver():
    asyncio.create_task(app.power_task({}))
    await until("online", lambda: sync.link == "online")
    print("ONLINE")
    app.on_scan(fakes.order(70))            # the server has it
    show("ASKED")
    await until("opened", lambda: app.screen != "refused")
    show("OPENED")
    app.on_scan(fakes.order(71))            # no such order
    await until("no", lambda: app.reason != "fetching")
    show("NO")
    t = ticks_ms()
    app.on_scan(fakes.order(72))            # no answer
    await until("timeout", lambda: app.reason != "fetching", 10000)
    show("TIMEOUT")
    print("AFTER", ticks_diff(ticks_ms(), t) // 1000)
    await sync.stop()
    await until("offline", lambda: sync.link != "online")
    app.on_scan(fakes.order(73))
    show("OFFLINE")


run_driver(driver)
