"""The sync session (gun.sync in the real MicroPython) against a real
Mosquitto when something goes wrong on the gun: a snapshot that arrives
while the flash is full or failing is asked for again (and arrives) once
the flash has room, or at the next connection, although the session is
resumed; an error while handling a message is logged and does not end
the session.  Scripts: tests/firmware/mp/sync_faults_*.py (on sync_rig;
sync_flash mounts the simulated flash)."""
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import script  # noqa: E402
from mp_run import MPProcess  # noqa: E402

from server.gunlink.broker import mosquitto_binary  # noqa: E402
from shared import wire  # noqa: E402
from test_sync import _touch  # noqa: E402

mosquitto_binary()

def _snapshot(rev):
    return json.dumps(wire.snapshot(1042, rev, "placed", "Jane R.", [
        {"sku": "CBD-OIL-30", "name": "CBD Oil", "qty": 2, "got": 0}],
        [wire.note(3, "Fragile")], []))


def test_snapshot_missed_on_a_full_or_failing_flash_is_asked_for_again(
        tmp_path, env):
    broker, server = env
    topic = wire.order_topic(1042)
    server.publish(topic, _snapshot(1), retain=True)
    server.hold_orders([1042])
    gun = MPProcess(tmp_path, script("sync_faults_missed"), heap="256k",
                    args=["/fl", str(broker.port), str(tmp_path)])
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


def test_errors_handling_messages_are_logged_and_the_session_goes_on(
        tmp_path, env):
    broker, server = env
    gun = MPProcess(tmp_path, script("sync_faults_errors"),
                    args=[str(tmp_path / "data"), str(broker.port),
                          str(tmp_path)])
    try:
        gun.expect("ONLINE")
        assert gun.expect("ACKED") == "ACKED 1"     # recorded all the same
        server.hold_orders([66, 67, 68])
        for oid in (66, 67, 68):
            server.publish(wire.order_topic(oid), json.dumps(
                wire.snapshot(oid, 1, "placed", "C", [], [], [])),
                retain=True)
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
