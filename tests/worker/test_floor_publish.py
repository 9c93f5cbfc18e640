"""The roster and the lots message reach the guns through a real
Mosquitto: retained, published again only when they change, and read-only
for the guns (the broker's ACL)."""
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from server.core import db as dbm
from server.staff.roster import roster_payload
from shared import wire
from worker_support import GUN_PASSWORDS, make_demo, wait_until

FLOOR = [wire.ROSTER_TOPIC, wire.LOTS_TOPIC]


def add_staff(db, staff_id, name, badge, issued, revoked=None):
    with dbm.transaction(db):
        db["staff"].insert({
            "id": staff_id, "username": "u%d" % staff_id, "name": name,
            "role": "associate", "password_hash": "x", "active": 1,
            "badge_hash": wire.badge_hash(badge), "badge_issued_at": issued,
            "badge_revoked_at": revoked})


def got(gun, topic):
    return [wire.decode(p) for t, p in list(gun.other) if t == topic]


def test_roster_payload(db):
    add_staff(db, 42, "Ana Maria Pereira-Longname", "PGS:42:K3J9XQ2M7PLA",
              "2026-01-02")
    add_staff(db, 7, "Bo", "PGS:7:AAAAAAAAAAAA", "2026-01-01",
              revoked="2026-01-03")
    add_staff(db, 8, None, "PGS:8:BBBBBBBBBBBB", "2026-01-01")
    with dbm.transaction(db):
        db.execute("UPDATE staff SET active = 0 WHERE id = 8")
        db.execute("INSERT INTO settings VALUES ('signin_required', '1')")
    roster = wire.check_roster(roster_payload(db))
    assert roster == {"v": 1, "req": True, "idle": 900, "s": [
        {"id": 42, "n": "Ana P.", "h": wire.badge_hash(
            "PGS:42:K3J9XQ2M7PLA")}]}


def test_roster_keeps_the_most_recently_issued(db):
    with dbm.transaction(db):
        for i in range(1, wire.ROSTER_MAX + 6):
            db["staff"].insert({
                "id": i, "username": "u%d" % i, "role": "associate",
                "password_hash": "x", "badge_hash": "%016x" % i,
                "badge_issued_at": "2026-01-01 00:00:%02d" % (i % 60)
                if i > 5 else "2025-01-01"})
    ids = [e["id"] for e in wire.check_roster(roster_payload(db))["s"]]
    assert ids == list(range(6, wire.ROSTER_MAX + 6))
    assert len(wire.encode(roster_payload(db))) < 8192


def test_roster_and_lots_are_retained_and_sent_again_on_change(
        db, worker, gun_factory):
    make_demo(db)
    add_staff(db, 42, "Ana Pereira", "PGS:42:K3J9XQ2M7PLA", "2026-01-02")
    with dbm.transaction(db):
        db.execute("UPDATE lots SET status = 'on_hold' WHERE id = 'L2311A'")
    early = gun_factory("G01", topics=FLOOR)
    wait_until(lambda: got(early, wire.LOTS_TOPIC) and
               got(early, wire.ROSTER_TOPIC) and
               got(early, wire.LOTS_TOPIC)[-1]["lots"])
    # Retained: a gun that comes later gets both at once.
    late = gun_factory("G02", topics=FLOOR)
    wait_until(lambda: got(late, wire.LOTS_TOPIC) and
               got(late, wire.ROSTER_TOPIC))
    assert got(late, wire.LOTS_TOPIC)[-1] == {
        "v": 1, "lots": [["L2311A", "lot_on_hold"]]}
    assert [e["id"] for e in got(late, wire.ROSTER_TOPIC)[-1]["s"]] == [42]
    # Nothing changed: nothing sent again (the worker reads them every
    # second).
    rosters, lots = (len(got(early, t)) for t in FLOOR)
    time.sleep(2.5)
    assert (len(got(early, wire.ROSTER_TOPIC)),
            len(got(early, wire.LOTS_TOPIC))) == (rosters, lots)
    # A badge revoked: the roster goes again, the lots message does not.
    with dbm.transaction(db):
        db.execute("UPDATE staff SET badge_revoked_at = '2026-02-01' "
                   "WHERE id = 42")
    wait_until(lambda: got(early, wire.ROSTER_TOPIC)[-1]["s"] == [])
    assert len(got(early, wire.LOTS_TOPIC)) == lots
    # The lot recalled: the lots message goes again.
    with dbm.transaction(db):
        db.execute("UPDATE lots SET status = 'recalled' "
                   "WHERE id = 'L2311A'")
    wait_until(lambda: got(early, wire.LOTS_TOPIC)[-1]["lots"] == [
        ["L2311A", "lot_recalled"]])


def _client(broker, device):
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=device,
                    protocol=mqtt.MQTTv311)
    c.username_pw_set(device, GUN_PASSWORDS[device])
    c.connect(broker.host, broker.port)
    c.loop_start()
    return c


def test_a_gun_reads_the_roster_and_lots_and_cannot_publish_them(broker):
    worker = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="w",
                         protocol=mqtt.MQTTv311)
    worker.username_pw_set(broker.worker_user, broker.worker_password)
    worker.connect(broker.host, broker.port)
    worker.loop_start()
    for topic in FLOOR:
        worker.publish(topic, b'{"v": 1, "real": 1}', qos=1,
                       retain=True).wait_for_publish(5)
    evil = _client(broker, "G01")
    for topic in FLOOR:
        evil.publish(topic, b'{"v": 1, "evil": 1}', qos=1,
                     retain=True).wait_for_publish(5)
    received = {}
    reader = _client(broker, "G02")
    reader.on_message = lambda c, u, m: received.setdefault(
        m.topic, []).append((m.payload, m.retain))
    reader.subscribe([(t, 1) for t in FLOOR])
    try:
        wait_until(lambda: len(received) == 2)
        time.sleep(0.3)
        assert received == {t: [(b'{"v": 1, "real": 1}', True)]
                            for t in FLOOR}
    finally:
        for c in (worker, evil, reader):
            c.disconnect()
            c.loop_stop()
