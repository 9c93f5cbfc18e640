"""Orders on demand and hold lists through a real Mosquitto and the
worker (docs/protocol.md, "Orders a gun holds, and orders on demand"):
gets answered on the gun's own topic, malformed ones dropped, hold lists
retained and republished only when they change, and the broker's ACL
keeping each gun to its own topics."""
import json
import sqlite3
import threading
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from server.core import db as dbm
from shared import wire
from worker_support import GUN_PASSWORDS, wait_until


class Listener:
    """A gun's MQTT client, as far as orders on demand go: it reads the
    topics it subscribes to (its own answer and hold topics by default)
    and sends gets."""

    def __init__(self, broker, device, topics=None):
        self.device = device
        self.messages = []           # (topic, payload bytes, retained)
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=device, clean_session=True,
                                  protocol=mqtt.MQTTv311)
        self.client.username_pw_set(device, GUN_PASSWORDS[device])
        subscribed = threading.Event()
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: subscribed.set()
        subs = [(t, 1) for t in topics or (wire.dev_topic(device, wire.ANSWER),
                                           wire.dev_topic(device, wire.HOLD))]

        def on_connect(client, *_):
            client.subscribe(subs)
        self.client.on_connect = on_connect
        self.client.connect(broker.host, broker.port, keepalive=10)
        self.client.loop_start()
        assert subscribed.wait(5), "no SUBACK"

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.messages.append((msg.topic, msg.payload, msg.retain))

    def on(self, kind, device=None):
        topic = wire.dev_topic(device or self.device, kind)
        with self.lock:
            return [(p, r) for t, p, r in self.messages if t == topic]

    def answers(self):
        return [json.loads(p) for p, _ in self.on(wire.ANSWER)]

    def holds(self):
        return [json.loads(p)["o"] if p else None
                for p, _ in self.on(wire.HOLD)]

    def get(self, payload, device=None):
        if isinstance(payload, int):
            payload = wire.encode(wire.get(payload))
        self.client.publish(wire.dev_topic(device or self.device, wire.GET),
                            payload, qos=1).wait_for_publish(5)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def listeners(broker):
    made = []

    def make(device, topics=None):
        listener = Listener(broker, device, topics)
        made.append(listener)
        return listener
    yield make
    for listener in made:
        listener.close()


@pytest.fixture
def fleet(demo):
    """G01 and G02 in service; 1002 shipped."""
    with dbm.transaction(demo):
        for device in ("G01", "G02"):
            demo.table("devices").insert({"id": device,
                                          "created_at": dbm.now()})
        demo.execute("UPDATE orders SET status = 'shipped' WHERE id = 1002")
    return demo


def query(db_path, sql, args=()):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_gets_are_answered_on_the_guns_own_topic(fleet, db_path, worker,
                                                  listeners):
    gun = listeners("G01")
    for order in (1001, 1002, 999999):
        gun.get(order)
    got = wait_until(lambda: len(gun.answers()) >= 3 and gun.answers())
    by_order = {a["o"]: a for a in got}
    assert wire.check_answer(by_order[1001]) is None
    assert by_order[1001]["pick"] is True and by_order[1001]["st"] == "placed"
    assert wire.check_answer(by_order[1002]) is None
    assert by_order[1002]["pick"] is False
    assert by_order[1002]["st"] == "shipped"
    assert by_order[999999] == wire.no_order(999999)
    assert wire.check_answer(by_order[999999]) == "unknown_order"
    assert not any(r for _, r in gun.on(wire.ANSWER))    # never retained
    # Asked for: touched; placed 1001 joins the gun's hold list first.
    assert sorted(query(db_path, "SELECT device_id, order_id FROM "
                        "device_touches")) == [("G01", 1001), ("G01", 1002)]
    wait_until(lambda: gun.holds() and gun.holds()[-1][0] == 1001)


MALFORMED_GETS = [
    b"not json", wire.encode({"v": 1, "o": True}),
    wire.encode({"v": 1, "o": 0}), wire.encode({"v": 1, "o": 10 ** 12}),
    wire.encode({"v": 1, "o": 1001, "pad": "x" * 100000}),
    wire.encode({"v": 2, "o": 1001}), wire.encode([1001]), b""]


def test_malformed_gets_are_dropped_and_the_worker_goes_on(
        fleet, db_path, worker, listeners):
    gun = listeners("G01")
    for payload in MALFORMED_GETS:
        gun.get(payload)
    gun.get(1001)
    wait_until(lambda: gun.answers())
    time.sleep(0.3)
    assert [a["o"] for a in gun.answers()] == [1001]
    assert query(db_path, "SELECT count(*) FROM malformed_messages "
                 "WHERE topic = 'pickgun/dev/G01/get'") == \
        [(len(MALFORMED_GETS),)]


def test_hold_lists_retained_for_each_gun_and_sent_again_only_on_change(
        fleet, db_path, worker, listeners):
    # Two guns, one placed order: both hold it (a small warehouse).
    g01, g02 = listeners("G01"), listeners("G02")
    wait_until(lambda: g01.holds() == [[1001]] and g02.holds() == [[1001]])
    g01.close()
    g01 = listeners("G01")               # connects again: the list is kept
    wait_until(lambda: g01.on(wire.HOLD))
    assert g01.on(wire.HOLD) == [(b'{"v": 1, "o": [1001]}', True)]
    time.sleep(2.5)                                        # two recomputes
    assert g01.holds() == [[1001]] and g02.holds() == [[1001]]
    with dbm.transaction(fleet):
        fleet.execute("UPDATE orders SET status = 'placed' WHERE id = 1002")
    wait_until(lambda: g01.holds()[-1:] == [[1001, 1002]])
    wait_until(lambda: g02.holds()[-1:] == [[1001, 1002]])
    # A retired gun's list is cleared: an empty retained message.
    with dbm.transaction(fleet):
        fleet.execute("UPDATE devices SET retired_at = ? WHERE id = 'G02'",
                      [dbm.now()])
    wait_until(lambda: g02.holds()[-1:] == [None])
    assert len(g01.holds()) == 2
    assert query(db_path, "SELECT hold_sent FROM devices ORDER BY id") == \
        [("[1001, 1002]",), (None,)]


def test_a_pick_marks_the_order_touched(fleet, db_path, worker,
                                        gun_factory):
    gun = gun_factory("G01")
    gun.pick("B0001")
    gun.wait_acked(1)
    assert query(db_path, "SELECT device_id, order_id FROM "
                 "device_touches") == [("G01", 1001)]


def test_a_gun_reads_and_asks_only_as_itself(fleet, db_path, worker,
                                             listeners):
    g02 = listeners("G02")
    wait_until(lambda: g02.holds())
    spy = listeners("G01", [wire.dev_topic("G02", wire.HOLD),
                            wire.dev_topic("G02", wire.ANSWER)])
    spy.get(1001, device="G02")           # PUBACKed, then dropped
    g02.get(1002)                         # G02's own get is answered
    wait_until(lambda: g02.answers())
    time.sleep(0.5)
    assert [a["o"] for a in g02.answers()] == [1002]
    assert spy.messages == []             # neither its hold nor answers
    assert query(db_path, "SELECT device_id, order_id FROM "
                 "device_touches") == [("G02", 1002)]
