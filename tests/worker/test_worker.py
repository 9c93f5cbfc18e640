"""The worker against a real Mosquitto: acks after commit, duplicates,
malformed traffic, the ACL, restarts of worker and broker, snapshots."""
import json
import socket
import sqlite3
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from server import order_states
from server import db as dbm
from server import snapshots
from server.ingest import MAX_PAYLOAD
from shared import wire
from worker_support import FakeGun, code, start_worker, wait_until


def count(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def test_ack_published_only_after_commit(demo, db_path, worker, gun_factory):
    gun = gun_factory()
    seen = []

    def on_ack(ack):
        # Another connection, as the web app would read: already committed.
        seen.append(count(db_path, "SELECT count(*) FROM picks WHERE "
                          "status = 'accepted' AND serial = 'B0001'"))
    gun.on_ack = on_ack
    gun.pick("B0001")
    gun.wait_acked(1)
    assert seen and seen[0] == 1
    assert gun.rejected == {}


def test_rejection_reaches_the_gun(demo, worker, gun_factory):
    gun = gun_factory()
    gun.pick("B9999")
    gun.wait_acked(1)
    assert gun.rejected[1]["why"] == "unknown_bottle"


def test_duplicate_delivery_is_one_pick(demo, db_path, worker, gun_factory):
    gun = gun_factory()
    seq = gun.pick("B0001")
    gun.wait_acked(1)
    acks_before = len(gun.acks)
    gun.send(wire.PICK, 1001, code("B0001"), seq=seq)    # the ack was lost
    wait_until(lambda: len(gun.acks) > acks_before)
    assert gun.acks[-1]["upto"] == 1 and gun.acks[-1]["rej"] == []
    assert count(db_path, "SELECT count(*) FROM picks") == 1
    assert count(db_path, "SELECT count(*) FROM device_events") == 1


def test_malformed_traffic_is_recorded_and_skipped(demo, db_path, broker,
                                                    worker, gun_factory):
    gun = gun_factory()
    evt = wire.dev_topic("G01", wire.EVT)
    status = wire.dev_topic("G01", wire.STATUS)
    good = wire.event(4242, 1, wire.PICK, 1001, 0, "PGB:X")
    bad = [
        (evt, b"not json"),
        (evt, b"[1,2,3]"),
        (evt, json.dumps(dict(good, v=9)).encode()),
        (evt, json.dumps({"v": 1, "ep": 1, "k": "pick"}).encode()),
        (evt, json.dumps(dict(good, seq="one")).encode()),
        (evt, json.dumps(dict(good, v=True)).encode()),
        (status, b"\xff\xfe"),
        (status, json.dumps({"v": 1, "online": "yes"}).encode()),
    ]
    # Readable identity, broken limits: acked as rejected (bad_event), in
    # an epoch of their own so the gun's journal is not concerned.
    refused = [dict(good, ep=99, seq=1, k="teleport"),
               dict(good, ep=99, seq=2, pad="x" * MAX_PAYLOAD)]
    for topic, payload in bad + [(evt, json.dumps(r).encode())
                                 for r in refused]:
        gun.client.publish(topic, payload, qos=1).wait_for_publish(5)
    # A broker user whose name is no device id (allowed by its ACL pattern).
    other = FakeGun(broker, "bad_id")
    other.client.publish("pickgun/dev/bad_id/evt", wire.encode(good),
                         qos=1).wait_for_publish(5)
    other.close()
    wait_until(lambda: count(db_path, "SELECT count(*) FROM "
                             "malformed_messages") == len(bad) + 1)
    gun.pick("B0001")
    gun.wait_acked(1)
    assert count(db_path, "SELECT count(*) FROM picks WHERE status = "
                 "'accepted'") == 1
    assert count(db_path, "SELECT count(*) FROM malformed_messages WHERE "
                 "device_id = 'bad_id'") == 1
    assert count(db_path, "SELECT count(*) FROM device_events WHERE ep = 99 "
                 "AND outcome = 'rejected' AND reason = 'bad_event'") == 2
    wait_until(lambda: {(r["seq"], r["why"]) for a in list(gun.acks)
                        if a["ep"] == 99 for r in a["rej"]} ==
               {(1, "bad_event"), (2, "bad_event")})


def test_gun_cannot_publish_as_another(demo, db_path, worker, gun_factory):
    g01 = gun_factory("G01")
    g02 = gun_factory("G02")
    forged = wire.event(4242, 1, wire.PICK, 1001, 0, code("B0001"))
    g02.client.publish(wire.dev_topic("G01", wire.EVT), wire.encode(forged),
                       qos=1).wait_for_publish(5)   # PUBACKed, then dropped
    time.sleep(0.3)
    g01.pick("B0002")
    g01.wait_acked(1)
    time.sleep(0.3)
    assert count(db_path, "SELECT count(*) FROM device_events") == 1
    assert count(db_path, "SELECT count(*) FROM picks WHERE serial = "
                 "'B0001'") == 0


def _mixed_order(db):
    """Order 1002 takes 20 bottles and has notes 21..60 to acknowledge."""
    db.execute("UPDATE order_lines SET qty = 20 WHERE order_id = 1002")
    db["notes"].insert_all([{"id": n, "order_id": 1002, "text": "n"}
                            for n in range(21, 61)])


def _send_mixed(gun, first, last):
    """Picks of B0001..B0020 for order 1002, notes acks after that."""
    for n in range(first, last + 1):
        if n <= 20:
            gun.pick("B%04d" % n, order=1002)
        else:
            gun.send(wire.NOTES_ACK, 1002, notes=[n])


def _assert_each_once(db_path, total):
    assert count(db_path, "SELECT count(*) FROM device_events") == total
    assert count(db_path, "SELECT count(DISTINCT seq) FROM device_events "
                 "WHERE device_id = 'G01'") == total
    assert count(db_path, "SELECT count(*) FROM picks WHERE status = "
                 "'accepted'") == 20
    assert count(db_path, "SELECT count(*) FROM order_history WHERE "
                 "action = 'notes_ack'") == total - 20
    assert count(db_path, "SELECT upto FROM devices WHERE id = 'G01'") \
        == total


def test_worker_restart_loses_nothing(demo, db_path, broker, gun_factory):
    _mixed_order(demo)
    worker = start_worker(broker, db_path)
    gun = gun_factory()
    _send_mixed(gun, 1, 30)
    wait_until(lambda: gun.upto >= 5)
    worker.stop()                      # mid-stream
    _send_mixed(gun, 31, 60)           # queued by the broker meanwhile
    worker = start_worker(broker, db_path)
    try:
        gun.wait_acked(60, timeout=30)
    finally:
        worker.stop()
    _assert_each_once(db_path, 60)


def test_broker_restart_loses_nothing(demo, db_path, broker, worker,
                                      gun_factory):
    _mixed_order(demo)
    gun = gun_factory()
    _send_mixed(gun, 1, 30)
    wait_until(lambda: gun.upto >= 5)
    broker.restart()                   # mid-stream
    _send_mixed(gun, 31, 60)
    gun.wait_acked(60, timeout=30)
    assert worker.connected.wait(10)
    _assert_each_once(db_path, 60)


def _latest(gun, order_id):
    snaps = gun.snapshots.get(order_id) or []
    return snaps[-1] if snaps else None


def test_snapshots_published_and_republished(demo, db_path, worker,
                                             gun_factory, broker):
    gun = gun_factory(snapshots=True)
    snap = wait_until(lambda: _latest(gun, 1001))
    wire.check_snapshot(snap)
    assert (snap["rev"], snap["st"], snap["pick"]) == (1, "placed", True)
    wait_until(lambda: count(db_path, "SELECT published_rev FROM orders "
                             "WHERE id = 1001") == 1)

    # A note added by the web app: same transaction bumps the revision.
    with dbm.write(demo):
        demo["notes"].insert({"order_id": 1001, "text": "Fragile",
                              "created_at": dbm.now()})
        snapshots.bump_rev(demo, 1001)
    snap = wait_until(lambda: _latest(gun, 1001)["rev"] == 2
                      and _latest(gun, 1001))
    assert [n["text"] for n in snap["notes"]] == ["Fragile"]
    wait_until(lambda: count(db_path, "SELECT published_rev FROM orders "
                             "WHERE id = 1001") == 2)

    # Unchanged: the outbox is empty, nothing goes out again.
    sent = len(gun.snapshots[1001])
    time.sleep(0.8)
    assert len(gun.snapshots[1001]) == sent

    # Retained: a gun that connects later gets the latest revision.
    late = FakeGun(broker, "G02", snapshots=True)
    try:
        assert wait_until(lambda: _latest(late, 1001))["rev"] == 2
    finally:
        late.close()


def test_closed_orders_snapshots_are_cleared_after_a_while(demo, db_path,
                                                          worker, broker):
    """A closed order's retained snapshot stays for CLEAR_AFTER_DAYS, then
    the broker drops it: guns connecting later get only what matters."""
    wait_until(lambda: count(db_path, "SELECT count(*) FROM orders WHERE "
                             "rev != published_rev") == 0)
    status = demo.execute("SELECT status FROM orders WHERE id = 1004"
                          ).fetchone()[0]
    assert not order_states.awaiting_fulfilment(status)
    early = FakeGun(broker, "G01", snapshots=True)
    try:
        wait_until(lambda: _latest(early, 1004))    # still retained
    finally:
        early.close()
    with dbm.write(demo):       # as if its last change were long ago
        demo.execute("UPDATE orders SET published_at = '2000-01-01 00:00:00'"
                     " WHERE id IN (1001, 1004)")
    wait_until(lambda: count(db_path, "SELECT cleared_rev = rev FROM orders "
                             "WHERE id = 1004") == 1)
    # An order awaiting fulfilment is never cleared, however old.
    assert count(db_path, "SELECT cleared_rev FROM orders WHERE id = 1001") \
        == 0
    late = FakeGun(broker, "G02", snapshots=True)
    try:
        wait_until(lambda: _latest(late, 1001))
        time.sleep(0.3)
        assert 1004 not in late.snapshots
    finally:
        late.close()
    # A later change publishes it again, retained, and the clock restarts.
    with dbm.write(demo):
        snapshots.bump_rev(demo, 1004)
    wait_until(lambda: count(db_path, "SELECT published_rev = rev AND "
                             "published_at > '2000-01-02' FROM orders "
                             "WHERE id = 1004") == 1)
    assert count(db_path, "SELECT cleared_rev < rev FROM orders "
                 "WHERE id = 1004") == 1


def test_pick_republishes_snapshot(demo, worker, gun_factory):
    gun = gun_factory(snapshots=True)
    wait_until(lambda: _latest(gun, 1001))
    gun.pick("B0001")
    gun.wait_acked(1)
    snap = wait_until(lambda: _latest(gun, 1001)["rev"] == 2
                      and _latest(gun, 1001))
    assert snap["bot"] == ["B0001"]
    assert snap["lines"][0]["got"] == 1


def test_worker_stops_cleanly(db_path, broker):
    w = start_worker(broker, db_path)
    started = time.monotonic()
    w.stop()
    assert time.monotonic() - started < 5
    assert w._thread is None


def test_reconnect_republishes_orders_awaiting_fulfilment(demo, db_path,
                                                          broker, worker):
    wait_until(lambda: count(db_path, "SELECT count(*) FROM orders WHERE "
                             "rev != published_rev") == 0)
    # Wipe the retained snapshot, as a broker that lost its store would.
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="wiper",
                    protocol=mqtt.MQTTv311)
    c.username_pw_set(broker.worker_user, broker.worker_password)
    c.connect(broker.host, broker.port)
    c.loop_start()
    c.publish(wire.order_topic(1001), b"", qos=1,
              retain=True).wait_for_publish(5)  # also kicks the worker off
    c.disconnect()
    c.loop_stop()
    connects = worker.stats["connects"]
    wait_until(lambda: worker.stats["connects"] > connects)
    gun = FakeGun(broker, "G01", snapshots=True)
    try:
        assert wait_until(lambda: _latest(gun, 1001))["rev"] == 1
        time.sleep(0.3)
        assert 1004 not in gun.snapshots or \
            gun.snapshots[1004][-1]["st"] == "cancelled"
    finally:
        gun.close()


def test_pubacks_queued_together_leave_in_one_send():
    """The worker's paho client joins the PUBACKs queued between two
    writes (it relies on paho 2.x internals: this guards an upgrade)."""
    from server.worker import _Client, _write_when_selected
    c = _Client(CallbackAPIVersion.VERSION2, client_id="t",
                protocol=mqtt.MQTTv311)
    c.on_socket_register_write = _write_when_selected
    sent = []

    def send(buf):
        sent.append(bytes(buf))
        return len(buf)
    c._sock_send = send
    mine, other = socket.socketpair()   # "connected": packets wait
    c._sock = mine
    try:
        for mid in (1, 2, 3):
            c._send_puback(mid)
        c._send_pingreq()
        c._send_puback(4)
        assert c.want_write()
        c._packet_write()
    finally:
        c._sock = None
        mine.close()
        other.close()
    assert sent == [b"\x40\x02\x00\x01\x40\x02\x00\x02\x40\x02\x00\x03",
                    b"\xc0\x00", b"\x40\x02\x00\x04"]
    assert not c.want_write()
