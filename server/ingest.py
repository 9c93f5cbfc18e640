"""Turn a batch of MQTT messages from the guns into database rows, inside
one write transaction, and say which acks to publish once it commits.

No MQTT here: the worker passes (topic, payload) pairs in and publishes
what comes back.  Each gun event is recorded exactly once, keyed by
(device, ep, seq); a duplicate delivery is recognised, never re-applied,
and acknowledged again with its original verdict.  A message that breaks
the wire contract is logged, kept in malformed_messages and skipped: one
bad gun must not stop the others.

Speed matters (a shift's backlog arrives at once when WiFi returns), so
a batch is judged in memory against rows read up front and written with
one executemany per table.  If anything unforeseen fails, the batch is
undone and redone one message at a time, so only the culprit is lost."""
import functools
import logging
import time

from server import order_states, snapshots
from server.db import now, write
from shared import wire

log = logging.getLogger(__name__)

MAX_PAYLOAD = 4096     # a pick event is about 120 bytes
KEEP_BYTES = 300       # how much of a malformed payload is kept to look at
SQLITE_INT_MAX = 2 ** 63 - 1
CHUNK = 500            # values per "IN (...)" query


class Malformed(Exception):
    """A message that breaks the wire contract (the text says how)."""


def ingest_batch(db, messages, received_at=None):
    """Record `messages` [(topic, payload bytes)] in one transaction.

    Returns {device_id: ack payload dict}: publish them only after this
    returns, i.e. after the commit.  Never raises for a bad message."""
    batch = _Batch(db, received_at or now())
    sql = db.conn.execute
    with write(db):
        sql("SAVEPOINT batch")
        try:
            batch.apply(messages)
        except Exception:
            log.exception("batch of %d messages failed; redoing it one "
                          "message at a time", len(messages))
            sql("ROLLBACK TO batch")
            batch = _Batch(db, batch.at)
            for message in messages:
                batch.apply_isolated(message)
        sql("RELEASE batch")
        batch.finish()
        acks = batch.acks()
    return acks


class _Seen:
    """One event of this batch for a device, new or duplicate."""
    __slots__ = ("ep", "seq", "outcome", "reason", "order", "code", "text")

    def __init__(self, ep, seq, outcome, reason, order, code, text):
        self.ep, self.seq, self.outcome = ep, seq, outcome
        self.reason, self.order, self.code = reason, order, code
        self.text = text


class _Event:
    """A well-formed event message waiting to be judged."""
    __slots__ = ("device", "obj", "text", "key", "bottle", "code_reason")

    def __init__(self, device, obj, payload):
        self.device, self.obj = device, obj
        self.text = bytes(payload).decode("utf-8", "replace")
        self.key = (device, obj["ep"], obj["seq"])
        self.bottle = self.code_reason = None
        if obj["k"] == wire.PICK:
            try:
                parsed = wire.parse_code(obj["c"])
            except wire.CodeError as e:
                self.code_reason = e.reason
            else:
                if parsed[0] == "bottle":
                    self.bottle = parsed[1:]          # serial, sku, lot
                else:
                    self.code_reason = "wrong_product"  # an order code


class _Batch:
    def __init__(self, db, at):
        self.db = db
        self.sql = db.conn.execute
        self.many = db.conn.executemany
        self.at = at
        self.seen = {}             # device_id -> [_Seen] in arrival order
        self.keys = {}             # (device, ep, seq) -> _Seen, this batch
        self.changed_orders = set()
        self._forget()

    def _forget(self):
        """Drop what was read from the database (after a rollback)."""
        self.known_devices = set()
        self.orders = {}           # order id -> status (None: no order)
        self.lines = {}            # (order id, sku) -> [qty, got] or None
        self.bottles = {}          # serial -> dict, or None: no such bottle

    # ------------------------------------------------------------ dispatch
    def apply(self, messages):
        events = []
        for topic, payload in messages:
            try:
                kind, device, obj = _parse(topic, payload)
            except Malformed as e:
                self._record_malformed(topic, payload, str(e))
                continue
            self._ensure_device(device)
            if kind == wire.STATUS:
                self._status(device, obj)
            else:
                events.append(_Event(device, obj, payload))
        if events:
            self._events(events)

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
            self.sql("INSERT OR IGNORE INTO devices (id, created_at) "
                     "VALUES (?, ?)", [device, self.at])
            self.known_devices.add(device)

    def _status(self, device, obj):
        if obj["online"]:
            self.sql("UPDATE devices SET online = 1, fw = ?, pending = ?, "
                     "last_seen = ? WHERE id = ?",
                     [str(obj.get("fw") or "")[:40], obj["pending"], self.at,
                      device])
        else:
            # The gun's last will: the broker lost it just now.
            self.sql("UPDATE devices SET online = 0, last_seen = ? "
                     "WHERE id = ?", [self.at, device])

    # -------------------------------------------------------------- events
    def _events(self, events):
        stored = self._stored_keys(events)
        self._load_bottles(e.bottle[0] for e in events if e.bottle)
        next_id = self.sql("SELECT coalesce(max(id), 0) + 1 "
                           "FROM device_events").fetchone()[0]
        staged, seen, changed = {}, [], set()
        rows = {"events": [], "picks": [], "bottles": [], "history": []}
        for e in events:
            obj = e.obj
            prior = staged.get(e.key) or self.keys.get(e.key)
            if prior is None and e.key in stored:
                prior = self._stored_event(e.key)
            if prior is not None:                   # a duplicate
                if prior.text != e.text:
                    log.warning("%s resent ep %d seq %d with different "
                                "content; keeping the first", *e.key)
                seen.append((e.device, prior))
                continue
            if obj["k"] == wire.PICK:
                reason = e.code_reason or self._judge_pick(obj["o"],
                                                           e.bottle)
            else:
                reason = None if self._order_status(obj["o"]) \
                    else "unknown_order"
            outcome = "rejected" if reason else "accepted"
            rows["events"].append((
                next_id, e.device, obj["ep"], obj["seq"], obj["k"], obj["o"],
                obj.get("c"), obj["at"], self.at, outcome, reason, e.text))
            if obj["k"] == wire.PICK:
                self._pick_rows(rows, next_id, e, reason, changed)
            elif not reason:
                status = self._order_status(obj["o"])
                rows["history"].append((
                    obj["o"], "notes_ack", status, status, e.device, self.at,
                    ("notes " + ", ".join(str(n) for n in obj["n"]))[:200]))
            if reason:
                log.info("%s ep %d seq %d: %s for order %d refused: %s",
                         e.device, obj["ep"], obj["seq"], obj["k"], obj["o"],
                         reason)
            next_id += 1
            staged[e.key] = _Seen(obj["ep"], obj["seq"], outcome, reason,
                                  obj["o"], obj.get("c"), e.text)
            seen.append((e.device, staged[e.key]))
        self._write(rows)
        # Only now, with every row written, does the batch remember them.
        self.keys.update(staged)
        for device, s in seen:
            self.seen.setdefault(device, []).append(s)
        self.changed_orders |= changed

    def _stored_keys(self, events):
        """Keys of these events that an earlier batch already recorded."""
        wanted = {}
        for e in events:
            wanted.setdefault(e.key[:2], set()).add(e.key[2])
        found = set()
        for (device, ep), seqs in wanted.items():
            for chunk in _chunks(sorted(seqs)):
                found.update((device, ep, r[0]) for r in self.sql(
                    "SELECT seq FROM device_events WHERE device_id = ? AND "
                    "ep = ? AND seq IN (%s)" % _marks(chunk),
                    [device, ep] + chunk))
        return found

    def _stored_event(self, key):
        row = self.sql(
            "SELECT ep, seq, outcome, reason, order_id, code, payload "
            "FROM device_events WHERE device_id = ? AND ep = ? AND seq = ?",
            list(key)).fetchone()
        return _Seen(*row)

    def _write(self, rows):
        self.many(
            "INSERT INTO device_events (id, device_id, ep, seq, kind, "
            "order_id, code, gun_at, received_at, outcome, reason, payload) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows["events"])
        self.many(
            "INSERT INTO picks (order_id, serial, sku, lot_id, device_id, "
            "event_id, scanned_at, recorded_at, status, reason) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)", rows["picks"])
        self.many("UPDATE bottles SET status = 'picked', order_id = ? "
                  "WHERE serial = ?", rows["bottles"])
        self.many(
            "INSERT INTO order_history (order_id, action, from_status, "
            "to_status, actor, at, detail) VALUES (?,?,?,?,?,?,?)",
            rows["history"])

    # --------------------------------------------------------------- picks
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
                "SELECT qty, (SELECT count(*) FROM picks WHERE order_id = ? "
                "AND sku = ? AND status = 'accepted') AS got FROM order_lines "
                "WHERE order_id = ? AND sku = ?",
                [order_id, sku, order_id, sku]).fetchone()
            self.lines[key] = [row["qty"], row["got"]] if row else None
        return self.lines[key]

    def _load_bottles(self, serials):
        missing = sorted({s for s in serials if s not in self.bottles})
        for chunk in _chunks(missing):
            for serial in chunk:
                self.bottles[serial] = None
            for r in self.sql(
                    "SELECT serial, sku, lot_id, status, (SELECT order_id "
                    " FROM picks WHERE serial = b.serial "
                    " AND status = 'accepted') AS taken "
                    "FROM bottles b WHERE serial IN (%s)" % _marks(chunk),
                    chunk):
                self.bottles[r["serial"]] = dict(r)

    def _judge_pick(self, order_id, bottle):
        """None if the scan is accepted, else the reason.  Rules in the
        order the associate can act on: wrong order before wrong bottle."""
        serial, sku, lot = bottle
        status = self._order_status(order_id)
        if status is None:
            return "unknown_order"
        if not order_states.can(status, "pick"):
            return "not_pickable"
        row = self.bottles.get(serial)
        if row is None:
            return "unknown_bottle"
        if row["sku"] != sku or row["lot_id"] != lot:
            return "lot_mismatch"
        if row["taken"] is not None:
            return "duplicate" if row["taken"] == order_id else "bottle_taken"
        if row["status"] != "in_stock":
            return "not_in_stock"
        line = self._line(order_id, sku)
        if line is None:
            return "wrong_product"
        if line[1] >= line[0]:
            return "over_pick"
        return None

    def _pick_rows(self, rows, event_id, e, reason, changed):
        order_id = e.obj["o"]
        serial, sku, lot = e.bottle or (None, None, None)
        rows["picks"].append((
            order_id if self._order_status(order_id) else None, serial, sku,
            lot, e.device, event_id, _gun_time(e.obj["at"]), self.at,
            "rejected" if reason else "accepted", reason))
        if reason is None:
            rows["bottles"].append((order_id, serial))
            # Later events of this batch must see the bottle as taken.
            self.bottles[serial].update(status="picked", taken=order_id)
            self.lines[(order_id, sku)][1] += 1
            changed.add(order_id)

    def finish(self):
        # One revision bump per changed order per batch is enough: guns
        # only compare revisions, and it is the same transaction.
        for order_id in sorted(self.changed_orders):
            snapshots.bump_rev(self.db, order_id)

    # ---------------------------------------------------------------- acks
    def acks(self):
        """One cumulative ack per device that sent events in this batch."""
        out = {}
        for device, events in self.seen.items():
            # The epoch of the device's latest event is its current journal:
            # a gun starts a new epoch only when it starts a new journal.
            ep = events[-1].ep
            row = self.sql("SELECT ep, upto FROM devices WHERE id = ?",
                           [device]).fetchone()
            upto = row["upto"] if row["ep"] == ep else 0
            if row["ep"] != ep:
                log.info("%s: journal epoch %d (was %d)", device, ep,
                         row["ep"])
            for (seq,) in self.sql(
                    "SELECT seq FROM device_events WHERE device_id = ? AND "
                    "ep = ? AND seq > ? ORDER BY seq", [device, ep, upto]):
                if seq != upto + 1:
                    break              # a gap: wait for the missing event
                upto = seq
            self.sql("UPDATE devices SET ep = ?, upto = ?, last_seen = ? "
                     "WHERE id = ?", [ep, upto, self.at, device])
            rejected = {}
            for e in events:
                if e.ep == ep and e.seq <= upto and e.outcome == "rejected":
                    rejected[e.seq] = {"seq": e.seq, "why": e.reason,
                                       "o": e.order, "c": e.code or ""}
            out[device] = wire.ack(ep, upto,
                                   [rejected[s] for s in sorted(rejected)])
        return out


def _check_int_range(obj):
    # JSON integers are unbounded; SQLite's are 64-bit.
    for key in ("ep", "seq", "o", "at", "pending", "upto"):
        value = obj.get(key)
        if isinstance(value, int) and value > SQLITE_INT_MAX:
            raise Malformed("field %s out of range" % key)
    notes = obj.get("n")
    if isinstance(notes, list) and any(
            isinstance(n, int) and abs(n) > SQLITE_INT_MAX for n in notes):
        raise Malformed("field n out of range")


@functools.lru_cache(maxsize=1024)
def _gun_time(at):
    """The gun's clock as stored text, or None if it was never set.
    (Cached: a backlog holds many events of the same second.)"""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at)) \
            if at else None
    except (OverflowError, OSError, ValueError):
        return None            # a clock far outside any real date


def _parse(topic, payload):
    """(kind, device, payload dict) or raise Malformed."""
    if isinstance(topic, bytes):
        topic = topic.decode("utf-8", "replace")
    try:
        kind, device = wire.parse_topic(topic)
    except wire.WireError as e:
        raise Malformed(str(e))
    if kind not in (wire.EVT, wire.STATUS):
        raise Malformed("the worker does not read %s topics" % kind)
    if len(payload) > MAX_PAYLOAD:
        raise Malformed("payload too large: %d bytes (limit %d)"
                        % (len(payload), MAX_PAYLOAD))
    try:
        obj = wire.decode(payload)
        if kind == wire.EVT:
            wire.check_event(obj)
        else:
            wire.check_status(obj)
    except wire.WireError as e:
        raise Malformed(str(e))
    _check_int_range(obj)
    return kind, device, obj


def _chunks(values):
    values = list(values)
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def _marks(values):
    return ",".join("?" * len(values))
