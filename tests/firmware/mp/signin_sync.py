# argv: those of sync_rig, then the phase.  The app on the sync session
# with the roster and lots message the broker retains (gun/staff.py),
# across reboots: "online" signs in and picks with the messages from the
# broker; "offline" (WiFi off, a reboot) does it with those kept on
# flash; "revoked" syncs, then sees its associate's badge withdrawn.
# Prints "<TAG> <screen> <reason> by=<who> | <row 1>" at each step.
from sync_rig import board, j, run_driver, store, sync, until
import sys

import fakes
from gun.app import App

PHASE = sys.argv[4]
BADGE = "PGS:42:K3J9XQ2M7PLA:"


class GunBoard(type(board)):
    def beep(self, pattern):
        print("BEEP", pattern)

    def report(self, rows, state):
        pass


app = App(GunBoard(), j, store, sync)
sync.listener = app
st = app.staff


def badge():
    from shared import wire
    return BADGE + wire.check_char(BADGE[:-1])


def show(tag):
    print(tag, app.screen, app.reason, "by=%d" % st.who, "|",
          app.refresh()[1], "|", app.refresh()[2])


async def driver():
    print("BOOT", st.req, len(st._ids), st.lot("L2311A"), st.who)
    if PHASE == "offline":
        await until("offline", lambda: sync.link != "online")
    else:
        await until("online", lambda: sync.link == "online")
        await until("roster", lambda: len(st._ids) and st.lot("L2311A")
                    and store.rev(1042))
    print("ROSTER", st.req, len(st._ids), st.lot("L2311A"))
    if PHASE != "revoked":
        app.on_scan(fakes.order())
        show("GATE")
        app.on_scan(badge())
        show("HELLO")
        app.on_scan(fakes.order())
        show("ORDER")
        app.on_scan(fakes.bottle("HELD1", lot="L2311A"))
        show("HELD")
        app.on_scan(fakes.bottle("B-" + PHASE[:3].upper(), lot="L2400B"))
        show("PICK")
    else:
        app.on_scan(badge())
        show("HELLO")
    if PHASE != "offline":
        await until("synced", lambda: j.pending_count() == 0)
        print("SYNCED")
    if PHASE == "revoked":
        print("READY")
        await until("gone", lambda: not st.who)
        show("GONE")
        app.on_scan(badge())
        show("REFUSED")
        app.on_scan(fakes.order())
        show("GATE")
    await sync.stop()


run_driver(driver)
