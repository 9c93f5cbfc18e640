# The gun's MQTT session: ships the journal, applies acks, caches snapshots.
#
# Delivery: events go out in seq order as QoS 1 publishes, at most `window`
# beyond the last server ack.  Only the server's ack (sent after its commit)
# removes an event from the journal; a PUBACK only means the broker has it.
# Unacked events are sent again after `resend_ms` without progress and
# after every reconnect; the server is idempotent on (device, ep, seq), so a
# repeat is harmless and nothing is lost.
#
# The ack rule (docs/protocol.md, Ack): a malformed ack is ignored whole;
# one for another epoch, a stale or repeated one changes nothing; one
# beyond the highest seq this gun may have sent is ignored (counted in
# `ignored`); one whose "since" is above the gun's upto (the ack before
# it was lost) is ignored and the events are sent again at once.
# Otherwise its rejections of events still in the journal go to the
# listener, with the order and code from the gun's own record, and only
# then is the ack recorded: after a power cut in between the events go
# out again and the server lists their rejections again.
#
# The retained status (with the firmware's version, gun.VERSION, the
# board's NAME and the gun's vitals: battery, RSSI, free heap, largest
# internal block, uptime, and how many orders it can open offline:
# store.held()) is published at every connection, again when the number
# of waiting events or of orders held changes, at most once per
# `status_ms` so a burst of scans is not a burst of statuses, except that
# reaching 0 waiting is told at once, and every minute for the vitals.
# A gun that updates over the air (`ota`, gun/ota.py, set by main.py)
# reports how its update stands in it too, each time that changes, and
# gets the retained roll-out (wire.FW_TOPIC): subscribed to at every
# connection, since a session resumed from before the gun could update
# lacks it.
#
# TLS (cfg tls true): the broker's certificate must be signed by cfg ca
# (DER, base64) and name cfg broker, and its dates hold by the gun's clock.
# The board opens the link; this module only builds the ssl context, once,
# names TLS failures in last_error, and waits for the clock to be set
# (by NTP, main.py) before it tries: "Clock not set".
#
# Why the link is down goes to the screen (`why`, 16 characters: "WiFi:
# wrong pass", "TLS: not trusted", "Bad broker login"...) and to the log,
# each time it changes.
#
# The broker's host name is resolved (board.resolve: a DNS query blocks
# the event loop) once, and again only after a connection to its address
# failed; an address in cfg broker costs no query at all.
#
# Orders (docs/protocol.md, Orders a gun holds): at every connection the
# session subscribes to its ack, answer and hold topics; the retained hold
# list that then arrives (wire.check_hold: a malformed one is ignored
# whole, an empty payload holds nothing) goes to the store, which keeps it
# on flash (gun/store.py), and the session subscribes to the snapshot
# topic of each order it adds and unsubscribes from each one it drops, ten
# topics a packet, in the loop (the message callback cannot wait for a
# SUBACK).  A new session, and the first after a boot, subscribes to every
# held order; a resumed one unsubscribes from wire.ORDER_FILTER, which
# firmware before the hold list subscribed to.  ask(order) publishes a get
# for an order the store lacks; the answer is a snapshot (offered to the
# store like any other, then the listener's on_snapshot) or a no_order()
# (the listener's on_answer(order, why)); a malformed one is ignored.
#
# A snapshot the order store could not keep (flash full or failing, heap
# full: store.missed) is asked for again: the session subscribes to the
# held orders' snapshots again at the next connection, even a resumed one,
# and as soon as the flash has more free blocks than when it was missed.
# A SUBSCRIBE like an existing one replaces it and the broker sends the
# retained messages again (MQTT 3.1.1, 3.8.4).

# The retained roster and lots message (wire.ROSTER_TOPIC,
# wire.LOTS_TOPIC) are subscribed to at every connection too and go to
# the listener's on_staff (gun/staff.py checks and keeps them).
#
# Incoming messages: an error from the flash or the heap drops the link
# without the PUBACK, so the broker delivers the message again; any other
# error (a bug, a value nothing expected) is logged and the message
# dropped, so one bad message cannot end every session.  The app's errors
# in its callbacks are logged and do not stop the session either (but a
# full heap while it shows an ack's rejections leaves the ack unrecorded:
# it comes again, and no rejection goes unseen).
#
# cfg keys: id, password, broker, tls (false), ca, port (1883, 8883 with
# tls), keepalive (30 s), window (4), resend_ms (15000), backoff_ms
# (1000), backoff_max_ms (30000), max_packet (8192), status_ms (2000).
import asyncio
import errno
import gc
import os
from micropython import const
from time import ticks_ms, ticks_diff, ticks_add

from shared import wire
from gun import VERSION
from gun.mqtt import MQTTClient, MQTTError
from gun.store import parse

OFFLINE = "offline"
CONNECTING = "connecting"
ONLINE = "online"

_ORDER_PREFIX = wire.ROOT + "/order/"
_VITALS_MS = const(60000)       # the status again, for its vitals
_PER_PACKET = const(10)         # order topics in a (UN)SUBSCRIBE
# A TLS handshake's largest single allocation in internal RAM is just
# over 16 KB (docs/firmware.md, Memory budget): below this largest free
# block it would fail, so the gun does not try, and after _STARVED such
# attempts in a row, idle, it restarts for a fresh heap (everything is
# on flash: nothing is lost).
_TLS_BLOCK = const(24576)
_STARVED = const(3)


def reason(e):
    """What the idle screen says for the error that ended the last
    session, in at most 16 characters (None: nothing to say): the first
    pattern found in its text (gun/tls.py and gun/mqtt.py name their
    failures), else its kind."""
    if e is None:
        return None
    text = str(e)
    for pattern, why in (("wifi down", None),
                         ("broker name", "TLS: wrong name"),
                         ("check clock", "TLS: check clock"),
                         ("low memory", "TLS: low memory"),
                         ("CA certificate in", "TLS: bad CA"),
                         ("not trusted", "TLS: not trusted"),
                         ("TLS: ", "TLS: failed"),
                         ("refused: bad user", "Bad broker login"),
                         ("refused: not auth", "Bad broker login"),
                         ("refused: ", "Broker refused"),
                         ("addrinfo", "Broker not found")):
        if pattern in text:
            return why
    if isinstance(e, asyncio.TimeoutError) or isinstance(e, OSError) and \
            e.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH,
                        errno.ETIMEDOUT, errno.ECONNRESET):
        return "Broker: no reply"
    if isinstance(e, OSError) and e.errno in (5, 28):
        return "Flash is full" if e.errno == 28 else "Flash failing"
    return "Link dropped"


def wifi_reason(cfg, status):
    """What the idle screen says while the station is not connected, by
    network.WLAN's status (the ESP32 port's values)."""
    if not cfg.get("ssid"):
        return "WiFi: no ssid"
    if status == 1001:
        return "WiFi: joining"
    if status == 202:
        return "WiFi: wrong pass"
    if status == 201 or 210 <= status <= 212:
        return "WiFi: no AP"
    if status == 1000 or status == 1010:
        return "No WiFi"
    return "WiFi: error " + str(status)


def _log(name, e):
    print("pickgun: %s failed: %r" % (name, e))


def _jitter(ms):
    """ms +- 50 %."""
    r = int.from_bytes(os.urandom(2), "little")
    return ms // 2 + (ms * r) // 65536


class Sync:
    def __init__(self, board, cfg, journal, store, listener, rxbuf=None,
                 ota=None):
        """rxbuf: the MQTT receive buffer, if allocated early; ota: the
        update task (gun/ota.py), set by main.py once both exist."""
        self.board = board
        self.cfg = cfg
        self.journal = journal
        self.store = store
        self.listener = listener
        dev = cfg["id"]
        self._evt_topic = wire.dev_topic(dev, wire.EVT).encode()
        self._ack_topic = wire.dev_topic(dev, wire.ACK)
        self._answer_topic = wire.dev_topic(dev, wire.ANSWER)
        self._hold_topic = wire.dev_topic(dev, wire.HOLD)
        self._get_topic = wire.dev_topic(dev, wire.GET).encode()
        # Held orders whose topics to subscribe to (all of them after a
        # boot) and dropped ones to unsubscribe from; an order to ask for.
        self._subs = list(store.hold)
        self._unsubs = []
        self.asked = 0
        self._status_topic = wire.dev_topic(dev, wire.STATUS).encode()
        self.window = cfg.get("window", 4)
        self.resend_ms = cfg.get("resend_ms", 15000)
        self.backoff_ms = cfg.get("backoff_ms", 1000)
        self.backoff_max_ms = cfg.get("backoff_max_ms", 30000)
        self.status_ms = cfg.get("status_ms", 2000)
        self.client = MQTTClient(
            dev, dev, cfg["password"], keepalive=cfg.get("keepalive", 30),
            clean=False, callback=self._on_message,
            max_packet=cfg.get("max_packet", 8192), buf=rxbuf,
            will=(self._status_topic, wire.encode(wire.status(False)), True,
                  1))
        self._tls = self._tls_error = None
        self._addr = None       # the broker's address, while it works
        if cfg.get("tls"):
            from gun import tls      # only TLS guns pay for its code
            self._tls, self._tls_error = tls.context(cfg.get("ca"))
        self._wake = asyncio.Event()
        self._link = OFFLINE
        self._sent = 0          # highest seq published on this connection
        # Highest seq that may have reached the server: anything written
        # before this boot may have gone out before it.
        self._hi = journal.next_seq - 1
        self._mark = 0          # ticks of the last ack progress
        self._stop = False
        self.last_error = None  # why the last session ended
        self.why = None         # ... for the screen, while not online
        self.ignored = 0        # malformed messages and bad acks dropped
        self.connects = 0
        self.starved = 0        # TLS attempts in a row refused for memory
        self._online = False
        self._told = -1         # pending count in the last status sent
        self._told_at = 0
        self._held = 0          # store.held() in the last status sent
        self.ota = ota

    # ------------------------------------------------------------ for the UI
    @property
    def pending(self):
        return self.journal.pending_count()

    @property
    def link(self):
        return self._link

    def kick(self):
        """A new event is in the journal: send it now."""
        self._wake.set()

    def ask(self, order_id):
        """Ask the server for an order the store lacks (a get), now."""
        self.asked = order_id
        self._wake.set()

    def _set_link(self, state):
        why = e = None
        if state != ONLINE:
            if not self.board.wifi_up():
                why = wifi_reason(self.cfg, self.board.wifi_status())
            elif self._tls and not self.board.clock():
                why = "Clock not set"
            else:
                e = self.last_error
                why = reason(e)
        if why != self.why and why:
            print("pickgun: link:", why, "-", repr(e) if e else "")
        if state != self._link or why != self.why:
            self._link = state
            self.why = why
            try:
                self.listener.on_link(state)
            except Exception as e:
                _log("on_link", e)

    # ------------------------------------------------------------ session
    async def run(self):
        backoff = self.backoff_ms
        while not self._stop:
            self._set_link(OFFLINE)
            # A device checks the certificate's dates by its clock: TLS
            # waits until NTP has set it (main.py).
            while not self.board.wifi_up() or \
                    self._tls and not self.board.clock():
                await asyncio.sleep_ms(500)
                if self._stop:
                    return
                self._set_link(OFFLINE)
            self._set_link(CONNECTING)
            self._online = False
            try:
                await self._session()
            except Exception as e:       # socket, protocol, flash, memory
                self.last_error = e
            self.client.close("session ended")
            self._set_link(OFFLINE)
            if self._stop:
                return
            if self._online:
                backoff = self.backoff_ms
            await asyncio.sleep_ms(_jitter(backoff))
            backoff = min(backoff * 2, self.backoff_max_ms)

    async def stop(self):
        """Clean shutdown (DISCONNECT: the broker drops the will)."""
        self._stop = True
        self._wake.set()
        await self.client.disconnect()

    async def _tell(self, wait=True):
        """Publish the retained status, with the gun's vitals."""
        j = self.journal
        self._told = n = j.pending_count()
        self._told_at = ticks_ms()
        bat, rssi, blk, up = self.board.vitals()
        self._held = held = self.store.held()
        ota = self.ota
        if ota:
            ota.dirty = False
        await self.client.publish(
            self._status_topic,
            wire.encode(wire.status(True, VERSION, n, j.ep, j.upto,
                                    self.board.NAME,
                                    (bat, rssi, gc.mem_free(), blk, up,
                                     held),
                                    ota and ota.state)),
            retain=True, qos=1, wait=wait)

    async def _session(self):
        c = self.client
        cfg = self.cfg
        tls = self._tls
        if self._tls_error is not None:
            raise self._tls_error
        host = cfg["broker"]
        if tls:
            # The handshake allocates tens of KB outside the Python heap:
            # a collection gives the heap's empty areas back (ESP32).
            gc.collect()
            blk = self.board.vitals()[2]
            if blk is not None and blk < _TLS_BLOCK:
                self.starved += 1
                if self.starved >= _STARVED and \
                        getattr(self.listener, "base", "idle") == "idle":
                    print("pickgun: TLS: largest free internal block",
                          blk, "bytes: restarting for a fresh heap")
                    self.board.reset()
                raise MQTTError("TLS: low memory (%d bytes)" % blk)
            self.starved = 0
        try:
            if self._addr is None:
                # getaddrinfo blocks the event loop (screen, scanner) while
                # DNS answers: once, and again only after a failed connect.
                self._addr = self.board.resolve(host)
                print("pickgun: broker", host, "at", self._addr)
            try:
                r, w = await asyncio.wait_for_ms(self.board.open_connection(
                    self._addr, cfg.get("port", 8883 if tls else 1883),
                    ssl=tls, name=host), 10000)
            except Exception:
                self._addr = None       # it may have moved: ask DNS again
                raise
            present = await c.connect(r, w)    # TLS handshake happens here
        except Exception as e:
            if tls:
                from gun.tls import link_error
                e = link_error(e)
            raise e
        self.connects += 1
        await self._tell()
        store = self.store
        if not present:             # the broker holds no subscription
            self._unsubs = []
            self._subs = list(store.hold)
        topics = [(self._ack_topic, 1), (self._answer_topic, 1),
                  (self._hold_topic, 1), (wire.ROSTER_TOPIC, 1),
                  (wire.LOTS_TOPIC, 1)]
        if self.ota:
            topics.append((wire.FW_TOPIC, 1))
        await c.subscribe(topics)
        if present:
            await c.unsubscribe([wire.ORDER_FILTER])
        # A snapshot missed: the held ones again (the broker resends them).
        again = store.missed
        self._online = True
        self._set_link(ONLINE)
        j = self.journal
        self._sent = j.upto          # everything unacked goes out again
        self._mark = ticks_ms()
        while c.connected and not self._stop:
            if not self.board.wifi_up():
                raise OSError("wifi down")
            o = self.asked
            if o:
                self.asked = 0
                await c.publish(self._get_topic, wire.encode(wire.get(o)),
                                qos=1, wait=False)
            if again:
                store.missed = 0     # one missed from now on counts again
                self._subs = list(store.hold)
            await self._follow(c)
            if self._sent < j.upto:
                self._sent = j.upto
            if self._sent > j.upto and \
                    ticks_diff(ticks_ms(), self._mark) > self.resend_ms:
                self._sent = j.upto  # no ack progress: send again
                self._mark = ticks_ms()
            while c.connected and self._sent < j.next_seq - 1 and \
                    self._sent - j.upto < self.window:
                seq = self._sent + 1
                payload = j.read(seq)
                if payload is not None:
                    if self._sent == j.upto:
                        self._mark = ticks_ms()
                    if seq > self._hi:
                        self._hi = seq
                    await c.publish(self._evt_topic, payload, qos=1,
                                    wait=False)
                self._sent = seq if seq > j.upto else j.upto
            n = j.pending_count()
            told = ticks_diff(ticks_ms(), self._told_at)
            if c.connected and (n != self._told and (
                    not n or told >= self.status_ms) or told >= _VITALS_MS
                    or self.ota and self.ota.dirty or told >= self.status_ms
                    and store.held() != self._held):
                await self._tell(wait=False)
            again = store.missed and store.left() >= store.missed
            self._wake.clear()
            try:
                await asyncio.wait_for_ms(self._wake.wait(), 1000)
            except asyncio.TimeoutError:
                pass
        if not self._stop:
            raise c.error or MQTTError("connection closed")

    async def _follow(self, c):
        """Unsubscribe from the dropped orders' topics, subscribe to the
        added ones', a packet at a time; each leaves its list once done."""
        for todo in (self._unsubs, self._subs):
            while todo and c.connected:
                part = todo[:_PER_PACKET]
                if todo is self._subs:
                    await c.subscribe([(wire.order_topic(o), 1)
                                       for o in part])
                else:
                    await c.unsubscribe([wire.order_topic(o) for o in part])
                for o in part:       # (the hold list may have moved on)
                    if o in todo:
                        todo.remove(o)

    # ------------------------------------------------------------ incoming
    def _on_message(self, topic, payload, retained):
        try:
            if topic == self._ack_topic:
                self._on_ack(payload)
            elif topic.startswith(_ORDER_PREFIX):
                self._on_snapshot(topic, payload)
            elif topic == self._hold_topic:
                self._on_hold(payload)
            elif topic == self._answer_topic:
                self._on_answer(payload)
            elif topic == wire.FW_TOPIC and self.ota:
                self.ota.offer(payload)
            elif topic == wire.ROSTER_TOPIC or topic == wire.LOTS_TOPIC:
                # Checked and kept by the app's Staff: a malformed one
                # raises and is ignored below, the one it had stays.
                self.listener.on_staff(parse(payload) if len(payload)
                                       else None, payload,
                                       topic == wire.LOTS_TOPIC)
            else:
                self.ignored += 1
        except (OSError, MemoryError):
            raise                   # no PUBACK: the broker sends it again
        except Exception as e:
            self.ignored += 1       # dropped: it would fail every time
            _log("message", e)

    def _on_ack(self, payload):
        try:
            obj = wire.check_ack(wire.decode(payload))
        except Exception:
            self.ignored += 1
            return
        j = self.journal
        upto = obj["upto"]
        if obj["ep"] != j.ep or upto <= j.upto:
            return                      # another journal's, or nothing new
        if upto > self._hi:
            self.ignored += 1           # the server cannot hold it: hostile
            return
        if obj["since"] > j.upto:
            # An ack that told which events up to `since` were rejected
            # was lost: send them again now (the answer tells).
            self._mark = ticks_add(ticks_ms(), -self.resend_ms - 1)
            self._wake.set()
            return
        # Its rejections of events still in the journal, with the kind,
        # order, code and note ids as the gun wrote them.
        rej = []
        for r in obj["rej"]:
            p = j.read(r["seq"]) if r["seq"] > j.upto else None
            if p is not None:
                try:
                    p = wire.decode(p)
                except ValueError:
                    p = {}          # shown without its code, still shown
                rej.append({"seq": r["seq"], "why": r["why"],
                            "o": p.get("o"), "c": p.get("c", ""),
                            "k": p.get("k"), "n": p.get("n")})
        try:
            self.listener.on_acked(rej)
        except MemoryError:
            raise                   # not all shown: not recorded either
        except Exception as e:
            _log("on_acked", e)
        # Recorded only now: a power cut before this line, and the events
        # are sent again and their rejections listed again.  A flash error
        # here propagates: the link drops without PUBACK and the broker
        # delivers the ack again.
        j.ack(obj["ep"], upto)
        self._mark = ticks_ms()
        self._wake.set()

    def _on_snapshot(self, topic, payload):
        try:
            order_id = wire.parse_topic(topic)[1]
        except Exception:
            self.ignored += 1
            return
        if not len(payload):
            # The server cleared the retained snapshot: the order is gone.
            if not self.store.rev(order_id):
                return
            self.store.drop(order_id)
        elif self.store.offer(payload, order_id) is None:
            return                       # stale, repeated or malformed
        try:
            self.listener.on_snapshot(order_id)
        except Exception as e:
            _log("on_snapshot", e)

    def _on_hold(self, payload):
        orders = []                 # an empty payload: hold nothing
        if len(payload):
            try:
                orders = wire.check_hold(parse(payload))
            except (OSError, MemoryError):
                raise
            except Exception:
                self.ignored += 1   # malformed: the list it had stays
                return
        old = self.store.set_hold(orders)
        subs = self._subs
        unsubs = self._unsubs
        for o in orders:
            if o not in old:
                if o in unsubs:
                    unsubs.remove(o)
                if o not in subs:
                    subs.append(o)
        for o in old:
            if o not in orders:
                if o in subs:
                    subs.remove(o)
                if o not in unsubs:
                    unsubs.append(o)
        self._wake.set()

    def _on_answer(self, payload):
        """The answer to a get: a snapshot, stored like any other, or the
        server has no such order."""
        oid = self.store.offer(payload)
        if oid is None:
            # Not stored: a no_order(), or a snapshot stale, malformed or
            # missed (asked for again when the user scans again).
            try:
                obj = parse(payload)
                why = wire.check_answer(obj)
            except (OSError, MemoryError):
                raise
            except Exception:
                self.ignored += 1
                return
            if why is None:
                return
            oid = obj["o"]
            obj = None
            try:
                self.listener.on_answer(oid, why)
            except Exception as e:
                _log("on_answer", e)
            return
        try:
            self.listener.on_snapshot(oid)
        except Exception as e:
            _log("on_snapshot", e)
