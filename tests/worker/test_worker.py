"""The worker against a real Mosquitto: acks after commit, duplicates,
malformed traffic, the ACL, restarts of worker and broker, snapshots."""
import json
import os
import signal
import socket
import sqlite3
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from server.core import db as dbm
from server.core.history import bump_rev
from server.gunlink.ingest_parse import MAX_PAYLOAD
from server.gunlink.worker import CLEAR_SAVED_AFTER
from server.orders import actions
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
    with dbm.transaction(demo):
        demo["notes"].insert({"order_id": 1001, "text": "Fragile",
                              "created_at": dbm.now()})
        bump_rev(demo, 1001)
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


def _settled(db_path):
    """Every order's latest revision dealt with by the outbox."""
    wait_until(lambda: count(db_path, "SELECT count(*) FROM orders WHERE "
                             "rev != published_rev") == 0)


def _set_status(db, order_id, status):
    """A status change as the web app makes it: the revision goes up."""
    with dbm.transaction(db):
        db.execute("UPDATE orders SET status = ? WHERE id = ?",
                   [status, order_id])
        bump_rev(db, order_id)


def _rev(db_path, order_id):
    return count(db_path, "SELECT rev FROM orders WHERE id = ?", [order_id])


def test_closed_orders_snapshots_are_cleared_after_a_while(demo, db_path,
                                                          worker, broker):
    """A closed order's retained snapshot stays for CLEAR_AFTER_DAYS, then
    the broker drops it: guns connecting later get only what matters."""
    _settled(db_path)
    _set_status(demo, 1002, "cancelled")
    wait_until(lambda: count(db_path, "SELECT published_rev FROM orders "
                             "WHERE id = 1002") == _rev(db_path, 1002))
    early = FakeGun(broker, "G01", snapshots=True)
    try:
        snap = wait_until(lambda: _latest(early, 1002))    # still retained
        assert (snap["st"], snap["pick"]) == ("cancelled", False)
    finally:
        early.close()
    # Subscribed (1001's retained snapshot arrived) before the clearing is
    # due, so the clearing reaches this gun however fast the worker is.
    late = FakeGun(broker, "G02", snapshots=True)
    try:
        wait_until(lambda: _latest(late, 1001))
        with dbm.transaction(demo):   # as if its last change were long ago
            demo.execute("UPDATE orders SET published_at = "
                         "'2000-01-01 00:00:00' WHERE id IN (1001, 1002)")
        wait_until(lambda: 1002 in late.cleared)
    finally:
        late.close()
    # Recorded once the broker has had time to save it.
    wait_until(lambda: count(db_path, "SELECT cleared_rev = rev FROM orders "
                             "WHERE id = 1002") == 1,
               timeout=CLEAR_SAVED_AFTER + 10)
    # An order awaiting fulfilment is never cleared, however old.
    assert count(db_path, "SELECT cleared_rev FROM orders WHERE id = 1001") \
        == 0
    late = FakeGun(broker, "G02", snapshots=True)
    try:
        wait_until(lambda: _latest(late, 1001))
        time.sleep(0.3)
        assert 1002 not in late.snapshots
        # A later change is not published: no gun holds the order now.
        with dbm.transaction(demo):
            bump_rev(demo, 1002)
        _settled(db_path)
        time.sleep(0.3)
        assert 1002 not in late.snapshots
    finally:
        late.close()
    assert count(db_path, "SELECT cleared_rev = rev AND published_at < "
                 "'2000-01-02' FROM orders WHERE id = 1002") == 1


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
    from server.gunlink.worker import _Client, _write_when_selected
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


def test_orders_get_snapshots_once_placed_and_until_closed(demo, db_path,
                                                           worker,
                                                           gun_factory):
    """Open and Awaiting Payment orders, and orders closed before they were
    ever placed, get no snapshot; placed ones do, with the client's first
    name and initial; picking reset and cancelling reach the guns."""
    gun = gun_factory(snapshots=True)
    _settled(db_path)
    wait_until(lambda: _latest(gun, 1001))
    with dbm.transaction(demo):
        demo["orders"].insert({"id": 1005, "client_id": 1, "status": "open",
                               "created_at": dbm.now()})
    actions.apply_action(demo, 1005, "cancel", "tester")
    _set_status(demo, 1003, "awaiting_payment")
    _settled(db_path)
    time.sleep(0.3)
    for order_id in (1003, 1004, 1005):
        assert order_id not in gun.snapshots
        # dealt with, nothing retained, nothing to clear
        assert count(db_path, "SELECT published_rev = rev AND cleared_rev "
                     "= rev AND published_at IS NULL FROM orders WHERE id "
                     "= ?", [order_id]) == 1

    _set_status(demo, 1003, "placed")
    snap = wait_until(lambda: _latest(gun, 1003))
    assert (snap["st"], snap["pick"], snap["cl"]) == ("placed", True,
                                                       "Ada C.")
    gun.pick("B0001", order=1003)
    gun.wait_acked(1)
    assert wait_until(lambda: _latest(gun, 1003)["bot"]) == ["B0001"]
    actions.apply_action(demo, 1003, "reset_picking", "tester")
    snap = wait_until(lambda: _latest(gun, 1003)["rev"] == _rev(db_path, 1003)
                      and _latest(gun, 1003))
    assert (snap["bot"], snap["lines"][0]["got"], snap["pick"]) == \
        ([], 0, True)
    actions.apply_action(demo, 1003, "cancel", "tester")
    snap = wait_until(lambda: _latest(gun, 1003)["rev"] == _rev(db_path, 1003)
                      and _latest(gun, 1003))
    assert (snap["st"], snap["pick"]) == ("cancelled", False)
    assert b"Client" not in json.dumps(gun.snapshots).encode()


# ------------------------------------------------- a broker that crashes
SAVED = b"Saving in-memory database"


def _log_size(broker):
    return broker.log.stat().st_size


def _saved_since(broker, offset):
    with open(broker.log, "rb") as f:
        f.seek(offset)
        return SAVED in f.read()


def _save_now(broker):
    """Have the broker write its persistent store, and wait until it has."""
    mark = _log_size(broker)
    os.kill(broker.proc.pid, signal.SIGUSR1)
    wait_until(lambda: _saved_since(broker, mark))


def _crash(broker):
    """kill -9 the broker, then start it again on its persistent store:
    it comes back as it was at its last save."""
    proc, broker.proc = broker.proc, None
    proc.kill()
    proc.wait()
    proc.stderr.close()
    broker.start()


def _place(demo, order_id):
    with dbm.transaction(demo):
        demo["orders"].insert({"id": order_id, "client_id": 1,
                               "status": "placed", "created_at": dbm.now()})
        demo["order_lines"].insert({"order_id": order_id,
                                    "sku": "CAPS-10", "qty": 1})


def test_broker_crash_does_not_bring_back_a_stale_snapshot(demo, db_path,
                                                           broker, worker):
    """An order cancelled after the broker's last save, then kill -9: the
    broker comes back with the order's placed snapshot; the worker
    publishes every retained snapshot again once reconnected, so no gun
    picks for the cancelled order."""
    for order_id in range(2001, 2006):     # another try if it saved anyway
        _place(demo, order_id)
        wait_until(lambda o=order_id: count(
            db_path, "SELECT published_rev FROM orders WHERE id = ?",
            [o]) == 1)
        _save_now(broker)                  # the broker has it placed
        mark = _log_size(broker)
        _set_status(demo, order_id, "cancelled")
        wait_until(lambda o=order_id: count(
            db_path, "SELECT published_rev FROM orders WHERE id = ?",
            [o]) == 2)
        connects = worker.stats["connects"]
        _crash(broker)
        if not _saved_since(broker, mark):
            break
        wait_until(lambda n=connects: worker.stats["connects"] > n)
    else:
        raise AssertionError("the broker saved before every crash")
    wait_until(lambda: worker.stats["connects"] > connects)
    gun = FakeGun(broker, "G01", snapshots=True)
    try:
        snap = wait_until(lambda: _latest(gun, order_id) and
                          _latest(gun, order_id)["rev"] == 2 and
                          _latest(gun, order_id))
        assert (snap["st"], snap["pick"]) == ("cancelled", False)
    finally:
        gun.close()
    # What a gun connecting now is handed first is the cancellation.
    late = FakeGun(broker, "G02", snapshots=True)
    try:
        first = wait_until(lambda: late.snapshots.get(order_id))[0]
        assert (first["st"], first["pick"]) == ("cancelled", False)
    finally:
        late.close()


def test_broker_crash_does_not_bring_back_a_cleared_snapshot(demo, db_path,
                                                             broker, worker):
    """A closed order's snapshot cleared after the broker's last save, then
    kill -9: the broker brings the snapshot back; the clearing was not
    recorded yet (the broker had not had time to save it), so the worker
    clears it again and every gun connecting later is spared it."""
    watcher = FakeGun(broker, "G02", snapshots=True)
    try:
        for order_id in range(2001, 2006):
            _place(demo, order_id)
            wait_until(lambda o=order_id: count(
                db_path, "SELECT published_rev FROM orders WHERE id = ?",
                [o]) == 1)
            _set_status(demo, order_id, "cancelled")
            wait_until(lambda o=order_id: count(
                db_path, "SELECT published_at IS NOT NULL AND "
                "published_rev = 2 FROM orders WHERE id = ?", [o]) == 1)
            _save_now(broker)              # the broker has it cancelled
            mark = _log_size(broker)
            with dbm.transaction(demo):          # seven days on
                demo.execute("UPDATE orders SET published_at = "
                              "'2000-01-01 00:00:00' WHERE id = ?",
                              [order_id])
            wait_until(lambda o=order_id: o in watcher.cleared)
            assert count(db_path, "SELECT cleared_rev FROM orders WHERE "
                         "id = ?", [order_id]) == 0
            connects = worker.stats["connects"]
            _crash(broker)
            if not _saved_since(broker, mark):
                break
            wait_until(lambda n=connects: worker.stats["connects"] > n)
        else:
            raise AssertionError("the broker saved before every crash")
    finally:
        watcher.close()
    wait_until(lambda: worker.stats["connects"] > connects)
    wait_until(lambda: count(db_path, "SELECT cleared_rev FROM orders "
                             "WHERE id = ?", [order_id]) == 2,
               timeout=CLEAR_SAVED_AFTER + 10)
    late = FakeGun(broker, "G01", snapshots=True)
    try:
        wait_until(lambda: _latest(late, 1001))
        time.sleep(0.3)
        assert order_id not in late.snapshots
    finally:
        late.close()


def test_republishing_after_a_reconnect_lets_acks_through(demo, db_path,
                                                          broker, worker):
    """Thousands of retained snapshots go out again after a reconnection a
    page at a time: a gun's event is acked before they are all out."""
    many = 3000
    with dbm.transaction(demo):
        demo["orders"].insert_all(
            {"id": 10000 + i, "client_id": 1, "status": "placed",
             "created_at": dbm.now()} for i in range(many))
        demo["order_lines"].insert_all(
            {"order_id": 10000 + i, "sku": "CAPS-10", "qty": 1}
            for i in range(many))
    _settled(db_path)
    seen = []                           # ("snap", id) and ("ack", upto)
    gun = FakeGun(broker, "G01", snapshots=True)
    gun.on_ack = lambda ack: seen.append(("ack", ack["upto"]))
    real = gun._on_message

    def on_message(client, userdata, msg):
        if msg.topic.startswith("pickgun/order/") and not msg.retain:
            seen.append(("snap", int(msg.topic.rsplit("/", 1)[1])))
        real(client, userdata, msg)
    gun.client.on_message = on_message
    try:
        connects = worker.stats["connects"]
        # Another client with the worker's id: the broker drops the worker,
        # which reconnects (the gun's event waits in its session).
        kicker = mqtt.Client(CallbackAPIVersion.VERSION2,
                             client_id=broker.worker_user,
                             protocol=mqtt.MQTTv311)
        kicker.username_pw_set(broker.worker_user, broker.worker_password)
        kicker.connect(broker.host, broker.port)
        kicker.loop_start()
        wait_until(lambda: not worker.connected.is_set() or
                   worker.stats["connects"] > connects)
        kicker.disconnect()
        kicker.loop_stop()
        gun.pick("B0001")
        gun.wait_acked(1, timeout=60)
        wait_until(lambda: len([s for s in seen if s[0] == "snap"])
                   >= many, timeout=60)
    finally:
        gun.close()
    before_ack = seen.index(("ack", 1))
    assert before_ack < many // 2, before_ack
