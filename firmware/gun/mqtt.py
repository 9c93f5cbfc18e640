# A small asyncio MQTT 3.1.1 client for the gun.
#
# Written here because no maintained MicroPython MQTT client installs from
# the package registries (micropython-umqtt-simple has no setup file,
# micropython-umqtt-robust ships a dangling symlink), and the gun needs
# asyncio anyway.
#
# Scope: CONNECT (user name, password, will, clean-session flag, keep-alive),
# PUBLISH QoS 0/1 (PUBACKs tracked by packet id, a bounded number in
# flight), SUBSCRIBE, UNSUBSCRIBE, PINGREQ keep-alive with a dead-link
# watchdog, incoming PUBLISH QoS 0/1 (PUBACK sent after the callback
# returns, retained flag passed on), DISCONNECT.  No QoS 2.
#
# The transport is whatever (reader, writer) asyncio stream pair the caller
# opened: TLS is a matter of opening it with asyncio.open_connection(host,
# port, ssl=ctx) (see open_connection below).
#
# Malformed or unexpected input from the broker raises MQTTError and drops
# the connection; nothing here lets it escape into the gun's other tasks.
# An incoming message too large for the receive buffer is read, discarded
# and acknowledged (counted in .dropped): refusing it would only make a
# persistent session redeliver it forever.
#
# The callback is callback(topic_str, payload_memoryview, retained): the
# memoryview points into the receive buffer and is only valid during the
# call.  If the callback raises, the connection is dropped without the
# PUBACK, so the broker delivers the message again later.
import asyncio
import struct
from time import ticks_ms, ticks_diff


class MQTTError(OSError):
    pass


REFUSED = {
    1: "unacceptable protocol version",
    2: "client id rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}


async def open_connection(host, port, ssl=None):
    """asyncio streams to host:port; ssl: None or an ssl.SSLContext (on
    MicroPython its CA must be loaded as DER)."""
    if ssl is None:
        return await asyncio.open_connection(host, port)
    return await asyncio.open_connection(host, port, ssl=ssl)


class MQTTClient:
    def __init__(self, client_id, user=None, password=None, keepalive=30,
                 clean=True, will=None, callback=None, max_packet=8192,
                 max_inflight=8, timeout_ms=10000, buf=None):
        """will: (topic, payload, retain, qos) or None.  buf: a receive
        buffer allocated early, while the heap is in one piece (its length
        is then max_packet)."""
        self.client_id = client_id
        self.user = user
        self.password = password
        self.keepalive = keepalive
        self.clean = clean
        self.will = will
        self.callback = callback
        self.max_inflight = max_inflight
        self.timeout_ms = timeout_ms
        self._rbuf = bytearray(max_packet) if buf is None else buf
        self._rmv = memoryview(self._rbuf)
        self._hbuf = bytearray(8)          # receive: fixed headers
        self._hmv = memoryview(self._hbuf)
        self._tbuf = bytearray(8)          # send: fixed headers, PUBACK
        self._tmv = memoryview(self._tbuf)
        self._pbuf = bytearray(2)          # send: packet id
        self._pid = 0
        self._inflight = {}                # pid -> asyncio.Event
        self._suback = {}                  # pid -> granted qos bytes
        self._r = self._w = None
        self._tasks = ()
        self.closed = asyncio.Event()
        self.closed.set()
        self.error = None
        self.session_present = False
        self.dropped = 0
        self.last_rx = self.last_tx = 0

    # ------------------------------------------------------------ helpers
    @property
    def connected(self):
        return not self.closed.is_set()

    def _fail(self, exc):
        """Drop the connection (once); wake everything waiting on it."""
        if self.closed.is_set():
            return
        self.error = exc
        self.closed.set()
        cur = asyncio.current_task()
        for t in self._tasks:
            if t is not cur:
                t.cancel()
        self._tasks = ()
        for ev in self._inflight.values():
            ev.set()
        self._inflight = {}
        w = self._w
        if w is not None:
            asyncio.create_task(_close(w))

    def _check(self):
        if self.closed.is_set():
            raise self.error or MQTTError("not connected")

    def _varint(self, buf, i, n):
        while True:
            b = n & 0x7F
            n >>= 7
            buf[i] = b | 0x80 if n else b
            i += 1
            if not n:
                return i

    async def _read(self, mv):
        n = 0
        size = len(mv)
        r = self._r             # set by connect(), as _w below
        while n < size:
            k = await r.readinto(mv[n:])  # pyright: ignore[reportOptionalMemberAccess]
            if not k:
                raise MQTTError("connection closed by broker")
            n += k
        self.last_rx = ticks_ms()

    async def _head(self):
        """Read a fixed header: (type and flags byte, remaining length)."""
        mv = self._hmv
        await self._read(mv[0:1])
        op = self._hbuf[0]
        n = 0
        shift = 0
        for _ in range(4):
            await self._read(mv[1:2])
            b = self._hbuf[1]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return op, n
            shift += 7
        raise MQTTError("malformed remaining length")

    def _next_pid(self):
        pid = self._pid
        while True:
            pid = pid + 1 if pid < 65535 else 1
            if pid not in self._inflight and pid not in self._suback:
                self._pid = pid
                return pid

    async def _send(self, *parts):
        w = self._w
        for p in parts:
            if p:
                w.write(p)  # pyright: ignore[reportOptionalMemberAccess]
        self.last_tx = ticks_ms()
        await w.drain()  # pyright: ignore[reportOptionalMemberAccess]

    async def _wait(self, ev, timeout_ms):
        try:
            await asyncio.wait_for_ms(ev.wait(), timeout_ms or self.timeout_ms)
        except asyncio.TimeoutError:
            self._fail(MQTTError("broker did not answer in time"))
        self._check()

    # ------------------------------------------------------------ connect
    async def connect(self, reader, writer, timeout_ms=None):
        """Send CONNECT on an open stream pair, wait for CONNACK, start the
        receive and keep-alive tasks.  Returns session_present."""
        if not self.closed.is_set():
            raise MQTTError("already connected")
        self._r, self._w = reader, writer
        self._inflight = {}
        self._suback = {}
        self.error = None
        self.closed = asyncio.Event()
        try:
            await asyncio.wait_for_ms(self._connect(),
                                      timeout_ms or self.timeout_ms)
        except Exception as e:
            if isinstance(e, asyncio.TimeoutError):
                e = MQTTError("no CONNACK from broker")
            self._fail(e)
            raise e
        self._tasks = (asyncio.create_task(self._rx()),
                       asyncio.create_task(self._ping()))
        return self.session_present

    async def _connect(self):
        def s(x):
            x = x.encode() if isinstance(x, str) else bytes(x)
            return struct.pack("!H", len(x)) + x
        flags = 0x02 if self.clean else 0
        payload = s(self.client_id)
        if self.will:
            topic, msg, retain, qos = self.will
            flags |= 0x04 | (qos & 3) << 3 | (0x20 if retain else 0)
            payload += s(topic) + s(msg)
        if self.user is not None:
            flags |= 0x80
            payload += s(self.user)
            if self.password is not None:
                flags |= 0x40
                payload += s(self.password)
        var = b"\x00\x04MQTT\x04" + bytes((flags,)) + \
            struct.pack("!H", self.keepalive)
        head = bytearray(5)
        head[0] = 0x10
        n = self._varint(head, 1, len(var) + len(payload))
        await self._send(head[:n], var, payload)
        op, n = await self._head()
        if op != 0x20 or n != 2:
            raise MQTTError("expected CONNACK, got packet 0x%02x" % op)
        await self._read(self._hmv[0:2])
        rc = self._hbuf[1]
        if rc:
            raise MQTTError("connection refused: " +
                            REFUSED.get(rc, "code %d" % rc))
        self.session_present = bool(self._hbuf[0] & 1)

    async def disconnect(self):
        """Clean DISCONNECT: the broker discards the will."""
        if self.closed.is_set():
            return
        try:
            await self._send(b"\xe0\x00")
        except Exception:
            pass
        self._fail(None)

    def close(self, why="closed by the gun"):
        """Drop the connection at once (no DISCONNECT: the will fires)."""
        self._fail(MQTTError(why))

    async def wait_closed(self):
        """Return when the connection is dropped; returns the error (None
        after a clean disconnect)."""
        await self.closed.wait()
        return self.error

    # ------------------------------------------------------------ sending
    async def publish(self, topic, msg, retain=False, qos=0, wait=True,
                      timeout_ms=None):
        """Publish; with qos 1 and wait, return once the broker PUBACKs.
        Without wait, return the packet id once written (at most
        max_inflight unacknowledged)."""
        self._check()
        if qos not in (0, 1):
            raise ValueError("qos 0 or 1")
        if isinstance(topic, str):
            topic = topic.encode()
        while qos and len(self._inflight) >= self.max_inflight:
            pid = next(iter(self._inflight))        # the oldest
            await self._wait(self._inflight[pid], timeout_ms)
        h = self._tbuf
        h[0] = 0x30 | qos << 1 | (1 if retain else 0)
        size = 2 + len(topic) + len(msg) + (2 if qos else 0)
        n = self._varint(h, 1, size)
        struct.pack_into("!H", h, n, len(topic))
        pid = 0
        if qos:
            pid = self._next_pid()
            ev = self._inflight[pid] = asyncio.Event()
            struct.pack_into("!H", self._pbuf, 0, pid)
            await self._send(self._tmv[0:n + 2], topic, self._pbuf, msg)
            if wait:
                await self._wait(ev, timeout_ms)
        else:
            await self._send(self._tmv[0:n + 2], topic, msg)
        return pid

    def unacked(self):
        return len(self._inflight)

    async def subscribe(self, topics, timeout_ms=None):
        """topics: [(filter, qos)]; returns the granted qos list."""
        granted = await self._sub(0x82, topics, timeout_ms)
        if len(granted) != len(topics) or 0x80 in granted:
            raise MQTTError("subscription refused: %r" % (granted,))
        return list(granted)

    async def unsubscribe(self, topics, timeout_ms=None):
        """topics: [filter]; returns once the broker's UNSUBACK is in."""
        await self._sub(0xA2, topics, timeout_ms)

    async def _sub(self, op, topics, timeout_ms):
        """SUBSCRIBE (op 0x82) or UNSUBSCRIBE (0xA2); waits for its ack
        and returns the SUBACK's granted qos bytes (b"" after UNSUBACK)."""
        self._check()
        pid = self._next_pid()
        body = bytearray(struct.pack("!H", pid))
        for t in topics:
            qos = None
            if op == 0x82:
                t, qos = t
            t = t.encode() if isinstance(t, str) else t
            body += struct.pack("!H", len(t)) + t
            if qos is not None:
                body.append(qos)
        head = bytearray(5)
        head[0] = op
        n = self._varint(head, 1, len(body))
        ev = self._inflight[pid] = asyncio.Event()
        await self._send(head[:n], body)
        await self._wait(ev, timeout_ms)
        return self._suback.pop(pid, b"")

    # ------------------------------------------------------------ receiving
    async def _rx(self):
        try:
            while True:
                await self._packet()
        except Exception as e:
            self._fail(e if isinstance(e, OSError) else MQTTError(repr(e)))

    async def _packet(self):
        op, n = await self._head()
        kind = op & 0xF0
        mv = self._rmv
        if kind == 0x30:
            await self._publish_in(op, n)
        elif op == 0x40 or op == 0x90 or op == 0xB0:
            # PUBACK, SUBACK, UNSUBACK: the packet id first
            if n < 2 or n > len(self._rbuf) or (op != 0x90 and n != 2):
                raise MQTTError("malformed ack")
            await self._read(mv[0:n])
            pid = struct.unpack_from("!H", self._rbuf, 0)[0]
            ev = self._inflight.pop(pid, None)
            if ev is None:
                return                 # late ack of an abandoned packet
            if op == 0x90:
                self._suback[pid] = bytes(mv[2:n])
            ev.set()
        elif op == 0xD0:
            if n:
                raise MQTTError("malformed PINGRESP")
        else:
            raise MQTTError("unexpected packet 0x%02x" % op)

    async def _publish_in(self, op, n):
        qos = (op >> 1) & 3
        if qos > 1:
            raise MQTTError("QoS %d PUBLISH not supported" % qos)
        mv = self._rmv
        if n < 2 + (2 if qos else 0):
            raise MQTTError("malformed PUBLISH")
        await self._read(mv[0:2])
        tl = struct.unpack_from("!H", self._rbuf, 0)[0]
        body = n - 2
        hdr = tl + (2 if qos else 0)
        if hdr > body or hdr > len(self._rbuf):
            raise MQTTError("malformed PUBLISH")
        await self._read(mv[0:hdr])
        try:
            topic = bytes(mv[0:tl]).decode()
        except Exception:
            raise MQTTError("topic is not UTF-8") from None
        pid = struct.unpack_from("!H", self._rbuf, tl)[0] if qos else 0
        size = body - hdr
        if size > len(self._rbuf):
            self.dropped += 1
            while size:
                k = size if size < len(self._rbuf) else len(self._rbuf)
                await self._read(mv[0:k])
                size -= k
        else:
            await self._read(mv[0:size])
            if self.callback is not None:
                self.callback(topic, mv[0:size], bool(op & 1))
        if qos:
            h = self._tbuf
            h[0] = 0x40
            h[1] = 2
            struct.pack_into("!H", h, 2, pid)
            await self._send(self._tmv[0:4])

    async def _ping(self):
        ka = self.keepalive * 1000
        if not ka:
            return
        half = ka // 2
        step = min(1000, ka // 4)
        try:
            while True:
                await asyncio.sleep_ms(step)
                now = ticks_ms()
                idle_rx = ticks_diff(now, self.last_rx)
                if idle_rx > ka + half:
                    raise MQTTError("broker silent: link dead")
                if ticks_diff(now, self.last_tx) >= half or idle_rx >= half:
                    if ticks_diff(now, self.last_tx) >= step:
                        await self._send(b"\xc0\x00")
        except Exception as e:
            self._fail(e if isinstance(e, OSError) else MQTTError(repr(e)))


async def _close(w):
    try:
        w.close()
        await w.wait_closed()
    except Exception:
        pass
