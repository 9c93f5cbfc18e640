"""The sync session (gun.sync in the real MicroPython) against a real
Mosquitto when something goes wrong on the gun: a snapshot that arrives
while the flash is full or failing is asked for again (and arrives) once
the flash has room, or at the next connection, although the session is
resumed; an error while handling a message is logged and does not end
the session."""
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp_run import MPProcess  # noqa: E402

from server.gunlink.broker import mosquitto_binary  # noqa: E402
from shared import wire  # noqa: E402
from test_sync import GUN, RUN_DRIVER, _touch  # noqa: E402
from test_sync import env  # noqa: E402,F401 (the fixture)

mosquitto_binary()

# littlefs over a simulated flash, mounted at /fl before the gun starts
# (the script's DATA).
FLASH = r"""
import vfs, os
from sim_flash import Flash, blank, fill
BS = 512

dev = Flash(blank(64 * BS), BS)
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/fl")
"""

MISSED_DRIVER = r"""
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

""" + RUN_DRIVER


def _snapshot(rev):
    return json.dumps(wire.snapshot(1042, rev, "placed", "Jane R.", [
        {"sku": "CBD-OIL-30", "name": "CBD Oil", "qty": 2, "got": 0}],
        [wire.note(3, "Fragile")], []))


def test_snapshot_missed_on_a_full_or_failing_flash_is_asked_for_again(
        tmp_path, env):
    broker, server = env
    topic = wire.order_topic(1042)
    server.publish(topic, _snapshot(1), retain=True)
    script = FLASH + GUN[:GUN.index("async def driver")] + MISSED_DRIVER
    gun = MPProcess(tmp_path, script, heap="256k",
                    args=["/fl", str(broker.port), str(tmp_path), "-"])
    try:
        assert gun.expect("OFFER") == "OFFER 1 1042"
        assert gun.expect("REV") == "REV 1 1"
        _touch(tmp_path, "fill")
        assert int(gun.expect("FILLED").split()[1]) > 8
        server.publish(topic, _snapshot(2), retain=True)
        # acked to the broker, not stored: the gun keeps revision 1
        assert gun.expect("OFFER") == "OFFER 2 None"
        _touch(tmp_path, "room")
        assert gun.expect("OFFER") == "OFFER 2 1042"  # the broker again
        assert gun.expect("REV") == "REV 2 1"       # same session

        _touch(tmp_path, "break")
        gun.expect("BROKEN")
        server.publish(topic, _snapshot(3), retain=True)
        assert gun.expect("OFFER") == "OFFER 3 None"
        _touch(tmp_path, "wifi_off")
        time.sleep(1.0)
        (tmp_path / "wifi_off").unlink()
        # a resumed session (no new subscription of its own) gets it too
        assert gun.expect("REV", timeout=30) == "REV 3 2 True"
        assert gun.wait() == 0
    finally:
        gun.kill()


ERRORS_DRIVER = r"""
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


real_offer = store.offer


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

""" + RUN_DRIVER


def test_errors_handling_messages_are_logged_and_the_session_goes_on(
        tmp_path, env):
    broker, server = env
    script = GUN[:GUN.index("async def driver")] + ERRORS_DRIVER
    gun = MPProcess(tmp_path, script,
                    args=[str(tmp_path / "data"), str(broker.port),
                          str(tmp_path), "-"])
    try:
        gun.expect("ONLINE")
        assert gun.expect("ACKED") == "ACKED 1"     # recorded all the same
        for oid in (66, 67, 68):
            server.publish(wire.order_topic(oid), json.dumps(
                wire.snapshot(oid, 1, "placed", "C", [], [], [])))
        line = gun.expect("SNAPS").split(" ", 7)
        # 66 stored (only the app failed), 67 dropped, 68 after them, all
        # in the one session, which still says why it last ended: nothing
        assert line[1:] == ["1", "0", "1", "[68]", "1", "online", "None"], \
            line
        assert gun.wait() == 0
    finally:
        gun.kill()
    log = "\n".join(gun.lines)
    for what in ("on_acked failed: TypeError('bad rejection',)",
                 "on_snapshot failed: KeyError('st',)",
                 "message failed: IndexError('bug',)"):
        assert ("pickgun: " + what) in log, log
