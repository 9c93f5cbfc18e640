"""A scanner gun written from docs/protocol.md alone, with raw paho-mqtt,
against the product as `pickgun up` runs it (Mosquitto with its users,
ACL and TLS; the worker; the database), with a credential from
`pickgun provision`.

The gun below imports nothing of Pickgun: its topics, payloads, check
characters, ack rule and TLS set-up come from the document.  The test
around it uses the project only to start the stack, to provision the gun
and to look at the shelf and the database, with plain SQL."""
import base64
import json
import queue
import random
import sqlite3
import ssl
import threading
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from server.gunlink.broker import free_port
from tools.up import Stack

TIMEOUT = 30


# ------------------------------------------------ the gun, from the doc
VALUES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-:"     # section 1
SYMBOLS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*$%+/"


def check_char(body):
    p = 0
    for c in body:
        p = ((p + VALUES.index(c)) * 2) % 41
    return SYMBOLS[(42 - p) % 41]


def bottle_code(serial, sku, lot):
    body = "PGB:%s:%s:%s" % (serial, sku, lot)
    return body + ":" + check_char(body)


def is_int(value, low, high):
    """An integer of the doc: a JSON integer, never true/false or 1.0."""
    return type(value) is int and low <= value <= high


U32 = 2 ** 32 - 1


def ack_is_well_formed(a):
    """The ack's limits (section 3, Limits)."""
    if not (isinstance(a, dict) and is_int(a.get("v"), 1, 1)
            and is_int(a.get("ep"), 1, U32) and is_int(a.get("upto"), 0, U32)
            and is_int(a.get("since"), 0, a.get("upto"))):
        return False
    rej = a.get("rej", [])
    if not isinstance(rej, list) or len(rej) > 32:
        return False
    last = a["since"]
    for r in rej:
        if not (isinstance(r, dict) and is_int(r.get("seq"), last + 1,
                                                a["upto"])):
            return False
        last = r["seq"]
        why = r.get("why")
        if not (isinstance(why, str) and 0 < len(why) <= 32 and all(
                c in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in why)):
            return False
    return True


class DocGun:
    """Journal, epoch and the ack rule of docs/protocol.md, section 3."""

    def __init__(self, cfg):
        self.id = cfg["id"]
        self.ep = random.randint(1, 2 ** 31 - 1)
        self.journal = {}           # seq -> payload bytes, not yet acked
        self.written = {}           # seq -> payload bytes, every event
        self.next_seq = 1
        self.upto = 0
        self.hi = 0                 # highest seq that may have been sent
        self.learnt = {}            # seq -> why, rejections shown
        self.acks = []              # every ack received, parsed
        self.verdicts = []          # what the rule did with each
        self.snapshots = {}         # order -> latest snapshot kept
        self.lock = threading.Lock()
        self.news = queue.Queue()
        self.drop_next_ack = False  # to lose one ack on purpose
        topic = "pickgun/dev/%s/" % self.id
        self.evt, self.ack_topic, self.status = (
            topic + "evt", topic + "ack", topic + "status")
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.id,
                        clean_session=False, protocol=mqtt.MQTTv311)
        c.username_pw_set(self.id, cfg["password"])
        c.will_set(self.status, json.dumps({"v": 1, "online": False}),
                   qos=1, retain=True)
        if cfg.get("tls"):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_verify_locations(cadata=base64.b64decode(cfg["ca"]))
            c.tls_set_context(ctx)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        self.client = c
        self.connected = threading.Event()
        c.connect(cfg["broker"], cfg.get("port", 8883 if cfg.get("tls")
                                        else 1883))
        c.loop_start()
        assert self.connected.wait(TIMEOUT), "the gun could not connect"

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            return
        client.subscribe([(self.ack_topic, 1), ("pickgun/order/+", 1)])
        client.publish(self.status, json.dumps({
            "v": 1, "online": True, "fw": "doc-gun", "pending":
            len(self.journal), "ep": self.ep, "upto": self.upto}),
            qos=1, retain=True)
        self.connected.set()

    def _on_message(self, client, userdata, msg):
        if msg.topic.startswith("pickgun/order/"):
            if not msg.payload:
                return                  # a cleared snapshot: keep ours
            snap = json.loads(msg.payload)
            with self.lock:
                old = self.snapshots.get(snap["o"])
                if old is None or snap["rev"] > old["rev"]:
                    self.snapshots[snap["o"]] = snap
            return
        try:
            a = json.loads(msg.payload)
        except ValueError:
            a = None
        with self.lock:
            if self.drop_next_ack:
                self.drop_next_ack = False
                self.verdicts.append("lost")
                return
            self.acks.append(a)
            self.verdicts.append(self._apply(a))
        self.news.put(a)

    def _apply(self, a):
        """The five steps of the gun's ack rule."""
        if not ack_is_well_formed(a):
            return "malformed"
        if a["ep"] != self.ep or a["upto"] <= self.upto:
            return "nothing new"
        if a["upto"] > self.hi:
            return "beyond what was sent"
        if a["since"] > self.upto:
            threading.Thread(target=self.resend).start()
            return "since above upto: resent"
        for r in a["rej"]:
            if r["seq"] > self.upto:
                self.learnt[r["seq"]] = r["why"]
        for seq in range(self.upto + 1, a["upto"] + 1):
            self.journal.pop(seq, None)
        self.upto = a["upto"]
        return "applied"

    # ------------------------------------------------------- journal
    def write(self, kind, order, code=None, notes=None):
        with self.lock:
            seq = self.next_seq
            self.next_seq += 1
            event = {"v": 1, "ep": self.ep, "seq": seq, "k": kind,
                     "o": order, "at": int(time.time())}
            if code is not None:
                event["c"] = code
            if notes is not None:
                event["n"] = notes
            self.journal[seq] = self.written[seq] = json.dumps(event).encode()
        return seq

    def send(self, *seqs):
        for seq in seqs:
            with self.lock:
                payload = self.journal.get(seq)
                if payload is None:
                    continue
                self.hi = max(self.hi, seq)
            self.client.publish(self.evt, payload, qos=1).wait_for_publish(
                TIMEOUT)

    def resend(self):
        with self.lock:
            seqs = sorted(self.journal)
        self.send(*seqs)

    def wait(self, check, what):
        deadline = time.monotonic() + TIMEOUT
        while True:
            with self.lock:
                if check():
                    return
            assert time.monotonic() < deadline, "waited in vain for " + what
            try:
                self.news.get(timeout=0.2)
            except queue.Empty:
                pass

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


# ----------------------------------------------------------- the test
@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("doc-gun") / "instance",
              web_port=free_port(), mqtt_port=free_port(),
              tls_port=free_port(), demo=True, guns=(),
              log=lambda *a: None)
    s.start()
    try:
        yield s
    finally:
        s.stop()


def provision(stack, tmp_path, device):
    from click.testing import CliRunner
    from tools.cli import cli
    out = tmp_path / (device + ".json")
    result = CliRunner().invoke(cli, [
        "provision", device, "--db", str(stack.db_path), "--out", str(out),
        "--broker-host", "127.0.0.1"])
    assert result.exit_code == 0, result.output
    stack.sync_devices()
    return json.loads(out.read_text())


def query(stack, sql, args=()):
    conn = sqlite3.connect(str(stack.db_path))
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def shelf(stack, sku, n, skip=()):
    """n in-stock bottles of sku: (serial, sku, lot)."""
    rows = query(stack, "SELECT serial, sku, lot_id FROM bottles WHERE "
                 "sku = ? AND status = 'in_stock' ORDER BY serial", [sku])
    rows = [r for r in rows if r[0] not in skip]
    assert len(rows) >= n, "demo data lacks stock of " + sku
    return rows[:n]


def test_gun_written_from_the_protocol_document(stack, tmp_path):
    cfg = provision(stack, tmp_path, "G07")
    assert cfg["tls"] and cfg["port"] == stack.tls_port
    gun = DocGun(cfg)
    try:
        _scenario(stack, gun)
    finally:
        gun.close()


def _scenario(stack, gun):
    # An order awaiting fulfilment, from its retained snapshot: pickable,
    # a line of at least two bottles still to pick, must-ack notes.
    def chosen():
        for snap in gun.snapshots.values():
            lines = [ln for ln in snap["lines"]
                     if ln["qty"] - ln["got"] >= 2]
            must = [n["id"] for n in snap["notes"] if n.get("s") != "i"]
            if snap["pick"] and snap["st"] == "placed" and lines and must:
                return snap, lines[0], must
        return None
    gun.wait(chosen, "a pickable order's snapshot")
    snap, line, must_ack = chosen()
    order, rev = snap["o"], snap["rev"]
    skus = {ln["sku"] for ln in snap["lines"]}
    other_sku = query(stack, "SELECT sku FROM products WHERE sku NOT IN "
                      "(%s) ORDER BY sku" % ",".join("?" * len(skus)),
                      sorted(skus))[0][0]
    a, b = shelf(stack, line["sku"], 2)
    (w,) = shelf(stack, other_sku, 1)
    misread = bottle_code(*a)[:-1] + ("0" if bottle_code(*a)[-1] != "0"
                                      else "1")

    s1 = gun.write("pick", order, bottle_code(*a))          # good
    s2 = gun.write("pick", order, bottle_code(*w))          # wrong product
    s3 = gun.write("pick", order, bottle_code(*b))          # good, late
    s4 = gun.write("pick", order, bottle_code("X99999", line["sku"],
                                              a[2]))       # no such bottle
    gun.send(s1, s2)
    gun.wait(lambda: gun.upto == 2, "seqs 1 and 2 acked")
    assert gun.learnt == {s2: "wrong_product"}

    # A gap: 4 is sent before 3.  Its rejection must come with the ack
    # that first covers it, the one that answers 3.
    gun.send(s4)
    gun.wait(lambda: len(gun.acks) >= 2 and gun.acks[-1]["upto"] == 2 and
             gun.verdicts[-1] == "nothing new", "the ack answering 4")
    gun.send(s3)
    gun.wait(lambda: gun.upto == 4, "the gap filled")
    assert gun.learnt == {s2: "wrong_product", s4: "unknown_bottle"}

    # Events sent again after their ack (its ack lost, say), twice each:
    # acked again, their rejections listed again, nothing applied twice.
    n = len(gun.acks)
    for seq in (s1, s2, s1, s2):
        gun.client.publish(gun.evt, gun.written[seq], qos=1)
    gun.wait(lambda: any(x["since"] == 0 and x["upto"] == 4 for x in
                         gun.acks[n:]), "the answer to the resend")
    again = next(x for x in gun.acks[n:] if x["since"] == 0)
    assert [(r["seq"], r["why"]) for r in again["rej"]] == \
        [(s2, "wrong_product"), (s4, "unknown_bottle")]
    assert gun.upto == 4

    # A lost ack: the gun misses the ack of 5 (a duplicate scan) and 6.
    s5 = gun.write("pick", order, bottle_code(*a))          # again
    s6 = gun.write("notes_ack", order, notes=must_ack)
    with gun.lock:
        gun.drop_next_ack = True
    gun.send(s5, s6)
    gun.wait(lambda: "lost" in gun.verdicts, "an ack to lose")
    # 7 is a misread code, 8 breaks a limit (a code of 81 characters).
    s7 = gun.write("pick", order, misread)
    s8 = gun.write("pick", order, "PGB:" + "A" * 77)
    gun.send(s7, s8)
    # Whatever arrives about 7 and 8 says nothing the gun can use about 5
    # and 6 unless its since is at most 4; the rule resends when it is
    # not, and in the end every event is acked and every rejection learnt.
    gun.wait(lambda: gun.upto == s8, "everything acked")
    assert not gun.journal
    assert gun.learnt == {s2: "wrong_product", s4: "unknown_bottle",
                          s5: "duplicate", s7: "check", s8: "bad_event"}
    assert "malformed" not in gun.verdicts
    assert "beyond what was sent" not in gun.verdicts

    # The database: each event once, the two good picks applied once.
    rows = query(stack, "SELECT seq, outcome, reason FROM device_events "
                 "WHERE device_id = 'G07' AND ep = ? ORDER BY seq",
                 [gun.ep])
    assert [r[0] for r in rows] == list(range(1, s8 + 1))
    assert {r[0]: r[2] for r in rows if r[1] == "rejected"} == gun.learnt
    picked = query(stack, "SELECT serial FROM picks WHERE order_id = ? AND "
                   "device_id = 'G07' AND status = 'accepted' ORDER BY id",
                   [order])
    assert [p[0] for p in picked] == [a[0], b[0]]
    assert query(stack, "SELECT status, order_id FROM bottles WHERE serial "
                 "IN (?, ?) ORDER BY serial", [a[0], b[0]]) == \
        [("picked", order), ("picked", order)]
    assert query(stack, "SELECT count(*) FROM order_history WHERE "
                 "order_id = ? AND action = 'notes_ack' AND actor = 'G07'",
                 [order]) == [(1,)]

    # And the guns see it: a newer snapshot counting both bottles.
    gun.wait(lambda: gun.snapshots[order]["rev"] > rev and
             {a[0], b[0]} <= set(gun.snapshots[order]["bot"]),
             "the order's new snapshot")
    newer = gun.snapshots[order]
    got = {ln["sku"]: ln["got"] for ln in newer["lines"]}
    assert got[line["sku"]] == line["got"] + 2
