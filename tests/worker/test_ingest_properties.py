"""server.gunlink.ingest.ingest_batch on a real SQLite database (the project's
schema), fed random streams from two guns following the ack rule of
docs/protocol.md: duplicates, gaps, reorderings, batches lost before or
rolled back during their commit, a message failing inside a batch, lost
and replayed acks, gun reboots.  After the guns drain their journals:

- every event a gun wrote is recorded exactly once, as it was written;
- the gun has learnt exactly the server's rejections, with their reasons;
- each verdict is the one a small model of the documented checks gives,
  judging events in the order they were recorded;
- nothing is applied twice: one accepted pick per bottle, bottles and
  line counts as the model says, one history row per accepted notes ack.
"""
import json
import random

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.core import db as dbm
from server.gunlink import ingest
from server.gunlink.gun_payloads import check_event
from server.gunlink.ingest import ingest_batch
from shared import wire
from ingest_support import GunModel
from worker_support import code, make_demo

DEVICES = {"G01": 7, "G02": 9}
FLOWER = dict(sku="FLOWER-5G", lot="L2312F")

# What an associate may scan: (kind, order, code or note ids).
ITEMS = [(wire.PICK, 1001, code("B%04d" % i)) for i in range(1, 5)] + \
    [(wire.PICK, 1002, code("B%04d" % i)) for i in range(1, 4)] + [
    (wire.PICK, 1001, code("F0001", **FLOWER)),
    (wire.PICK, 1001, code("F0002", **FLOWER)),        # line of 1
    (wire.PICK, 1001, code("C0001", sku="CAPS-10", lot="L2313C")),
    (wire.PICK, 1001, code("B9999")),                   # no such bottle
    (wire.PICK, 1001, code("B0005", lot="L2311B")),     # wrong lot
    (wire.PICK, 1001, code("B0006")),                   # shipped
    (wire.PICK, 1004, code("B0005")),                   # cancelled order
    (wire.PICK, 1001, "HELLO"),                         # foreign
    (wire.PICK, 1001, "PGB:" + "A" * 77),               # 81 characters
    (wire.NOTES_ACK, 1001, [1]),
    (wire.NOTES_ACK, 1001, [1, 3]),                     # 3 is 1002's
    (wire.NOTES_ACK, 1004, [4]),
]

_TEMPLATE = []


def fresh_db():
    """The demo database (built once), copied for one example."""
    if not _TEMPLATE:
        t = dbm.connect(":memory:")
        dbm.migrate(t)
        make_demo(t)
        with dbm.transaction(t):
            t.execute("UPDATE bottles SET status = 'shipped' "
                      "WHERE serial = 'B0006'")
            t["notes"].insert_all([
                {"id": 1, "order_id": 1001, "text": "Fragile"},
                {"id": 3, "order_id": 1002, "text": "Gift"},
                {"id": 4, "order_id": 1004, "text": "Old"}])
        _TEMPLATE.append(t)
    db = dbm.connect(":memory:")
    _TEMPLATE[0].conn.backup(db.conn)
    return db


# --------------------------------------------------------------- the model
class Model:
    """The documented checks (docs/protocol.md, Rejection reasons)."""

    def __init__(self, db):
        self.orders = {r[0]: r[1] for r in db.execute(
            "SELECT id, status FROM orders")}
        self.bottles = {r[0]: {"sku": r[1], "lot": r[2], "status": r[3],
                               "order": None} for r in db.execute(
            "SELECT serial, sku, lot_id, status FROM bottles")}
        self.lines = {(r[0], r[1]): [r[2], 0] for r in db.execute(
            "SELECT order_id, sku, qty FROM order_lines")}
        self.notes = {}
        for r in db.execute("SELECT id, order_id FROM notes"):
            self.notes.setdefault(r[1], set()).add(r[0])

    def ship(self, order):
        self.orders[order] = "shipped"
        for b in self.bottles.values():
            if b["order"] == order:
                b["status"] = "shipped"

    def judge(self, obj):
        try:
            check_event(obj)
        except wire.WireError:
            return "bad_event"
        o = obj["o"]
        if obj["k"] == wire.PICK:
            try:
                parsed = wire.parse_code(obj["c"])
            except wire.CodeError as e:
                return e.reason
            if parsed[0] != "bottle":
                return "wrong_product"
        if o not in self.orders:
            return "unknown_order"
        if self.orders[o] != "placed":
            return "not_pickable"
        if obj["k"] == wire.NOTES_ACK:
            ok = all(n in self.notes.get(o, ()) for n in obj["n"])
            return None if ok else "unknown_note"
        serial, sku, lot = parsed[1:]
        b = self.bottles.get(serial)
        if b is None:
            return "unknown_bottle"
        if (b["sku"], b["lot"]) != (sku, lot):
            return "lot_mismatch"
        if b["status"] == "picked":
            return "duplicate" if b["order"] == o else "bottle_taken"
        if b["status"] != "in_stock":
            return "not_in_stock"
        line = self.lines.get((o, sku))
        if line is None:
            return "wrong_product"
        if line[1] >= line[0]:
            return "over_pick"
        b["status"], b["order"] = "picked", o
        line[1] += 1
        return None


# -------------------------------------------------------------- the world
class World:
    """Two guns, a broker queue in front of the worker, the database."""

    def __init__(self, db):
        self.db = db
        self.guns = {d: GunModel(d, ep) for d, ep in DEVICES.items()}
        self.queue = []             # messages on their way to the worker
        self.acks = []              # (device, ack) ever published
        self.faults = set()         # event keys whose judging fails
        self.shipped = None         # last event id before 1002 shipped

    def publish(self, device, skip, count):
        gun = self.guns[device]
        for seq in sorted(gun.journal)[skip:skip + count]:
            gun.sent(seq)
            self.queue.append(gun.journal[seq])

    def take(self, n, seed, dup):
        """The next batch: n messages, the first ones, or (seed) any n of
        them in any order: across reconnections, resends and batches in
        flight, events reach the database in no fixed order."""
        if seed:
            random.Random(seed).shuffle(self.queue)
        batch, self.queue = self.queue[:n], self.queue[n:]
        if dup and batch:
            batch = batch + batch[:dup]
        return batch

    def commit(self, batch, lose=False):
        """The worker: one transaction, then the acks (unless lost)."""
        try:
            acks = ingest_batch(self.db, batch)
        except RuntimeError:
            return                  # rolled back: nothing acked
        for device, ack in acks.items():
            ack = wire.decode(wire.encode(ack))
            self.acks.append((device, ack))
            if not lose:
                gun = self.guns[device]
                before = gun.upto
                if gun.on_ack(ack):
                    sent = {json.loads(p)["seq"] for t, p in batch
                            if t.split("/")[2] == device}
                    if any(r["seq"] > before and r["seq"] not in sent
                           for r in ack["rej"]):
                        hypothesis.event("rejection from an earlier batch")

    def drain(self):
        for _ in range(12):
            if not any(g.journal for g in self.guns.values()):
                return
            for device, gun in self.guns.items():
                self.publish(device, 0, len(gun.journal))
            self.commit(self.take(len(self.queue), 0, 0))
        raise AssertionError("journals not drained: %r" % {
            d: sorted(g.journal) for d, g in self.guns.items()})


def _step(world, op):
    kind = op[0]
    if kind == "scan":              # written, and sent if online
        _, device, item, online = op
        k, order, arg = ITEMS[item]
        gun = world.guns[device]
        seq = gun.write(k, order, *(
            (arg,) if k == wire.PICK else (None, arg)))
        if online:
            gun.sent(seq)
            world.queue.append(gun.journal[seq])
    elif kind == "send":            # part of the journal, from anywhere
        world.publish(*op[1:])
    elif kind == "resend":          # time-out or reconnection
        world.publish(op[1], 0, len(world.guns[op[1]].journal))
    elif kind == "deliver":
        _, n, seed, dup, lose = op
        world.commit(world.take(n, seed, dup), lose)
    elif kind == "lost":            # the worker died before its commit
        world.take(op[1], 0, 0)
    elif kind == "rollback":        # ... or during it
        world.rollback = True
        world.commit(world.take(op[1], 0, 0))
    elif kind == "fault":           # one message fails inside a batch
        batch = world.take(op[1], 0, 0)
        if batch:
            obj = json.loads(batch[op[2] % len(batch)][1])
            device = "G01" if obj["ep"] == 7 else "G02"
            world.faults.add((device, obj["ep"], obj["seq"]))
        world.commit(batch)
        world.faults.clear()
    elif kind == "ship" and world.shipped is None:
        # The web app ships order 1002, after the events recorded so far.
        world.shipped = world.db.execute(
            "SELECT coalesce(max(id), 0) FROM device_events").fetchone()[0]
        with dbm.transaction(world.db):
            world.db.execute("UPDATE orders SET status = 'shipped' "
                             "WHERE id = 1002")
            world.db.execute("UPDATE bottles SET status = 'shipped' "
                             "WHERE order_id = 1002")
    elif kind == "reboot":
        world.guns[op[1]].reboot()
    elif kind == "replay":          # the broker delivers an old ack again
        mine = [a for d, a in world.acks if d == op[1]]
        if mine:
            world.guns[op[1]].on_ack(mine[op[2] % len(mine)])


device = st.sampled_from(sorted(DEVICES))
SCAN = st.tuples(st.just("scan"), device, st.integers(0, len(ITEMS) - 1),
                 st.booleans())
SEND = st.tuples(st.just("send"), device, st.integers(0, 4),
                 st.integers(1, 6))
DELIVER = st.tuples(st.just("deliver"), st.integers(1, 4),
                    st.integers(0, 999), st.integers(0, 2),
                    st.sampled_from([False, False, False, True]))
# Mostly scans, sends and deliveries; now and then a fault.
OPS = st.one_of(
    *[SCAN] * 8 + [SEND] * 2 + [DELIVER] * 5 + [
        st.tuples(st.just("resend"), device),
        st.tuples(st.just("lost"), st.integers(1, 4)),
        st.tuples(st.just("rollback"), st.integers(1, 6)),
        st.tuples(st.just("fault"), st.integers(1, 6), st.integers(0, 9)),
        st.tuples(st.just("reboot"), device),
        st.tuples(st.just("ship")),
        st.tuples(st.just("replay"), device, st.integers(0, 99))])


class _Faults:
    """Make ingest fail where the world asks: a rolled-back commit
    (_Batch.finish raising) or one message's judging."""

    def __init__(self, world):
        self.world = world

    def __enter__(self):
        world = self.world
        world.rollback = False
        self.judge, self.finish = ingest._Batch._judge, ingest._Batch.finish
        judge, finish = self.judge, self.finish

        def failing_judge(batch, e):
            if e.key in world.faults:
                raise RuntimeError("judging failed")
            return judge(batch, e)

        def failing_finish(batch):
            if world.rollback:
                world.rollback = False
                raise RuntimeError("worker died mid-commit")
            return finish(batch)
        ingest._Batch._judge = failing_judge
        ingest._Batch.finish = failing_finish

    def __exit__(self, *exc):
        ingest._Batch._judge, ingest._Batch.finish = self.judge, self.finish


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(st.lists(OPS, min_size=20, max_size=80))
def test_every_event_once_every_rejection_learnt(ops):
    db = fresh_db()
    model = Model(db)
    world = World(db)
    try:
        with _Faults(world):
            for op in ops:
                _step(world, op)
            world.drain()
        _check(db, world, model)
    finally:
        db.conn.close()


def _check(db, world, model):
    rows = db.execute(
        "SELECT id, device_id, ep, seq, kind, outcome, reason, payload "
        "FROM device_events ORDER BY id").fetchall()
    for d, gun in world.guns.items():
        mine = {r["seq"]: r for r in rows if r["device_id"] == d}
        assert all(r["ep"] == gun.ep for r in mine.values())
        written = gun.next_seq - 1
        assert sorted(mine) == list(range(1, written + 1))   # each once
        assert gun.upto == written and not gun.journal
        # Every rejection learnt, with its reason; nothing else.
        assert gun.learnt == {s: r["reason"] for s, r in mine.items()
                              if r["outcome"] == "rejected"}
    assert len(rows) == len({(r["device_id"], r["seq"]) for r in rows})
    # Verdicts as the model gives them, in the order they were recorded.
    accepted = []
    for r in rows:
        if world.shipped == r["id"] - 1:
            model.ship(1002)
        why = model.judge(json.loads(r["payload"]))
        assert (r["outcome"], r["reason"]) == \
            (("rejected", why) if why else ("accepted", None)), dict(r)
        if not why:
            accepted.append(r)
    if world.shipped is not None and world.shipped >= len(rows):
        model.ship(1002)                # after the last event
    # Nothing applied twice.
    picks = db.execute("SELECT event_id, order_id, serial FROM picks "
                       "WHERE status = 'accepted' ORDER BY id").fetchall()
    assert [p["event_id"] for p in picks] == \
        [r["id"] for r in accepted if r["kind"] == wire.PICK]
    assert len({p["serial"] for p in picks}) == len(picks)
    bottles = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT serial, status, order_id FROM bottles")}
    for serial, b in model.bottles.items():
        assert bottles[serial] == (b["status"], b["order"]), serial
    for (order, sku), (qty, got) in model.lines.items():
        assert db.execute(
            "SELECT count(*) FROM picks WHERE order_id = ? AND sku = ? AND "
            "status = 'accepted'", [order, sku]).fetchone()[0] == got <= qty
    assert db.execute("SELECT count(*) FROM order_history WHERE action = "
                      "'notes_ack'").fetchone()[0] == \
        sum(1 for r in accepted if r["kind"] == wire.NOTES_ACK)
