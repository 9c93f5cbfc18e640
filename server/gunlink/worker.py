"""The MQTT worker: the only process that talks to the guns.

It is two processes.  This one runs paho: its network thread reads the
guns' messages and appends them to an inbox, and the main thread hands
the inbox over in batches to the ingest process
(server.gunlink.ingest_process), the worker's only SQLite writer.  That
one records a whole batch in one transaction (server.gunlink.ingest) and,
only after the commit, sends back each gun's cumulative ack, which the
network thread publishes: an ack never covers an event that could still
be lost.  Two processes, because paho's
handling of a message and its ingest cost about the same CPU, and in one
process they would take turns on one interpreter lock.

The retained order snapshots go the same way: the database is the outbox
(orders.rev != published_rev), polled a few times a second by the ingest
process so changes made in the web app reach the guns.  published_rev is
recorded once the broker has acknowledged the snapshot.  A broker saves
its retained messages every AUTOSAVE_SECONDS, so a crash can lose what it
acknowledged since, and bring back what it held before: after each
(re)connection every snapshot that may be retained is published again,
a page at a time (server.gunlink.ingest_process), and the clearing of a closed
order's snapshot (an empty retained message) is recorded only once the
broker has stayed up long enough to have saved it (CLEAR_SAVED_AFTER); a
clearing not recorded is simply sent again.  (The broker runs on the
worker's machine, so a broker that died closes the worker's connection
at once.)

The worker's MQTT session is persistent (clean_session=False): while the
worker is down the broker queues the guns' events for it.  Events that
were delivered but not yet committed when the worker (or its ingest
process) died are not lost either: the gun keeps every event until an
ack covers it and resends.  The ingest process is restarted if it dies,
ends when the worker's end of its pipe closes, and is stopped before the
worker returns.  (Over 350 lines: one Worker whose paho callbacks, network
loop and reply handlers share the connection's state.)

_Client overrides paho's private _sock_recv to read the socket in large
chunks, because paho 2.x (checked on 2.2) has no public way to: its API
(connect, the loop_read/loop_write/loop_misc external loop, socket(),
the on_socket_* callbacks, tls_set_context, ws_set_options, proxy_set)
lets one choose the transport and be told of the socket, never wrap the
socket paho reads from or change how much it reads at once (paho builds
the socket itself, in the private _create_socket, and reads each packet
in three small recv() calls).  A custom SSLContext (tls_set_context)
could buffer, but only on TLS, which the worker does not use to reach
the broker beside it.  Should a paho release stop calling _sock_recv,
the worker still works, only slower (bench/ingest.py shows it)."""
import collections
import logging
import multiprocessing
import random
import select
import signal
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import click
import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode, CallbackAPIVersion

from server.gunlink import ingest_process, protocol
from server.gunlink.broker import AUTOSAVE_SECONDS, WORKER_USER
from server.core.db import default_database, prepare_database
from shared import wire

log = logging.getLogger(__name__)

BATCH_MAX = 500          # messages per transaction
IN_FLIGHT = 2            # batches handed over and not yet committed
POLL_SECONDS = 0.3       # how often the snapshot outbox is checked
KEEPALIVE = 30
BACKOFF_MIN = 0.25       # seconds before the first reconnect attempt
BACKOFF_MAX = 30.0
NET_TICK = 0.2           # longest select() of the network thread
RESTART_DELAY = 1.0      # before starting a dead ingest process again
STOP_SECONDS = 10        # for the ingest process to finish its batch
READ_SIZE = 65536        # bytes per recv() from the broker
READ_PACKETS = 500       # packets handled between two select()s at most
# A clearing counts as done this long after the broker acknowledged it on
# a connection still up: it has autosaved since (it saves once a second
# check finds the interval over, so a few seconds of margin).
CLEAR_SAVED_AFTER = AUTOSAVE_SECONDS + 5


def _write_when_selected(client, userdata, sock):
    """paho asks to be told when `sock` is writable: the network loop
    selects for writing whenever client.want_write(), so nothing to do."""


class _Client(mqtt.Client):
    """paho's client, reading the socket 64 KiB at a time.

    paho reads each packet with three recv() calls (type, length, rest)
    after a select(); at thousands of messages a second those system calls
    are most of its cost.  Here one recv() fetches whatever the broker has
    sent and paho's reads are served from that buffer; the network loop
    asks `buffered()` before it waits in select(), the way paho itself
    asks a TLS socket for decrypted bytes it still holds."""

    _rbuf = b""
    _rpos = 0

    def buffered(self):
        return len(self._rbuf) - self._rpos

    def _packet_write(self):
        # Every gun event arrives QoS 1 and costs a PUBACK.  The network
        # loop writes once per select() (on_socket_register_write below
        # keeps paho from writing each packet as it is queued), and the
        # PUBACKs queued since then leave in one send().
        out = self._out_packet
        if len(out) > 1 and out[0]["command"] == mqtt.PUBACK:
            acks = []
            while out and out[0]["command"] == mqtt.PUBACK and \
                    out[0]["pos"] == 0:
                acks.append(out.popleft())
            if len(acks) > 1:
                data = b"".join(bytes(p["packet"]) for p in acks)
                out.appendleft({"command": mqtt.PUBACK, "mid": 0, "qos": 0,
                                "pos": 0, "to_process": len(data),
                                "packet": data, "info": None})
            else:
                out.extendleft(reversed(acks))
        return super()._packet_write()

    def reconnect(self):
        self._rbuf, self._rpos = b"", 0      # bytes of the old connection
        return super().reconnect()

    def _sock_recv(self, bufsize):
        pos, buf = self._rpos, self._rbuf
        if pos >= len(buf):
            buf = super()._sock_recv(READ_SIZE)   # raises as paho expects
            if not buf:
                return buf                          # closed by the broker
            pos = 0
            self._rbuf = buf
        out = buf[pos:pos + bufsize]
        self._rpos = pos + len(out)
        return out


class Worker:
    def __init__(self, db_path, host="127.0.0.1", port=1883,
                 user=WORKER_USER, password=None, client_id=None,
                 batch_max=BATCH_MAX, poll_seconds=POLL_SECONDS,
                 in_flight=IN_FLIGHT):
        self.db_path = db_path
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.client_id = client_id or user
        self.batch_max = batch_max
        self.poll_seconds = poll_seconds
        self.in_flight = in_flight
        # A deque plus an Event rather than queue.Queue: appending costs the
        # network thread almost nothing, which matters at 10k messages/s.
        self.inbox = collections.deque()
        self._control = collections.deque()  # small messages for ingest
        self._wake = threading.Event()
        self.connected = threading.Event()
        self._stopping = threading.Event()   # asked to stop
        self._net_stop = threading.Event()   # network thread: stop now
        self._thread = None
        self._proc: BaseProcess | None = None  # the ingest process
        self._requests: Connection | None = None
        self._replies: Connection | None = None
        # Batches that may be handed over, not yet committed: renewed for
        # each ingest process.
        self._slots = threading.Semaphore(in_flight)
        self._pending = {}       # order id -> (rev, MQTTMessageInfo)
        self._clearing = {}      # order id -> (rev, info, saved) of its
                                 # clearing; saved: the monotonic time it
                                 # counts as saved from, None until the
                                 # broker acknowledges it
        self._published = {}     # order id -> rev the broker has, this
                                 # connection
        self._next_check = 0.0
        self.stats = {"messages": 0, "batches": 0, "acks": 0,
                      "snapshots": 0, "connects": 0, "holds": 0}
        self._handlers = {
            protocol.ACKS: self._reply_acks,
            protocol.DROPPED: self._reply_dropped,
            protocol.SNAPSHOTS: self._reply_snapshots,
            protocol.CLEARS: self._reply_clears,
            protocol.FIRMWARE: self._reply_firmware,
            protocol.HOLDS: self._reply_holds,
            protocol.RETAIN: self._reply_retain,
        }

    # ----------------------------------------------------------- lifecycle
    def start(self):
        """Run in a background thread (tests, `pickgun up`)."""
        self._thread = threading.Thread(target=self.run, name="pickgun-worker",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=15):
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def request_stop(self):
        """Ask run() to return; safe from a signal handler."""
        self._stopping.set()
        self._wake.set()

    def run(self):
        """Blocking: connect, then hand over and publish until stopped."""
        self._start_ingest()
        self.client = self._make_client()
        network = threading.Thread(target=self._network_loop,
                                   name="pickgun-mqtt", daemon=True)
        network.start()
        log.info("worker started: database %s, broker %s:%d",
                 self.db_path, self.host, self.port)
        try:
            self._main_loop()
        finally:
            # The ingest process first, so the acks of its last batch can
            # still go out; then the connection.
            self._stop_ingest()
            self._net_stop.set()
            network.join(10)
            log.info("worker stopped")

    # ------------------------------------------------------ ingest process
    def _start_ingest(self):
        ctx = multiprocessing.get_context("spawn")
        requests_r, requests_w = ctx.Pipe(duplex=False)
        replies_r, replies_w = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=ingest_process.main, name="pickgun-ingest",
            args=(requests_r, replies_w, self.db_path, self.poll_seconds,
                  logging.getLogger().getEffectiveLevel()),
            daemon=True)
        # A Ctrl-C reaches the whole process group; the worker stops the
        # ingest process in order, so it must not see SIGINT, not even
        # while it starts up: an ignored signal stays ignored across exec.
        # (Only the main thread may change it: `pickgun worker` does.)
        if threading.current_thread() is threading.main_thread():
            handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                proc.start()
            finally:
                signal.signal(signal.SIGINT, handler)
        else:
            proc.start()
        requests_r.close()       # the child's ends: only the child holds
        replies_w.close()        # them, so either side sees the other go
        self._slots = threading.Semaphore(self.in_flight)
        self._requests, self._replies, self._proc = \
            requests_w, replies_r, proc
        self._control.clear()
        # Reports of published snapshots the old process may have missed:
        # the new one offers them again, and they go out again.
        self._published.clear()
        if self.connected.is_set():
            self._control.append((protocol.CONNECTED,))
        log.debug("ingest process %d started", proc.pid)

    def _stop_ingest(self):
        proc, requests = self._proc, self._requests
        if proc is None or requests is None:
            return
        try:
            requests.send((protocol.STOP,))
        except OSError:
            pass
        proc.join(STOP_SECONDS)
        if proc.is_alive():
            log.error("ingest process %d did not stop; terminating it",
                      proc.pid)
            proc.terminate()
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
        requests.close()
        self._proc = None

    def _live_requests(self):
        """The pipe to the ingest process while it runs; None once it has
        exited (another is started, unless stopping)."""
        proc, requests = self._proc, self._requests
        if proc is None or requests is None:
            raise RuntimeError("the ingest process was never started")
        if proc.is_alive():
            return requests
        log.error("ingest process exited with %s; starting another",
                  proc.exitcode)
        requests.close()
        self._stopping.wait(RESTART_DELAY)
        if not self._stopping.is_set():
            self._start_ingest()
        return None

    # ----------------------------------------------------------- main loop
    def _main_loop(self):
        """Hand the inbox over to the ingest process, a batch at a time,
        with at most `in_flight` batches not yet committed."""
        while not self._stopping.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            requests = self._live_requests()
            if requests is None:
                continue
            try:
                while self._control:
                    requests.send(self._control.popleft())
                while self.inbox and self._slots.acquire(blocking=False):
                    requests.send((protocol.BATCH, self._take()))
            except OSError:
                pass                 # the process died: restarted next round

    def _take(self):
        items = []
        take = self.inbox.popleft
        try:
            while len(items) < self.batch_max:
                items.append(take())
        except IndexError:
            pass
        return items

    # ---------------------------------------------------------------- MQTT
    def _make_client(self):
        client = _Client(CallbackAPIVersion.VERSION2,
                         client_id=self.client_id, clean_session=False,
                         protocol=mqtt.MQTTv311)
        client.username_pw_set(self.user, self.password)
        client.max_inflight_messages_set(100)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        # Packets wait for the network loop's next select() and leave
        # together (see _Client._packet_write), not one send() each.
        client.on_socket_register_write = _write_when_selected
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
        client.subscribe([(wire.EVT_FILTER, 1), (wire.STATUS_FILTER, 1),
                          (wire.GET_FILTER, 1)])
        self._pending.clear()        # publishes of the old connection
        self._clearing.clear()
        self._published.clear()
        self.connected.set()
        self._tell_ingest((protocol.CONNECTED,))    # republish now

    def _on_disconnect(self, client, userdata, flags, reason_code,
                       properties):
        if self.connected.is_set():
            self.connected.clear()
            self._tell_ingest((protocol.DISCONNECTED,))
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

    def _tell_ingest(self, message):
        self._control.append(message)
        self._wake.set()

    def _network_loop(self):
        """paho driven by our own select(), which also waits for the
        ingest process's replies: everything paho is done on this thread,
        and no wake-up socket pair is needed."""
        delay = BACKOFF_MIN
        while not self._net_stop.is_set():
            try:
                self.client.reconnect()
            except (OSError, mqtt.WebsocketConnectionError) as e:
                log.warning("cannot reach broker %s:%d: %s", self.host,
                            self.port, e)
            else:
                was = self.stats["connects"]
                self._serve()
                if self.stats["connects"] != was:
                    delay = BACKOFF_MIN  # it worked: retry soon next time
            if self.connected.is_set():
                self.connected.clear()
                self._tell_ingest((protocol.DISCONNECTED,))
            if self._net_stop.is_set():
                break
            # Jitter, so a broker restart is not met by every client at once.
            wait = delay * random.uniform(0.5, 1.0)
            log.info("reconnecting in %.1f s", wait)
            deadline = time.monotonic() + wait
            while not self._net_stop.is_set() and \
                    time.monotonic() < deadline:
                self._poll(None, min(NET_TICK, deadline - time.monotonic()))
            delay = min(delay * 2, BACKOFF_MAX)
        if self.client.socket() is not None:
            self.client.disconnect()
            self.client.loop_write()     # no select() follows: write now

    def _serve(self):
        """Until the connection ends or the worker stops."""
        client = self.client
        while not self._net_stop.is_set():
            sock = client.socket()
            if sock is None or not self._poll(sock, NET_TICK):
                return

    def _poll(self, sock, timeout):
        """One round of select(): MQTT traffic if sock, replies from the
        ingest process.  False once the MQTT connection has ended."""
        client = self.client
        replies = self._replies
        rlist = [replies] if replies is not None else []
        wlist = []
        if sock is not None:
            rlist.append(sock)
            if client.want_write():
                wlist.append(sock)
            if client.buffered() or (
                    getattr(sock, "pending", None) and sock.pending()):
                timeout = 0.0                # bytes already received
        try:
            readable, writable, _ = select.select(rlist, wlist, [], timeout)
        except (OSError, ValueError):
            readable = writable = ()
            if sock is None:
                time.sleep(timeout)
        if sock is not None and (sock in readable or not timeout):
            # loop_read() handles one packet: go on while whole packets
            # wait in the buffer, then back to select().
            for _ in range(READ_PACKETS):
                if client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                    return False
                if client.buffered() < 2 or client.socket() is not sock:
                    break
        if replies is not None and replies in readable:
            self._read_replies(replies)
        if sock is None:
            return True
        if writable and client.socket() is sock:
            if client.loop_write() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return False
        if client.loop_misc() != MQTTErrorCode.MQTT_ERR_SUCCESS:
            return False
        if (self._pending or self._clearing) and \
                time.monotonic() >= self._next_check:
            self._next_check = time.monotonic() + 0.05
            self._check_published()
        return True

    def _read_replies(self, replies):
        try:
            while replies.poll():
                reply = replies.recv()
                protocol.dispatch(self._handlers, reply)
        except (EOFError, OSError):
            # The ingest process is gone; the main thread starts another.
            if self._replies is replies:
                self._replies = None
                self._wake.set()

    def _reply_acks(self, count, acks):
        # Committed: now, and only now, tell the guns.
        self._batch_done()
        if self.connected.is_set():
            for topic, payload in acks:
                self.client.publish(topic, payload, qos=1, retain=False)
        self.stats["messages"] += count
        self.stats["batches"] += 1
        self.stats["acks"] += len(acks)

    def _reply_dropped(self, count):
        self._batch_done()

    def _batch_done(self):
        self._slots.release()
        if self.inbox:
            self._wake.set()

    def _reply_snapshots(self, snaps):
        if not self.connected.is_set():
            return
        done = []
        for order_id, rev, payload in snaps:
            pending = self._pending.get(order_id)
            if pending and pending[0] >= rev:
                continue             # on its way: reported when acknowledged
            clearing = self._clearing.get(order_id)
            if self._published.get(order_id, 0) >= rev or \
                    clearing and clearing[0] >= rev:
                done.append((order_id, rev))   # the broker has it, or a
                continue                       # clearing of it is newer
            info = self.client.publish(wire.order_topic(order_id), payload,
                                       qos=1, retain=True)
            self._pending[order_id] = (rev, info)
            self.stats["snapshots"] += 1
            log.debug("snapshot of order %d rev %d published", order_id, rev)
        if done:
            self._tell_ingest((protocol.PUBLISHED, done))

    def _reply_clears(self, stale):
        if not self.connected.is_set():
            return
        for order_id, rev in stale:
            if order_id in self._clearing or order_id in self._pending or \
                    self._published.get(order_id, 0) > rev:
                continue
            # An empty retained message removes the broker's copy; guns
            # drop the order from their cache.
            info = self.client.publish(wire.order_topic(order_id), b"",
                                       qos=1, retain=True)
            self._clearing[order_id] = (rev, info, None)

    def _reply_firmware(self, payload):
        # Lost with a connection that drops: the ingest process hands it
        # over again after the next one.
        if self.connected.is_set():
            self.client.publish(wire.FW_TOPIC, payload, qos=1, retain=True)

    def _reply_holds(self, holds):
        # Recorded as sent when handed over: a list lost with its
        # connection goes again, with every other, after the next one.
        if self.connected.is_set():
            for topic, payload in holds:
                self.client.publish(topic, payload, qos=1, retain=True)
            self.stats["holds"] += len(holds)

    def _reply_retain(self, messages):
        # The roster and the lots message.  Lost with a connection that
        # drops: the ingest process hands them over again after the next.
        if self.connected.is_set():
            for topic, payload in messages:
                self.client.publish(topic, payload, qos=1, retain=True)

    def _check_published(self):
        cleared = []
        now = time.monotonic()
        for order_id, (rev, info, saved) in list(self._clearing.items()):
            try:
                if saved is None:
                    if info.is_published():
                        self._clearing[order_id] = (
                            rev, info, now + CLEAR_SAVED_AFTER)
                elif now >= saved:
                    cleared.append((order_id, rev))
                    del self._clearing[order_id]
            except (RuntimeError, ValueError):
                del self._clearing[order_id]    # offered again next poll
        if cleared:
            self._tell_ingest((protocol.CLEARED, cleared))
        done = []
        for order_id, (rev, info) in list(self._pending.items()):
            try:
                if info.is_published():
                    done.append((order_id, rev))
                    del self._pending[order_id]
                    self._published[order_id] = rev
            except (RuntimeError, ValueError):
                # Lost with its connection: published_rev is unchanged, so
                # the outbox poll sends it again.
                del self._pending[order_id]
        if done:
            self._tell_ingest((protocol.PUBLISHED, done))


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
