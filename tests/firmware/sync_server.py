"""A fake Pickgun server for the sync tests: the worker's side of the
broker, written with paho-mqtt, committing events idempotently by
(device, ep, seq) and acking after the commit."""
import threading

import paho.mqtt.client as paho
from server.gunlink.gun_payloads import check_event
from shared import wire


class FakeServer:
    """Commits each event once, then publishes a cumulative ack (QoS 1)
    by the server's ack rule: rej lists every rejected event with
    since < seq <= upto, since being at most the upto told before and
    below the event just received.  Rejects bottle codes containing BAD."""

    def __init__(self, broker):
        self.lock = threading.Lock()
        self.committed = {}      # (dev, ep) -> {seq: event}
        self.arrivals = []       # (dev, ep, seq) in arrival order
        self.rejected = {}       # (dev, ep) -> {seq: rej}
        self.acked = {}          # (dev, ep) -> upto told
        self.low = {}            # (dev, ep) -> lowest seq received, held
        self.hold = False
        self.c = paho.Client(paho.CallbackAPIVersion.VERSION2,
                             client_id=broker.worker_user, clean_session=False)
        self.c.username_pw_set(broker.worker_user, broker.worker_password)
        self.c.on_connect = lambda c, u, f, rc, p: c.subscribe(
            wire.EVT_FILTER, 1)
        self.c.on_message = self.on_message
        self.c.reconnect_delay_set(0.1, 0.5)
        self.c.connect(broker.host, broker.port)
        self.c.loop_start()

    def on_message(self, c, u, m):
        kind, dev = wire.parse_topic(m.topic)
        ev = wire.decode(m.payload)
        # A return is checked as a pick is (its code) until the server's
        # check_event knows "ret" (server/gunlink/gun_payloads.py).
        check_event(dict(ev, k=wire.PICK) if ev.get("k") == wire.RETURN
                    else ev)
        key = (dev, ev["ep"])
        with self.lock:
            self.arrivals.append((dev, ev["ep"], ev["seq"]))
            done = self.committed.setdefault(key, {})
            if ev["seq"] not in done:
                done[ev["seq"]] = ev
                if "BAD" in ev.get("c", ""):
                    self.rejected.setdefault(key, {})[ev["seq"]] = {
                        "seq": ev["seq"], "why": "unknown_bottle",
                        "o": ev["o"], "c": ev["c"]}
            self.low[key] = min(self.low.get(key, ev["seq"]), ev["seq"])
            if not self.hold:
                self._ack(key)

    def _ack(self, key):
        done = self.committed.get(key, {})
        told = self.acked.get(key, 0)
        since = min(told, self.low.pop(key, told + 1) - 1)
        upto = since
        while upto + 1 in done:
            upto += 1
        rej = [r for s, r in sorted(self.rejected.get(key, {}).items())
               if since < s <= upto]
        self.acked[key] = max(told, upto)
        self.c.publish(wire.dev_topic(key[0], wire.ACK),
                       wire.encode(wire.ack(key[1], upto, rej, since=since)),
                       qos=1)

    def release(self):
        with self.lock:
            self.hold = False
            for key in list(self.committed):
                self._ack(key)

    def publish(self, topic, payload, retain=False):
        self.c.publish(topic, payload, qos=1,
                       retain=retain).wait_for_publish(10)

    def hold_orders(self, orders, dev="G01"):
        """Publish a gun's retained hold list (orders; None: clear it)."""
        self.publish(wire.dev_topic(dev, wire.HOLD),
                     b"" if orders is None else wire.encode(wire.hold(orders)),
                     retain=True)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()
