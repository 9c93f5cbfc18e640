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

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp_run import MPProcess  # noqa: E402

from server.broker import Broker, mosquitto_binary  # noqa: E402
from shared import wire  # noqa: E402
from test_sync import GUN, FakeServer, _touch  # noqa: E402

mosquitto_binary()

# littlefs over a block device in RAM, mounted at /fl before the gun starts
# (the script's DATA); `broken`: every program and erase fails (EIO).
FLASH = r"""
import vfs, os
BS = 512


class RamFlash:
    def __init__(self, blocks=64):
        self.data = bytearray(b"\xff" * (blocks * BS))
        self.n = blocks
        self.broken = False

    def readblocks(self, block, buf, off=0):
        a = block * BS + off
        buf[:] = memoryview(self.data)[a:a + len(buf)]

    def writeblocks(self, block, buf, off=0):
        if self.broken:
            return -5
        a = block * BS + off
        self.data[a:a + len(buf)] = buf
        return 0

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return BS
        if op == 6:
            if self.broken:
                return -5
            a = arg * BS
            self.data[a:a + BS] = b"\xff" * BS
        return 0


dev = RamFlash()
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/fl")
FILLERS = []


def fill():
    # files of a block, then smaller ones, until not one more byte fits
    for size in (BS, 64, 16):
        chunk = bytes(size)
        while True:
            name = "/fl/fill%d" % len(FILLERS)
            try:
                with open(name, "wb") as f:
                    f.write(chunk)
                FILLERS.append(name)
            except OSError:
                try:
                    os.remove(name)
                except OSError:
                    pass
                break
    return len(FILLERS)


def make_room():
    while FILLERS:
        os.remove(FILLERS.pop())
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
    print("FILLED", fill())
    # Room again (the journal compacted, say): asked for at once.
    await until("room", lambda: exists("room"))
    make_room()
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


async def main():
    t = asyncio.create_task(sync.run())
    await driver()
    await asyncio.sleep_ms(100)
    t.cancel()

asyncio.run(main())
"""


@pytest.fixture
def env(tmp_path):
    b = Broker(tmp_path / "broker", devices={"G01": "pw-g01"},
               worker_password="pw-worker")
    b.start()
    server = FakeServer(b)
    yield b, server
    server.close()
    b.stop()


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


async def main():
    t = asyncio.create_task(sync.run())
    await driver()
    await asyncio.sleep_ms(100)
    t.cancel()

asyncio.run(main())
"""


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
