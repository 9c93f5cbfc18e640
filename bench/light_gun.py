"""A light scanner gun for benches: docs/protocol.md spoken by a small
asyncio MQTT 3.1.1 client, hundreds of them in one process.

Written from the protocol page, not from the firmware: a gun connects over
TLS with its own user name and password (client id = user name, clean
session off, its offline status as last will), publishes its status, and
at every connection subscribes to its `ack`, `order` and `hold` topics,
then to the snapshot of every order its hold list names (§2, §3 *Orders a
gun holds*).  Events leave in `seq` order, at most WINDOW unacked, as the
firmware does; an ack's cumulative `upto` drops them from the journal, and
whatever is unacked goes out again after a reconnection or RESEND_SECONDS
without progress.  One asyncio task per connection rather than a paho
client (a thread each) per gun."""
import asyncio
import json
import struct
import time

from shared import wire

WINDOW = 4               # unacked events in flight, as the firmware
RESEND_SECONDS = 10.0    # no ack progress this long: send the unacked again
KEEPALIVE = 60
CONNACK_SECONDS = 30

CONNECT, CONNACK, PUBLISH, PUBACK = 0x10, 0x20, 0x30, 0x40
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 0x82, 0x90, 0xA2, 0xB0
PINGREQ, PINGRESP, DISCONNECT = 0xC0, 0xD0, 0xE0


def _str(text):
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(raw)) + raw


def packet(kind, body):
    n, length = len(body), bytearray()
    while True:
        byte, n = n % 128, n // 128
        length.append(byte | (0x80 if n else 0))
        if not n:
            return bytes([kind]) + bytes(length) + body


def connect_packet(client_id, user, password, will_topic, will_payload):
    # user, password, will retained QoS 1, will; clean session off
    flags = 0x80 | 0x40 | 0x20 | 0x08 | 0x04
    return packet(CONNECT, _str("MQTT") + bytes([4, flags])
                  + struct.pack("!H", KEEPALIVE) + _str(client_id)
                  + _str(will_topic) + _str(will_payload) + _str(user)
                  + _str(password))


class LightGun:
    """One gun.  Latencies (publish of an event -> the ack covering it)
    are appended to `latencies` as (seq, seconds); on_snapshot(gun, order,
    payload, time) is called for every order snapshot received."""

    def __init__(self, device, password, ep, host, port, ssl_context,
                 latencies=None, on_snapshot=None):
        self.device, self.password, self.ep = device, password, ep
        self.host, self.port, self.ssl = host, port, ssl_context
        self.latencies = latencies if latencies is not None else []
        self.on_snapshot = on_snapshot
        self.journal = {}        # seq -> payload, unacked
        self.next_seq = 1
        self.upto = 0            # what the server acked
        self.sent = 0            # highest seq published on this connection
        self.highest = 0         # highest seq ever published
        self.published_at = {}   # seq -> time of its last publish
        self.hold = []           # orders of the hold list
        self.extra = []          # order topics subscribed beyond the list
        self.caught_up = asyncio.Event()
        self.caught_up.set()
        self.writer = None
        self.connected = False
        self.stats = {"connects": 0, "resends": 0, "bad_acks": 0,
                      "dropped": 0}
        self._mid = 0
        self._tasks = []
        self._progress = 0.0
        self._topics = {wire.dev_topic(device, k): k
                        for k in (wire.ACK, wire.HOLD, wire.ANSWER)}

    # ------------------------------------------------------------- link
    async def connect(self):
        """Connect, tell the status, subscribe, send what is unacked.
        Returns the time the CONNACK arrived."""
        reader, writer = await asyncio.open_connection(
            self.host, self.port, ssl=self.ssl,
            server_hostname=self.host if self.ssl else None)
        writer.write(connect_packet(
            self.device, self.device, self.password,
            wire.dev_topic(self.device, wire.STATUS),
            wire.encode(wire.status(False))))
        kind, body = await asyncio.wait_for(self._read(reader),
                                            CONNACK_SECONDS)
        if kind & 0xF0 != CONNACK or body[1] != 0:
            writer.close()
            raise ConnectionError("%s: refused (%r)" % (self.device, body))
        at = time.monotonic()
        self.writer, self.connected = writer, True
        self.stats["connects"] += 1
        self._publish(wire.dev_topic(self.device, wire.STATUS),
                      wire.encode(wire.status(
                          True, "bench", len(self.journal), self.ep,
                          self.upto)), retain=True)
        self.subscribe(list(self._topics) + [
            wire.order_topic(o) for o in self.hold + self.extra])
        self.sent = self.upto        # everything unacked goes out again
        self._progress = time.monotonic()
        self._tasks = [asyncio.create_task(self._reader(reader)),
                       asyncio.create_task(self._ticker())]
        self._pump()
        return at

    def drop(self):
        """The link dies (no DISCONNECT: the broker sends the will)."""
        self.connected = False
        for t in self._tasks:
            t.cancel()
        self._tasks = []
        if self.writer is not None:
            self.writer.transport.abort()
            self.writer = None

    async def close(self):
        if self.writer is not None and self.connected:
            self.writer.write(packet(DISCONNECT, b""))
            try:
                await self.writer.drain()
            except OSError:
                pass
        self.drop()

    def subscribe(self, topics):
        if topics and self.connected:
            self._mid = self._mid % 65535 + 1
            self._send(packet(SUBSCRIBE, struct.pack("!H", self._mid)
                              + b"".join(_str(t) + b"\x01" for t in topics)))

    def unsubscribe(self, topics):
        if topics and self.connected:
            self._mid = self._mid % 65535 + 1
            self._send(packet(UNSUBSCRIBE, struct.pack("!H", self._mid)
                              + b"".join(_str(t) for t in topics)))

    def watch(self, order_id):
        """Subscribe to one order's snapshot, as for an order on the hold
        list, and at every connection from now on."""
        self.extra.append(order_id)
        self.subscribe([wire.order_topic(order_id)])

    # ----------------------------------------------------------- events
    def scan(self, order_id, code):
        """A scan written to the journal: sent when the window allows."""
        seq = self.next_seq
        self.next_seq += 1
        self.journal[seq] = wire.encode(wire.event(
            self.ep, seq, wire.PICK, order_id, int(time.time()), code))
        self.caught_up.clear()
        if self.connected:
            self._pump()

    def _pump(self):
        while self.connected and self.sent < self.next_seq - 1 and \
                self.sent - self.upto < WINDOW:
            self.sent += 1
            self.highest = max(self.highest, self.sent)
            self.published_at[self.sent] = time.monotonic()
            self._publish(wire.dev_topic(self.device, wire.EVT),
                          self.journal[self.sent])

    def _on_ack(self, payload):
        try:
            ack = json.loads(payload)
            ep, upto = ack["ep"], ack["upto"]
        except (ValueError, KeyError, TypeError):
            self.stats["bad_acks"] += 1
            return
        if ep != self.ep or upto <= self.upto:
            return
        if upto > self.highest:
            self.stats["bad_acks"] += 1      # covers what was never sent
            return
        now = time.monotonic()
        for seq in range(self.upto + 1, upto + 1):
            self.latencies.append(now - self.published_at.pop(seq, now))
            self.journal.pop(seq, None)
        self.upto = upto
        self.sent = max(self.sent, upto)
        self._progress = now
        if not self.journal:
            self.caught_up.set()
        self._pump()

    def _on_hold(self, payload):
        try:
            orders = json.loads(payload)["o"] if payload else []
        except (ValueError, KeyError, TypeError):
            return                           # malformed: keep the old list
        old, new = set(self.hold), set(orders)
        self.hold = list(orders)
        self.unsubscribe([wire.order_topic(o) for o in old - new
                          if o not in self.extra])
        self.subscribe([wire.order_topic(o) for o in orders if o not in old])

    # ---------------------------------------------------------------- MQTT
    def _publish(self, topic, payload, retain=False):
        self._mid = self._mid % 65535 + 1
        self._send(packet(PUBLISH | 0x02 | (0x01 if retain else 0),
                          _str(topic) + struct.pack("!H", self._mid)
                          + payload))

    def _send(self, data):
        if self.writer is not None:
            self.writer.write(data)

    @staticmethod
    async def _read(reader):
        head = await reader.readexactly(1)
        n, shift = 0, 0
        while True:
            b = (await reader.readexactly(1))[0]
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        return head[0], await reader.readexactly(n) if n else b""

    async def _reader(self, reader):
        try:
            while True:
                kind, body = await self._read(reader)
                if kind & 0xF0 == PUBLISH:
                    self._on_publish(kind, body)
        except (asyncio.IncompleteReadError, OSError):
            if self.connected:
                self.stats["dropped"] += 1
                self.drop()

    def _on_publish(self, kind, body):
        n = struct.unpack("!H", body[:2])[0]
        topic = body[2:2 + n].decode()
        pos = 2 + n
        if kind & 0x06:
            self._send(packet(PUBACK, body[pos:pos + 2]))
            pos += 2
        payload = body[pos:]
        what = self._topics.get(topic)
        if what == wire.ACK:
            self._on_ack(payload)
        elif what == wire.HOLD:
            self._on_hold(payload)
        elif topic.startswith(wire.ROOT + "/order/") and \
                self.on_snapshot is not None:
            self.on_snapshot(self, int(topic.rsplit("/", 1)[1]), payload,
                             time.monotonic())

    async def _ticker(self):
        last_ping = time.monotonic()
        while self.connected:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            if now - last_ping > KEEPALIVE / 2:
                self._send(packet(PINGREQ, b""))
                last_ping = now
            if self.sent > self.upto and \
                    now - self._progress > RESEND_SECONDS:
                self.stats["resends"] += 1
                self.sent = self.upto
                self._progress = now
                self._pump()
