"""Turn a batch of MQTT messages from the guns into database rows, inside
one write transaction, and say which acks to publish once it commits.

No MQTT here: the worker passes (topic, payload) pairs in and publishes
what comes back.  Each gun event is recorded exactly once, keyed by
(device, ep, seq); a duplicate delivery is recognised, never re-applied,
and acknowledged again with its original verdict.  An event whose
identity can be read but which breaks a limit of the contract is
recorded as rejected (bad_event) and acked, so the gun's journal moves
on; a message with no identity to ack is logged, kept in
malformed_messages and skipped: one bad gun must not stop the others.
(Reading each message against the contract: server.gunlink.ingest_parse.)

Speed matters (a shift's backlog arrives at once when WiFi returns), so
a batch is judged in memory against rows read up front and written with
one executemany per table.  If anything unforeseen fails, the batch is
undone and redone one message at a time, so only the culprit is lost.

A get (a gun asking for an order it lacks) is answered with the order's
snapshot, or no_order; a get and an event both count the order as
touched by the gun (server.fleet.holds: it joins the gun's hold list).

Each event's `by` (who was signed in on the gun) is recorded as given on
its device_events row, its pick, return and history rows (staff_id): a
staff number the database no longer knows is still what the gun said
(its roster may predate the account's deactivation).  A bottle's lot is
judged as the server has it now (server.orders.lot_checks), with one
date for the whole batch.  Returns: server.gunlink.ingest_returns.

(Over 350 lines: one _Batch, whose judging, rows and caches share the
rows read up front for the batch.)"""
import datetime
import logging

from server.fleet import holds, presence
from server.gunlink import ingest_acks
from server.gunlink.ingest_returns import Returns
from server.gunlink.ingest_returns import write as write_returns
from server.gunlink.ingest_parse import Malformed, gun_time, parse
from server.orders import lot_checks
from server.orders import states as order_states
from server.orders.picks import INSERT_PICK, PICKED_COUNT, RESERVE_BOTTLE
from server.core.db import now, transaction
from server.core.history import bump_rev, record_many
from shared import wire

log = logging.getLogger(__name__)

KEEP_BYTES = 300       # how much of a malformed payload is kept to look at
CHUNK = 500            # values per "IN (...)" query


def ingest_batch(db, messages, received_at=None, answers=None, today=None):
    """Record `messages` [(topic, payload bytes)] in one transaction.

    Returns {device_id: ack payload dict}: publish them only after this
    returns, i.e. after the commit.  The answers to gets, [(topic,
    payload)], are appended to `answers` when given.  Never raises for a
    bad message.  today: the local date lots expire by (default:
    today's)."""
    batch = _Batch(db, received_at or now(),
                   today or datetime.date.today())
    sql = db.conn.execute
    with transaction(db):
        sql("SAVEPOINT batch")
        try:
            batch.apply(messages)
        except Exception:
            log.exception("batch of %d messages failed; redoing it one "
                          "message at a time", len(messages))
            sql("ROLLBACK TO batch")
            batch = _Batch(db, batch.at, batch.today)
            for message in messages:
                batch.apply_isolated(message)
        sql("RELEASE batch")
        batch.finish()
        acks = batch.acks()
        if answers is not None:
            answers.extend(ingest_acks.answers(db, batch.gets))
    return acks


class _Batch:
    def __init__(self, db, at, today):
        self.db = db
        self.sql = db.conn.execute
        self.many = db.conn.executemany
        self.at = at
        self.today = today
        self.seen = {}             # device_id -> [(ep, seq)] in arrival order
        self.keys = set()          # (device, ep, seq) recorded by this batch
        self.changed_orders = set()
        self.gets = []             # (device, order id) in arrival order
        self.touched = set()       # (device, order id) of existing orders
        self._forget()

    def _forget(self):
        """Drop what was read from the database (after a rollback)."""
        self.known_devices = set()
        self.orders = {}           # order id -> status (None: no order)
        self.lines = {}            # (order id, sku) -> [qty, got] or None
        self.bottles = {}          # serial -> dict, or None: no such bottle
        self.notes = {}            # order id -> set of its note ids
        self.returns = Returns(self.sql)

    # ------------------------------------------------------------ dispatch
    def apply(self, messages):
        events, gets = [], []
        for topic, payload in messages:
            try:
                kind, device, item = parse(topic, payload)
            except Malformed as e:
                self._record_malformed(topic, payload, str(e))
                continue
            self._ensure_device(device)
            if kind == wire.STATUS:
                self._status(device, item)
            elif kind == wire.GET:
                gets.append((device, item))
            else:
                events.append(item)
        if events:
            self._events(events)
        # Only once the messages are applied: a message redone alone
        # (apply_isolated) that fails leaves nothing behind.
        self.gets.extend(gets)
        self.touched.update(g for g in gets
                            if self._order_status(g[1]) is not None)

    def apply_isolated(self, message):
        self.sql("SAVEPOINT message")
        try:
            self.apply([message])
        except Exception as e:
            log.exception("could not ingest message on %r", message[0])
            self.sql("ROLLBACK TO message")
            self._forget()
            self._record_malformed(message[0], message[1],
                                   "server error: %s" % e)
        self.sql("RELEASE message")

    def _record_malformed(self, topic, payload, reason):
        if isinstance(topic, bytes):
            topic = topic.decode("utf-8", "replace")
        parts = topic.split("/")
        device = parts[2][:40] if len(parts) > 2 else None
        text = bytes(payload[:KEEP_BYTES]).decode("utf-8", "replace")
        self.sql("INSERT INTO malformed_messages (received_at, topic, "
                 "device_id, reason, size, payload) VALUES (?, ?, ?, ?, ?, ?)",
                 [self.at, topic[:200], device, reason, len(payload), text])
        log.warning("malformed message on %s (%d bytes): %s",
                    topic[:200], len(payload), reason)

    # -------------------------------------------------------------- status
    def _ensure_device(self, device):
        if device not in self.known_devices:
            presence.ensure_device(self.sql, device, self.at)
            self.known_devices.add(device)

    def _status(self, device, obj):
        presence.record_status(self.sql, device, obj, self.at)

    # -------------------------------------------------------------- events
    def _events(self, events):
        stored = self._stored_keys(events)
        self._load_bottles(e.bottle[0] for e in events if e.bottle)
        self.returns.load(e.bottle[0] for e in events
                          if e.bottle and e.kind == wire.RETURN)
        next_id = self.sql("SELECT coalesce(max(id), 0) + 1 "
                           "FROM device_events").fetchone()[0]
        staged, seen, changed = {}, [], set()
        rows = {"events": [], "picks": [], "bottles": [], "history": [],
                "returns": [], "returned": []}
        for e in events:
            seen.append((e.device, (e.ep, e.seq)))
            if e.key in staged or e.key in self.keys or e.key in stored:
                # A duplicate: already judged, never applied again.
                first = staged.get(e.key) or self._stored_text(e.key)
                if first != e.text:
                    log.warning("%s resent ep %d seq %d with different "
                                "content; keeping the first", *e.key)
                continue
            reason = self._judge(e)
            outcome = "rejected" if reason else "accepted"
            rows["events"].append((
                next_id, e.device, e.ep, e.seq, e.kind, e.order, e.code,
                e.at, self.at, outcome, reason, e.text, e.by))
            if e.problem is None and e.kind == wire.PICK:
                self._pick_rows(rows, next_id, e, reason, changed)
            elif e.problem is None and e.kind == wire.RETURN:
                self._return_rows(rows, next_id, e, reason, changed)
            elif e.problem is None and not reason:
                status = self._order_status(e.order)
                rows["history"].append((
                    e.order, "notes_ack", status, status, e.device, self.at,
                    ("notes " + ", ".join(str(n) for n in e.obj["n"]))[:200],
                    e.by))
            if reason:
                log.info("%s ep %d seq %d: %s for order %s refused: %s%s",
                         e.device, e.ep, e.seq, e.kind, e.order, reason,
                         " (%s)" % e.problem if e.problem else "")
            next_id += 1
            staged[e.key] = e.text
        self._write(rows)
        # Only now, with every row written, does the batch remember them.
        self.keys.update(staged)
        self.touched.update(
            (e.device, e.order) for e in events if e.key in staged
            and e.order is not None
            and self._order_status(e.order) is not None)
        for device, ident in seen:
            self.seen.setdefault(device, []).append(ident)
        self.changed_orders |= changed

    def _stored_keys(self, events):
        """Keys of these events that an earlier batch already recorded."""
        wanted = {}
        for e in events:
            wanted.setdefault(e.key[:2], set()).add(e.seq)
        found = set()
        for (device, ep), seqs in wanted.items():
            for chunk in _chunks(sorted(seqs)):
                found.update((device, ep, r[0]) for r in self.sql(
                    "SELECT seq FROM device_events WHERE device_id = ? AND "
                    "ep = ? AND seq IN (%s)" % _marks(chunk),
                    [device, ep] + chunk))
        return found

    def _stored_text(self, key):
        row = self.sql("SELECT payload FROM device_events WHERE "
                       "device_id = ? AND ep = ? AND seq = ?",
                       list(key)).fetchone()
        return row[0] if row else None

    def _write(self, rows):
        self.many(
            "INSERT INTO device_events (id, device_id, ep, seq, kind, "
            "order_id, code, gun_at, received_at, outcome, reason, payload, "
            "staff_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows["events"])
        self.many(INSERT_PICK, rows["picks"])
        self.many(RESERVE_BOTTLE, rows["bottles"])
        write_returns(self.many, rows)
        record_many(self.db, rows["history"])

    # ------------------------------------------------------------ judging
    def _judge(self, e):
        """None if the event is applied, else the reason it is not, in the
        order docs/protocol.md gives: the event, its code, the order, the
        bottle, its lot, the order's lines (or, for notes_ack, the notes;
        for ret, server.gunlink.ingest_returns)."""
        if e.problem is not None:
            return "bad_event"
        if e.kind == wire.PICK:
            return e.code_reason or self._judge_pick(e.order, e.bottle)
        if e.kind == wire.RETURN:
            return e.code_reason or self.returns.judge(
                self._order_status(e.order), e.order, e.bottle,
                self.bottles.get(e.bottle[0]))
        return self._judge_notes(e.order, e.obj["n"])

    def _judge_order(self, order_id):
        status = self._order_status(order_id)
        if status is None:
            return "unknown_order"
        if not order_states.can(status, "pick"):
            return "not_pickable"
        return None

    def _judge_pick(self, order_id, bottle):
        serial, sku, lot = bottle
        reason = self._judge_order(order_id)
        if reason:
            return reason
        row = self.bottles.get(serial)
        if row is None:
            return "unknown_bottle"
        if row["sku"] != sku or row["lot_id"] != lot:
            return "lot_mismatch"
        if row["status"] == "picked" or row["taken"] is not None \
                and row["status"] == "in_stock":
            # In a bag: this order's, or another one's.
            return "duplicate" if row["taken"] == order_id else "bottle_taken"
        if row["status"] != "in_stock":
            return "not_in_stock"      # shipped, returned, destroyed...
        if row["lot_refusal"]:
            return row["lot_refusal"]  # recalled, on hold, expired
        line = self._line(order_id, sku)
        if line is None:
            return "wrong_product"
        if line[1] >= line[0]:
            return "over_pick"
        return None

    def _judge_notes(self, order_id, ids):
        reason = self._judge_order(order_id)
        if reason:
            return reason
        if order_id not in self.notes:
            self.notes[order_id] = {r[0] for r in self.sql(
                "SELECT id FROM notes WHERE order_id = ?", [order_id])}
        known = self.notes[order_id]
        for i in ids:
            if i not in known:
                return "unknown_note"
        return None

    def _order_status(self, order_id):
        # Cached for the batch: nothing in a batch changes an order's status.
        if order_id not in self.orders:
            row = self.sql("SELECT status FROM orders WHERE id = ?",
                           [order_id]).fetchone()
            self.orders[order_id] = row["status"] if row else None
        return self.orders[order_id]

    def _line(self, order_id, sku):
        """[qty, accepted so far] for the order's line of sku, or None."""
        key = (order_id, sku)
        if key not in self.lines:
            row = self.sql(
                "SELECT l.qty, " + PICKED_COUNT + " AS got "
                "FROM order_lines l WHERE l.order_id = ? AND l.sku = ?",
                [order_id, sku]).fetchone()
            self.lines[key] = [row["qty"], row["got"]] if row else None
        return self.lines[key]

    def _load_bottles(self, serials):
        missing = sorted({s for s in serials if s not in self.bottles})
        for chunk in _chunks(missing):
            for serial in chunk:
                self.bottles[serial] = None
            for r in self.sql(
                    "SELECT serial, b.sku, lot_id, b.status, (SELECT "
                    " order_id FROM picks WHERE serial = b.serial "
                    " AND status = 'accepted') AS taken, "
                    " l.status AS lot_status, l.expires_on "
                    "FROM bottles b LEFT JOIN lots l ON l.id = b.lot_id "
                    "WHERE serial IN (%s)" % _marks(chunk), chunk):
                row = dict(r)
                row["lot_refusal"] = lot_checks.refusal(
                    row.pop("lot_status"), row.pop("expires_on"), self.today)
                self.bottles[r["serial"]] = row

    # --------------------------------------------------------------- picks
    def _pick_rows(self, rows, event_id, e, reason, changed):
        order_id = e.order
        serial, sku, lot = e.bottle or (None, None, None)
        # In picks.PICK_ROW's order.
        rows["picks"].append((
            order_id if self._order_status(order_id) else None, serial, sku,
            lot, e.device, event_id, gun_time(e.at), self.at,
            "rejected" if reason else "accepted", reason, e.by))
        if reason is None:
            rows["bottles"].append((order_id, serial))
            # Later events of this batch must see the bottle as taken.
            self.bottles[serial].update(status="picked", taken=order_id)
            self.lines[(order_id, sku)][1] += 1
            changed.add(order_id)

    def _return_rows(self, rows, event_id, e, reason, changed):
        status = self._order_status(e.order)
        if self.returns.stage(rows, event_id, e, reason, status,
                              gun_time(e.at), self.at):
            # Later events of this batch must see the bottle as back.
            self.bottles[e.bottle[0]]["status"] = "returned"
            changed.add(e.order)

    def finish(self):
        # One revision bump per changed order per batch is enough: guns
        # only compare revisions, and it is the same transaction.
        for order_id in sorted(self.changed_orders):
            bump_rev(self.db, order_id)
        holds.touch(self.db, [(device, order_id, self.at) for device,
                              order_id in sorted(self.touched)])

    # ---------------------------------------------------------------- acks
    def acks(self):
        """One ack per device that sent events in this batch."""
        return {device: ingest_acks.device_ack(self.db, device, seen,
                                               self.at)
                for device, seen in self.seen.items()}


def _chunks(values):
    values = list(values)
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def _marks(values):
    return ",".join("?" * len(values))
