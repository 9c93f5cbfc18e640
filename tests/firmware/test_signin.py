"""Who picked it, and lots the gun refuses (docs/protocol.md, Roster and
Lots message), in the real MicroPython against a real Mosquitto: the gun
signs in with the roster the broker retains, refuses a held lot's bottle,
and every event it sends carries `by`; rebooted with WiFi off it does the
same from what it kept on flash; once the roster withdraws the badge the
associate signed in is signed out and the badge refused
(mp/signin_sync.py)."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import check, script  # noqa: E402
from mp_run import MPProcess  # noqa: E402
from test_sync import _touch, _wait  # noqa: E402

from shared import wire  # noqa: E402
from tools.simulate import MPY_CODE_ALLOWANCE_K  # noqa: E402

BODY = "PGS:42:K3J9XQ2M7PLA"
ANA = {"id": 42, "n": "Ana P.", "h": wire.badge_hash(BODY)}
BEN = {"id": 7, "n": "Ben K.", "h": wire.badge_hash("PGS:7:AAAABBBBCCCC")}
LINES = [{"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL", "qty": 3, "got": 0}]



def _gun(tmp_path, broker, phase):
    (tmp_path / "port").write_text("")
    return MPProcess(tmp_path, script("signin_sync"),
                     heap="%dk" % (110 + MPY_CODE_ALLOWANCE_K), args=[
        str(tmp_path / "data"), str(broker.port), str(tmp_path), phase])


def _events(server):
    return [ev for evs in server.committed.values() for ev in evs.values()]


def test_sign_in_online_offline_and_revoked(tmp_path, env):
    broker, server = env
    server.publish(wire.ROSTER_TOPIC, wire.encode(
        wire.roster([ANA, BEN], required=True, idle=900)), retain=True)
    server.publish(wire.LOTS_TOPIC, wire.encode(
        wire.lots([["L2311A", "lot_on_hold"]])), retain=True)
    server.publish(wire.order_topic(1042), wire.encode(wire.snapshot(
        1042, 1, "placed", "Jane Doe", LINES, [], [])), retain=True)
    server.hold_orders([1042])

    gun = _gun(tmp_path, broker, "online")
    try:
        assert gun.expect("BOOT") == "BOOT False 0 None 0"
        assert gun.expect("ROSTER") == "ROSTER True 2 lot_on_hold"
        # the gate: no order before a sign-in
        assert gun.expect("GATE") == \
            "GATE refused sign_in by=0 | REFUSED | "
        assert gun.expect("HELLO") == "HELLO staff signed_in by=42 | " \
            "HELLO | "
        assert gun.expect("ORDER").startswith(
            "ORDER order None by=42 | 1042 Ana P. | ")
        assert gun.expect("HELD") == \
            "HELD refused lot_on_hold by=42 | REFUSED | "
        assert gun.expect("PICK").startswith(
            "PICK picking None by=42 | 1042 Ana P. |")
        gun.expect("SYNCED")
        assert gun.wait() == 0
    finally:
        gun.kill()
    # each with its beep: the sign-in's, the held lot's error beep
    lines = gun.lines
    for tag, beep in (("GATE", "err"), ("HELLO", "ok"), ("HELD", "err")):
        at = [i for i, x in enumerate(lines) if x.startswith(tag)][0]
        assert lines[at - 1] == "BEEP " + beep, lines
    events = _events(server)
    assert [(e["k"], e["c"][:10], e.get("by")) for e in events] == [
        ("pick", "PGB:B-ONL:", 42)], events

    # Rebooted with WiFi off: the roster and the lots from flash.
    _touch(tmp_path, "wifi_off")
    gun = _gun(tmp_path, broker, "offline")
    try:
        assert gun.expect("BOOT") == "BOOT True 2 lot_on_hold 0"
        assert gun.expect("GATE") == \
            "GATE refused sign_in by=0 | REFUSED | "
        assert gun.expect("HELLO").startswith("HELLO staff signed_in by=42")
        assert gun.expect("HELD") == \
            "HELD refused lot_on_hold by=42 | REFUSED | "
        assert gun.expect("PICK").startswith(
            "PICK picking None by=42 | 1042 Ana P. |")
        assert gun.wait() == 0
    finally:
        gun.kill()
    (tmp_path / "wifi_off").unlink()

    # Online again: the offline pick goes out with its `by`; then the
    # badge is withdrawn while its associate is signed in.
    gun = _gun(tmp_path, broker, "revoked")
    try:
        assert gun.expect("HELLO").startswith("HELLO staff signed_in by=42")
        gun.expect("READY")
        server.publish(wire.ROSTER_TOPIC, wire.encode(
            wire.roster([BEN], required=True, idle=900)), retain=True)
        assert gun.expect("GONE") == "GONE staff signed_out by=0 | BYE | "
        assert gun.expect("REFUSED") == \
            "REFUSED refused badge_unknown by=0 | REFUSED | "
        assert gun.expect("GATE") == \
            "GATE refused sign_in by=0 | REFUSED | "
        assert gun.wait() == 0
    finally:
        gun.kill()
    _wait(lambda: len(_events(server)) == 2)
    assert [(e["c"][:10], e.get("by")) for e in _events(server)] == [
        ("PGB:B-ONL:", 42), ("PGB:B-OFF:", 42)]


def _write(path, payloads):
    with open(path, "wb") as f:
        for p in payloads:
            p = p if isinstance(p, bytes) else json.dumps(p).encode()
            assert len(p) <= 8192               # the gun's receive buffer
            f.write(len(p).to_bytes(2, "little") + p)


JUNK = [b"null", b"[]", b"{", b"\xff\xfe\x00", b"x" * 8000,
        b" " * 100 + b"{" * 3000, b"[" * 500, b'{"v": true}',
        b'{"v": 2, "req": false, "idle": 0, "s": []}',
        b'{"v": 1.0, "lots": []}', b'"' + b"a" * 8000 + b'"',
        b'{"v": 1, "lots": [["L1", "lot_on_hold"]], ' + b'"x": 1, ' * 300 +
        b'"y": 2}']


def test_hostile_rosters_and_lots_change_nothing(tmp_path):
    from test_staff import HOSTILE_LOTS, HOSTILE_ROSTERS
    _write(tmp_path / "roster.bin", HOSTILE_ROSTERS + JUNK)
    _write(tmp_path / "lots.bin", HOSTILE_LOTS + JUNK[:-1])
    out = check(script("staff_hostile"), cwd=str(tmp_path),
                heapsize="%dk" % (110 + MPY_CODE_ALLOWANCE_K))
    n = len(HOSTILE_ROSTERS) + len(HOSTILE_LOTS) + 2 * len(JUNK) - 1
    assert "REFUSED %d" % n in out and out.strip().endswith("OK"), out
