"""The MQTT worker: the only process that talks to the guns.

paho's network thread only appends incoming messages to an inbox.  The main
loop takes them in batches, records a whole batch in one SQLite
transaction (server.ingest), and only after the commit publishes each
gun's cumulative ack, so an ack never covers an event that could still be
lost.  It also publishes the retained order snapshots: the database is the
outbox (orders.rev != published_rev), polled a few times a second so
changes made in the web app reach the guns, and every order awaiting
fulfilment is republished on each (re)connect in case the broker lost its
retained store.

The worker's MQTT session is persistent (clean_session=False): while the
worker is down the broker queues the guns' events for it.  Events that
were delivered but not yet committed when the worker died are not lost
either: the gun keeps every event until an ack covers it and resends."""
import logging
import collections
import random
import signal
import sqlite3
import threading
import time

import click
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from server import db as dbm
from server import ingest, order_states, snapshots
from server.broker import WORKER_USER
from shared import wire

log = logging.getLogger(__name__)

BATCH_MAX = 500          # messages per transaction
POLL_SECONDS = 0.3       # how often the snapshot outbox is checked
KEEPALIVE = 30
BACKOFF_MIN = 0.25       # seconds before the first reconnect attempt
BACKOFF_MAX = 30.0
BATCH_ATTEMPTS = 3       # a batch the database refuses this often is dropped
FULFILMENT_STATUSES = [s for s in order_states.STATUSES
                       if order_states.awaiting_fulfilment(s)]


class Worker:
    def __init__(self, db_path, host="127.0.0.1", port=1883,
                 user=WORKER_USER, password=None, client_id=None,
                 batch_max=BATCH_MAX, poll_seconds=POLL_SECONDS):
        self.db_path = db_path
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.client_id = client_id or user
        self.batch_max = batch_max
        self.poll_seconds = poll_seconds
        # A deque plus an Event rather than queue.Queue: appending costs the
        # network thread almost nothing, which matters at 10k messages/s.
        self.inbox = collections.deque()
        self._wake = threading.Event()
        self.connected = threading.Event()
        self._stopping = threading.Event()
        self._reconnected = threading.Event()
        self._thread = None
        self._pending = {}       # order id -> (rev, MQTTMessageInfo)
        self.stats = {"messages": 0, "batches": 0, "acks": 0,
                      "snapshots": 0, "connects": 0}

    # ----------------------------------------------------------- lifecycle
    def start(self):
        """Run in a background thread (tests, `pickgun up`)."""
        self._thread = threading.Thread(target=self.run, name="pickgun-worker",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=10):
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def request_stop(self):
        """Ask run() to return; safe from a signal handler."""
        self._stopping.set()
        self._wake.set()

    def run(self):
        """Blocking: connect, then ingest and publish until stopped."""
        self.db = dbm.connect(self.db_path)
        dbm.migrate(self.db)
        self.client = self._make_client()
        network = threading.Thread(target=self._network_loop,
                                   name="pickgun-mqtt", daemon=True)
        network.start()
        log.info("worker started: database %s, broker %s:%d",
                 self.db_path, self.host, self.port)
        try:
            self._main_loop()
        finally:
            self._stopping.set()
            network.join(10)
            self.db.conn.close()
            log.info("worker stopped")

    # ---------------------------------------------------------------- MQTT
    def _make_client(self):
        client = mqtt.Client(CallbackAPIVersion.VERSION2,
                             client_id=self.client_id, clean_session=False,
                             protocol=mqtt.MQTTv311)
        client.username_pw_set(self.user, self.password)
        client.max_inflight_messages_set(100)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.connect_async(self.host, self.port, keepalive=KEEPALIVE)
        return client

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.error("broker %s:%d refused the worker: %s", self.host,
                      self.port, reason_code)
            return
        self.stats["connects"] += 1
        log.info("connected to broker %s:%d (session present: %s)",
                 self.host, self.port, flags.session_present)
        client.subscribe([(wire.EVT_FILTER, 1), (wire.STATUS_FILTER, 1)])
        self.connected.set()
        self._reconnected.set()
        self._wake.set()         # republish now

    def _on_disconnect(self, client, userdata, flags, reason_code,
                       properties):
        self.connected.clear()
        if not self._stopping.is_set():
            log.warning("disconnected from broker: %s", reason_code)

    def _on_message(self, client, userdata, msg):
        # The network thread must never block or raise: just hand over.
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = "<topic not UTF-8>"
        self.inbox.append((topic, msg.payload))
        if not self._wake.is_set():
            self._wake.set()

    def _network_loop(self):
        delay = BACKOFF_MIN
        while not self._stopping.is_set():
            self.connected.clear()
            try:
                self.client.reconnect()
            except (OSError, mqtt.WebsocketConnectionError) as e:
                log.warning("cannot reach broker %s:%d: %s", self.host,
                            self.port, e)
            else:
                was = self.stats["connects"]
                while not self._stopping.is_set():
                    if self.client.loop(0.2) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                        break
                if self.stats["connects"] != was:
                    delay = BACKOFF_MIN  # it worked: retry soon next time
            if self._stopping.is_set():
                break
            # Jitter, so a broker restart is not met by every client at once.
            wait = delay * random.uniform(0.5, 1.0)
            log.info("reconnecting in %.1f s", wait)
            self._stopping.wait(wait)
            delay = min(delay * 2, BACKOFF_MAX)
        if self.connected.is_set():
            self.client.disconnect()
            self.client.loop(0.5)

    # ----------------------------------------------------------- main loop
    def _main_loop(self):
        self._next_poll = 0.0
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception:
                # Keep serving the other guns; whatever was not acked will
                # be resent by its gun.
                log.exception("worker step failed")
                if self.db.conn.in_transaction:
                    self.db.conn.execute("ROLLBACK")
                self._stopping.wait(1)

    def _step(self):
        batch = self._drain(timeout=self.poll_seconds)
        if batch:
            self._ingest(batch)
        if self._reconnected.is_set() and self.connected.is_set():
            self._reconnected.clear()
            self._pending.clear()        # publishes of the old connection
            self._publish_snapshots(self._fulfilment_orders())
        if time.monotonic() >= self._next_poll:
            self._next_poll = time.monotonic() + self.poll_seconds
            if self.connected.is_set():
                self._publish_snapshots(snapshots.unpublished(self.db))
            self._mark_published()

    def _drain(self, timeout):
        """Wait for the first message, then take what is already queued."""
        if not self.inbox:
            self._wake.wait(timeout)
        self._wake.clear()
        items = []
        take = self.inbox.popleft
        try:
            while len(items) < self.batch_max:
                items.append(take())
        except IndexError:
            pass
        if self.inbox:
            self._wake.set()     # more than one batch is waiting
        return items

    def _ingest(self, batch):
        for attempt in range(1, BATCH_ATTEMPTS + 1):
            try:
                started = time.monotonic()
                acks = ingest.ingest_batch(self.db, batch)
                break
            except sqlite3.Error:
                log.exception("database refused a batch of %d messages "
                              "(attempt %d)", len(batch), attempt)
                self._stopping.wait(attempt)
        else:
            # Nothing was acked, so every gun still holds these events and
            # will send them again.
            log.error("dropping a batch of %d messages", len(batch))
            return
        # Committed: now, and only now, tell the guns.
        for device, payload in acks.items():
            self.client.publish(wire.dev_topic(device, wire.ACK),
                                wire.encode(payload), qos=1, retain=False)
        self.stats["messages"] += len(batch)
        self.stats["batches"] += 1
        self.stats["acks"] += len(acks)
        log.debug("batch of %d messages, %d acks, %.1f ms", len(batch),
                  len(acks), (time.monotonic() - started) * 1000)

    # ----------------------------------------------------------- snapshots
    def _fulfilment_orders(self):
        marks = ",".join("?" * len(FULFILMENT_STATUSES))
        return [r[0] for r in self.db.execute(
            "SELECT id FROM orders WHERE status IN (%s) ORDER BY id" % marks,
            FULFILMENT_STATUSES)]

    def _publish_snapshots(self, order_ids):
        """Publish retained snapshots; published_rev is set only once the
        broker has acknowledged them (see _mark_published)."""
        if not order_ids:
            return
        self.db.conn.execute("BEGIN")    # one consistent read
        try:
            snaps = [snapshots.order_snapshot(self.db, i) for i in order_ids]
        finally:
            self.db.conn.execute("COMMIT")
        for snap in snaps:
            if snap is None:
                continue
            pending = self._pending.get(snap["o"])
            if pending and pending[0] >= snap["rev"]:
                continue             # this revision is on its way already
            info = self.client.publish(wire.order_topic(snap["o"]),
                                       wire.encode(snap), qos=1, retain=True)
            self._pending[snap["o"]] = (snap["rev"], info)
            self.stats["snapshots"] += 1
            log.debug("snapshot of order %d rev %d published", snap["o"],
                      snap["rev"])

    def _mark_published(self):
        done = []
        for order_id, (rev, info) in list(self._pending.items()):
            try:
                if info.is_published():
                    done.append((order_id, rev))
            except (RuntimeError, ValueError):
                # Lost with its connection: published_rev is unchanged, so
                # the outbox poll sends it again.
                del self._pending[order_id]
        if not done:
            return
        with dbm.write(self.db):
            for order_id, rev in done:
                snapshots.mark_published(self.db, order_id, rev)
        for order_id, _ in done:
            del self._pending[order_id]


# ------------------------------------------------------------------- CLI
def _read_password(path):
    with open(path) as f:
        return f.read().strip()


@click.command("worker")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              default=None, help="SQLite file (default: the web app's, "
              "instance/pickgun.db or $PICKGUN_DATABASE).")
@click.option("--broker-host", default="127.0.0.1", show_default=True,
              envvar="PICKGUN_MQTT_HOST")
@click.option("--broker-port", default=1883, show_default=True, type=int,
              envvar="PICKGUN_MQTT_PORT")
@click.option("--user", default=WORKER_USER, show_default=True,
              help="The broker user the worker logs in as.")
@click.option("--password-file", type=click.Path(exists=True,
              dir_okay=False), envvar="PICKGUN_WORKER_PASSWORD_FILE",
              required=True, help="File holding the worker's broker "
              "password (kept out of the process list).")
@click.option("--batch-max", default=BATCH_MAX, show_default=True, type=int,
              help="Most messages recorded per transaction.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def worker_command(db_path, broker_host, broker_port, user, password_file,
                   batch_max, log_level):
    """Run the MQTT worker: record gun events, publish acks and order
    snapshots.  Stops cleanly on SIGTERM or Ctrl-C."""
    from server import default_database, prepare_database
    logging.basicConfig(level=log_level,
                        format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    path = db_path or default_database()
    prepare_database(path)
    worker = Worker(path, broker_host, broker_port, user,
                    _read_password(password_file), batch_max=batch_max)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.request_stop())
    worker.run()
    click.echo("worker stopped after %(messages)d messages in %(batches)d "
               "batches" % worker.stats)


if __name__ == "__main__":
    worker_command()
