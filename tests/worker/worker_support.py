"""Helpers for the worker tests: demo rows and a fake gun that behaves
like the real one on the wire (journal, resend until acked)."""
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from server.core import db as dbm
from server.gunlink.worker import Worker
from shared import wire

GUN_PASSWORDS = {"G01": "g01-password", "G02": "g02-password",
                 # A broker user whose name is no valid device id: what a
                 # gun provisioned by hand could look like.
                 "bad_id": "bad-password"}


def wait_until(check, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting for %r" % check)


def code(serial, sku="CBD-OIL-30", lot="L2311A"):
    return wire.bottle_code(serial, sku, lot)


def make_demo(db):
    """Products, lots, 20 bottles per product, placed orders 1001/1002,
    open order 1003, cancelled 1004."""
    at = dbm.now()
    with dbm.transaction(db):
        db["clients"].insert({"id": 1, "name": "Ada Client", "created_at": at})
        db["products"].insert_all([
            {"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL", "grams": 30.0},
            {"sku": "FLOWER-5G", "name": "Flower 5 g", "grams": 5.0},
            {"sku": "CAPS-10", "name": "Capsules 10", "grams": 1.0}])
        db["lots"].insert_all([
            {"id": "L2311A", "sku": "CBD-OIL-30"},
            {"id": "L2311B", "sku": "CBD-OIL-30"},
            {"id": "L2312F", "sku": "FLOWER-5G"},
            {"id": "L2313C", "sku": "CAPS-10"}])
        bottles = []
        for i in range(1, 21):
            bottles.append({"serial": "B%04d" % i, "sku": "CBD-OIL-30",
                            "lot_id": "L2311A"})
            bottles.append({"serial": "F%04d" % i, "sku": "FLOWER-5G",
                            "lot_id": "L2312F"})
            bottles.append({"serial": "C%04d" % i, "sku": "CAPS-10",
                            "lot_id": "L2313C"})
        db["bottles"].insert_all(bottles)
        for oid, status in ((1001, "placed"), (1002, "placed"),
                            (1003, "open"), (1004, "cancelled")):
            db["orders"].insert({"id": oid, "client_id": 1, "status": status,
                                 "created_at": at})
        db["order_lines"].insert_all([
            {"order_id": 1001, "sku": "CBD-OIL-30", "qty": 2},
            {"order_id": 1001, "sku": "FLOWER-5G", "qty": 1},
            {"order_id": 1002, "sku": "CBD-OIL-30", "qty": 10},
            {"order_id": 1003, "sku": "CBD-OIL-30", "qty": 1},
            {"order_id": 1004, "sku": "CBD-OIL-30", "qty": 1}])


def start_worker(broker, db_path):
    w = Worker(db_path, broker.host, broker.port, broker.worker_user,
               broker.worker_password, poll_seconds=0.1)
    w.start()
    assert w.connected.wait(10), broker.tail()
    return w


class FakeGun:
    """The real gun's wire behaviour: every event stays in the journal
    until a cumulative ack covers it, and unacked events are resent."""

    def __init__(self, broker, device="G01", password=None, ep=4242,
                 snapshots=False, port=None, ca=None, topics=()):
        """port, ca: another port of the broker, over TLS with that CA
        certificate; topics: more topics to subscribe to at every
        connection (what arrives on them goes to `other`)."""
        self.device, self.ep = device, ep
        self.seq = 0
        self.journal = {}                # seq -> payload bytes
        self.upto = 0
        self.rejected = {}               # seq -> rej entry
        self.acks = []
        self.snapshots = {}              # order id -> [snapshot dicts]
        self.cleared = []                # order ids seen cleared
        self.topics = list(topics)
        self.other = []                  # (topic, payload) of `topics`
        self.on_ack = None               # hook: called with each ack
        self.lock = threading.Lock()
        self.want_snapshots = snapshots
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=device, clean_session=False,
                                  protocol=mqtt.MQTTv311)
        self.client.username_pw_set(
            device, password or GUN_PASSWORDS.get(device))
        self.client.reconnect_delay_set(0.1, 1)
        if ca:
            self.client.tls_set(ca_certs=str(ca))
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.connected = threading.Event()
        self.client.connect(broker.host, port or broker.port, keepalive=10)
        self.client.loop_start()
        assert self.connected.wait(5), "gun could not connect"

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            return
        subs = [(wire.dev_topic(self.device, wire.ACK), 1)]
        if self.want_snapshots:
            subs.append((wire.ORDER_FILTER, 1))
        client.subscribe(subs + [(t, 1) for t in self.topics])
        self.connected.set()

    def _on_message(self, client, userdata, msg):
        if msg.topic in self.topics:
            self.other.append((msg.topic, msg.payload))
            return
        kind, ident = wire.parse_topic(msg.topic)
        if kind == "order" and not msg.payload:
            # A cleared retained snapshot: a gun ignores it (not JSON).
            self.cleared.append(ident)
            return
        obj = wire.decode(msg.payload)
        if kind == "order":
            self.snapshots.setdefault(ident, []).append(obj)
            return
        wire.check_ack(obj)
        if self.on_ack:
            self.on_ack(obj)
        with self.lock:
            self.acks.append(obj)
            # The gun's ack rule (docs/protocol.md, Ack).
            if obj["ep"] != self.ep or obj["upto"] <= self.upto or \
                    obj["upto"] > self.seq or obj["since"] > self.upto:
                return
            for r in obj["rej"]:
                if r["seq"] > self.upto:
                    self.rejected[r["seq"]] = r
            for s in range(self.upto + 1, obj["upto"] + 1):
                self.journal.pop(s, None)
            self.upto = obj["upto"]

    def send(self, kind=wire.PICK, order=1001, code_=None, notes=None,
             seq=None):
        """Journal and publish an event; returns its seq."""
        with self.lock:
            if seq is None:
                self.seq += 1
                seq = self.seq
            payload = wire.encode(wire.event(self.ep, seq, kind, order,
                                             int(time.time()), code_, notes))
            self.journal[seq] = payload
        self.client.publish(wire.dev_topic(self.device, wire.EVT), payload,
                            qos=1)
        return seq

    def pick(self, serial, order=1001, **kw):
        return self.send(wire.PICK, order, code(serial, **kw))

    def resend_unacked(self):
        with self.lock:
            pending = sorted(self.journal.items())
        for _seq, payload in pending:
            self.client.publish(wire.dev_topic(self.device, wire.EVT),
                                payload, qos=1)

    def wait_acked(self, upto, timeout=20.0, resend_after=1.0):
        deadline = time.monotonic() + timeout
        next_resend = time.monotonic() + resend_after
        while self.upto < upto:
            if time.monotonic() > deadline:
                raise AssertionError("acked %d of %d" % (self.upto, upto))
            if time.monotonic() > next_resend:
                self.resend_unacked()
                next_resend = time.monotonic() + resend_after
            time.sleep(0.02)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()
