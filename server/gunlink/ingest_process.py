"""The worker's ingest process: the only SQLite writer of the worker.

The MQTT side of the worker (server.gunlink.worker) runs paho in its own
process and hands the guns' raw messages over in batches; this process
records each batch in one transaction (server.gunlink.ingest), commits,
and only then hands back the acks to publish.  It also owns the snapshot
outbox: it reads the orders whose revision has not been published, builds
their retained snapshots for the MQTT side to publish
(server.gunlink.snapshots), and records published_rev once the MQTT side
reports the broker's PUBACK; after each (re)connection it hands over
every snapshot that may be retained again, a page at a time.  It hands
over the firmware roll-out to retain too (server.fleet.releases), at
each (re)connection and whenever it changes, and each gun's hold list
(server.fleet.holds): recomputed at most once every HOLD_SECONDS, only
the lists that changed handed over, and every one after each
(re)connection.  The same for the roster (server.staff.roster) and the
lots message (server.orders.lot_checks), retained for every gun: read at
most once every FLOOR_SECONDS, handed over when either differs from what
was last handed over, and both after each (re)connection.  The answers
to the guns' gets go with a batch's acks.

Two processes rather than two threads: paho's network handling and the
ingest each cost about as much CPU per message, and in one process they
take turns on one interpreter lock.

The messages between the two processes are named in
server.gunlink.protocol.  The process ends on STOP, or when the MQTT
side's end of the pipe closes (so it never outlives the worker), and
ignores SIGINT: a Ctrl-C reaches the whole process group, and the worker
stops it in order (the worker starts it with SIGINT ignored)."""
import ctypes
import datetime
import logging
import multiprocessing
import os
import signal
import sqlite3
import sys
import time

from server.core import db as dbm
from server.fleet import holds, releases
from server.gunlink import ingest
from server.gunlink import protocol, snapshots
from server.orders import lot_checks
from server.staff import roster
from shared import wire

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
BATCH_ATTEMPTS = 3       # a batch the database refuses this often is dropped
RESYNC_WAIT = 10.0       # seconds for the broker to take a page of them
HOLD_SECONDS = 1.0       # hold lists are recomputed at most this often
TOUCHES_KEPT_SECONDS = 600   # how often touches too old to count go
FLOOR_SECONDS = 1.0      # the roster and lots message are read this often


def main(requests, replies, db_path, poll_seconds, log_level):
    """Entry point of the child process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent()
    logging.basicConfig(level=log_level,
                        format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    Ingester(requests, replies, db_path, poll_seconds).run()


def _end_with_parent():
    """Linux: be sent SIGTERM when the worker dies, even if this process is
    stuck and never reads the pipe's end.  Elsewhere the closed pipe is
    what ends it."""
    parent = multiprocessing.parent_process()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent.pid:
        sys.exit(0)                     # the worker died before prctl()


class Ingester:
    def __init__(self, requests, replies, db_path, poll_seconds):
        self.requests, self.replies = requests, replies
        self.db_path = db_path
        self.poll_seconds = poll_seconds
        self.connected = False
        self._resync = None      # where republishing stands, None: done
        self._resync_out = set()     # its last page, not yet on the broker
        self._resync_at = 0.0
        self._firmware = None    # the roll-out revision handed over
        self._dealer = holds.Dealer()
        self._holds_at = 0.0     # when hold lists were last recomputed
        self._holds_all = False  # hand every list over (a reconnection)
        self._touches_at = 0.0
        self._floor = {}         # topic -> payload last handed over
        self._floor_at = 0.0     # when the roster and lots were last read
        self._handlers = {
            protocol.BATCH: self._on_batch,
            protocol.CONNECTED: self._on_connected,
            protocol.DISCONNECTED: self._on_disconnected,
            protocol.POLL: self._on_poll,
            protocol.PUBLISHED: self._on_published,
            protocol.CLEARED: self._on_cleared,
        }

    def run(self):
        self.db = dbm.connect(self.db_path)
        dbm.migrate(self.db)
        try:
            self._loop()
        finally:
            self.db.conn.close()

    def _loop(self):
        next_poll = 0.0
        while True:
            timeout = max(0.0, next_poll - time.monotonic())
            if self.requests.poll(timeout):
                try:
                    message = self.requests.recv()
                except (EOFError, OSError):
                    return                      # the worker is gone
                if message[0] == protocol.STOP:
                    return
                if not self._guarded(message):
                    return
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + self.poll_seconds
                if self.connected and not self._guarded((protocol.POLL,)):
                    return

    def _guarded(self, message):
        """Handle one message; False once the worker is gone."""
        try:
            protocol.dispatch(self._handlers, message)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            return False
        except Exception:
            # Keep serving the other guns; whatever was not acked will be
            # resent by its gun, and the outbox is read again next poll.
            log.exception("ingest step %s failed", message[0])
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
            if message[0] == protocol.BATCH:
                try:
                    self.replies.send((protocol.DROPPED, len(message[1])))
                except OSError:
                    return False
            time.sleep(1)
        return True

    # ------------------------------------------------------------- events
    def _on_batch(self, batch):
        for attempt in range(1, BATCH_ATTEMPTS + 1):
            try:
                started = time.monotonic()
                answers = []
                acks = ingest.ingest_batch(self.db, batch, answers=answers)
                break
            except sqlite3.Error:
                log.exception("database refused a batch of %d messages "
                              "(attempt %d)", len(batch), attempt)
                time.sleep(attempt)
        else:
            # Nothing was acked, so every gun still holds these events and
            # will send them again.
            log.error("dropping a batch of %d messages", len(batch))
            self.replies.send((protocol.DROPPED, len(batch)))
            return
        # Committed: now, and only now, may the guns be told.
        self.replies.send((protocol.ACKS, len(batch), [
            (wire.dev_topic(device, wire.ACK), wire.encode(payload))
            for device, payload in acks.items()] + answers))
        log.debug("batch of %d messages, %d acks, %.1f ms", len(batch),
                  len(acks), (time.monotonic() - started) * 1000)

    # ---------------------------------------------------------- snapshots
    def _on_connected(self):
        """A (re)connection.  The broker may have lost retained snapshots,
        or brought old ones back (a broker that crashes comes back with its
        last autosave): every snapshot that may be retained is published
        again as the database has it, a page at a time, each page once the
        broker has the one before, so the guns' acks go out in between."""
        self.connected = True
        self._resync = ("", 0)
        self._firmware = None
        self._holds_all, self._holds_at = True, 0.0
        self._floor.clear()
        self._send_floor()
        self._resync_page()

    def _on_disconnected(self):
        self.connected = False
        self._resync = None
        self._resync_out.clear()
        self._firmware = None
        self._floor.clear()

    def _on_poll(self):
        self._offer(snapshots.unpublished(self.db))
        # The firmware roll-out, retained for every gun: again after each
        # (re)connection, since a broker may have lost or rolled back its
        # retained copy, and whenever it changes (a release, a pause).
        firmware = releases.offer(self.db)
        if firmware is not None and firmware[0] != self._firmware:
            self._firmware = firmware[0]
            self.replies.send((protocol.FIRMWARE, firmware[1]))
        # Closed orders whose snapshot has been retained long enough: the
        # MQTT side publishes an empty retained message for each.
        stale = snapshots.clearable(self.db, snapshots.clear_cutoff())
        if stale:
            self.replies.send((protocol.CLEARS, stale))
        if time.monotonic() >= self._holds_at + HOLD_SECONDS:
            self._send_holds()
        if time.monotonic() >= self._floor_at + FLOOR_SECONDS:
            self._send_floor()
        if self._resync is not None and (
                not self._resync_out
                or time.monotonic() > self._resync_at + RESYNC_WAIT):
            self._resync_page()

    def _send_holds(self):
        """Hand over the hold lists that changed (all of them after a
        (re)connection: the broker may have lost retained ones), and an
        empty one for each retired gun still holding a list.  A list is
        recorded as sent when handed over; one lost with its connection
        goes again with every other after the next one."""
        self._holds_at = time.monotonic()
        if self._holds_at >= self._touches_at + TOUCHES_KEPT_SECONDS:
            self._touches_at = self._holds_at
            with dbm.transaction(self.db):
                holds.forget_old_touches(self.db)
        self.db.conn.execute("BEGIN")    # one consistent read
        try:
            lists = self._dealer.lists(self.db)
            out = holds.changes(self.db, lists, self._holds_all)
        finally:
            self.db.conn.execute("COMMIT")
        self._holds_all = False
        if not out:
            return
        with dbm.transaction(self.db):
            holds.mark_sent(self.db, out)
        self.replies.send((protocol.HOLDS, [
            (wire.dev_topic(device, wire.HOLD),
             wire.encode(wire.hold(orders)) if orders is not None else b"")
            for device, orders in out]))

    def _send_floor(self):
        """Hand over the roster and the lots message, each only when it
        differs from what was handed over last (everything after a
        (re)connection, which clears what was handed over: the broker may
        have lost its retained copies).  A lot expires at the start of its
        expiry day, local time, so the lots message can change at
        midnight with nothing written."""
        self._floor_at = time.monotonic()
        self.db.conn.execute("BEGIN")    # one consistent read
        try:
            out = {wire.ROSTER_TOPIC: wire.encode(roster.roster_payload(
                       self.db)),
                   wire.LOTS_TOPIC: wire.encode(wire.lots(
                       lot_checks.refused_lots(self.db,
                                               datetime.date.today())))}
        finally:
            self.db.conn.execute("COMMIT")
        changed = [(topic, payload) for topic, payload in out.items()
                   if self._floor.get(topic) != payload]
        if changed:
            self._floor.update(changed)
            self.replies.send((protocol.RETAIN, changed))
            log.info("handed over %s", ", ".join(t for t, _ in changed))

    def _resync_page(self):
        page = snapshots.retained(self.db, self._resync)
        if not page:
            self._resync = None
            self._resync_out.clear()
            log.debug("retained snapshots republished")
            return
        self._resync_out = self._offer([order_id for _, order_id in page])
        self._resync = page[-1]          # (if the offer failed: again)
        self._resync_at = time.monotonic()

    def _offer(self, order_ids):
        """Snapshots for the MQTT side to publish retained; published_rev
        is set only once the broker has them (_on_published).  Orders no
        gun needs a snapshot of are marked dealt with.  Returns the ids
        offered."""
        if not order_ids:
            return set()
        self.db.conn.execute("BEGIN")    # one consistent read
        try:
            out, passed = snapshots.outgoing(self.db, order_ids)
        finally:
            self.db.conn.execute("COMMIT")
        if passed or out:
            with dbm.transaction(self.db):
                for order_id, rev in passed:
                    snapshots.mark_passed(self.db, order_id, rev)
                for order_id, rev, _ in out:
                    snapshots.mark_offered(self.db, order_id, rev)
        if out:
            self.replies.send((protocol.SNAPSHOTS, out))
        return {order_id for order_id, _, _ in out}

    def _on_published(self, done):
        with dbm.transaction(self.db):
            for order_id, rev in done:
                snapshots.mark_published(self.db, order_id, rev)
        if self._resync_out:
            self._resync_out.difference_update(o for o, _ in done)
            if not self._resync_out and self._resync is not None:
                self._resync_page()

    def _on_cleared(self, done):
        with dbm.transaction(self.db):
            for order_id, rev in done:
                snapshots.mark_cleared(self.db, order_id, rev)
