"""gun.mqtt in the real MicroPython (110 KB heap) against a real Mosquitto
(server.broker: auth + ACL), observed with paho-mqtt; plus malformed input
from a fake broker written in MicroPython."""
import json
import queue
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp_run import MPProcess, mp_run  # noqa: E402

import paho.mqtt.client as paho
from server.broker import Broker, mosquitto_binary  # noqa: E402

mosquitto_binary()      # tools/test.sh installs it: fail loudly if missing


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path / "broker", devices={"G01": "pw-g01", "G02": "pw-g02"},
               worker_password="pw-worker")
    b.start()
    yield b
    b.stop()


class Observer:
    """The server side, as a paho client logged in as the worker."""

    def __init__(self, broker, topics=("pickgun/#",), client_id=None):
        self.q = queue.Queue()
        self.c = paho.Client(paho.CallbackAPIVersion.VERSION2,
                             client_id=client_id or "obs-%d" % time.monotonic_ns(),
                             clean_session=client_id is None)
        self.c.username_pw_set(broker.worker_user, broker.worker_password)
        ready = queue.Queue()
        self.c.on_connect = lambda c, u, f, rc, p: [c.subscribe(t, 1) for t in topics] and ready.put(rc)
        self.c.on_subscribe = lambda *a: None
        self.c.on_message = lambda c, u, m: self.q.put(m)
        self.c.connect(broker.host, broker.port)
        self.c.loop_start()
        assert ready.get(timeout=10) == 0

    def publish(self, topic, payload, qos=1, retain=False):
        self.c.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(10)

    def get(self, topic, timeout=10, where=lambda m: True):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                m = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if m.topic == topic and where(m):
                return m
        raise AssertionError("no message on " + topic)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


CLIENT = r"""
import sys, asyncio
from gun.mqtt import MQTTClient, MQTTError
from shared import wire

HOST, PORT, USER, PW, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
got = []

def cb(topic, payload, retained):
    got.append((topic, bytes(payload), retained))
    print("MSG", topic, retained, bytes(payload).decode())

def client(ka=30):
    return MQTTClient(USER, USER, PW, keepalive=ka, clean=False, callback=cb,
                      will=(wire.dev_topic(USER, wire.STATUS),
                            wire.encode(wire.status(False)), True, 1))

async def connect(c):
    r, w = await asyncio.open_connection(HOST, PORT)
    return await c.connect(r, w)

async def main():
    if MODE == "auth":
        c = client()
        try:
            await connect(c)
            print("FAIL connected with a bad password")
        except MQTTError as e:
            print("REFUSED", e)
        print("CLOSED", c.connected)
        return
    if MODE == "basic":
        c = client()
        print("SESSION", await connect(c))
        granted = await c.subscribe([(wire.dev_topic(USER, wire.ACK), 1),
                                     (wire.ORDER_FILTER, 1)])
        print("GRANTED", granted)
        pid = await c.publish(wire.dev_topic(USER, wire.EVT),
                              wire.encode(wire.event(7, 1, "pick", 1042, 0, code="PGB:X")),
                              qos=1)
        print("PUBACKED", pid, c.unacked())
        pids = []
        for s in range(2, 12):
            pids.append(await c.publish(wire.dev_topic(USER, wire.EVT),
                                        wire.encode(wire.event(7, s, "pick", 1042, 0, code="PGB:X")),
                                        qos=1, wait=False))
        while c.unacked():
            await asyncio.sleep_ms(10)
        print("WINDOW", len(set(pids)))
        await c.publish(wire.dev_topic(USER, wire.STATUS), wire.encode(wire.status(True, "t", 0, 7, 0)),
                        retain=True, qos=0)
        print("READY")
        while not any(t.endswith("/ack") for t, _, _ in got):
            await asyncio.sleep_ms(20)
        await c.disconnect()
        print("CLEAN", c.error)
        return
    if MODE == "keepalive":
        c = client(ka=2)
        await connect(c)
        await asyncio.sleep(5)           # idle: only PINGREQs keep it open
        print("ALIVE", c.connected)
        await c.publish(wire.dev_topic(USER, wire.EVT), b"{}", qos=1)
        print("PUBACKED")
        await c.disconnect()
        return
    if MODE == "will":
        c = client()
        await connect(c)
        await c.publish(wire.dev_topic(USER, wire.STATUS),
                        wire.encode(wire.status(True, "t", 0, 7, 0)), retain=True, qos=1)
        print("ONLINE")
        await asyncio.sleep(60)
        return
    if MODE == "restart":
        c = client(ka=5)
        await connect(c)
        await c.subscribe([(wire.dev_topic(USER, wire.ACK), 1)])
        print("CONNECTED")
        err = await c.wait_closed()
        print("DROPPED", repr(err))
        tries = 0
        while True:
            tries += 1
            try:
                present = await connect(c)
                break
            except OSError as e:
                await asyncio.sleep_ms(100)
        print("RECONNECTED", present, tries > 0)
        await c.publish(wire.dev_topic(USER, wire.EVT), b'{"after": 1}', qos=1)
        print("PUBACKED")
        while not got:
            await asyncio.sleep_ms(20)
        await c.disconnect()
        return

asyncio.run(main())
"""


def _args(broker, user="G01", pw="pw-g01", mode="basic"):
    return [broker.host, str(broker.port), user, pw, mode]


def test_auth_failure_is_a_clear_error(tmp_path, broker):
    out = mp_run(tmp_path, CLIENT, args=_args(broker, pw="wrong", mode="auth"))
    assert "REFUSED connection refused: not authorised" in out.stdout \
        or "REFUSED connection refused: bad user name or password" in out.stdout, out.stdout
    assert "CLOSED False" in out.stdout


def test_publish_subscribe_retained_and_acl(tmp_path, broker):
    obs = Observer(broker)
    try:
        snap = {"v": 1, "o": 1042, "rev": 3, "st": "placed", "pick": True,
                "cl": "A", "lines": [], "notes": [], "bot": []}
        obs.publish("pickgun/order/1042", json.dumps(snap), retain=True)
        p = MPProcess(tmp_path, CLIENT, args=_args(broker))
        try:
            assert p.expect("SESSION") == "SESSION False"
            assert p.expect("GRANTED") == "GRANTED [1, 1]"
            line = p.expect("MSG pickgun/order/1042")
            assert line.startswith("MSG pickgun/order/1042 True ")
            assert json.loads(line.split(" ", 3)[3]) == snap
            assert p.expect("PUBACKED") == "PUBACKED 2 0"   # pid 1 was the SUBSCRIBE
            first = obs.get("pickgun/dev/G01/evt")
            assert first.qos == 1 and json.loads(first.payload)["seq"] == 1
            seqs = [json.loads(obs.get("pickgun/dev/G01/evt").payload)["seq"]
                    for _ in range(10)]
            assert seqs == list(range(2, 12))
            assert p.expect("WINDOW") == "WINDOW 10"
            p.expect("READY")
            obs.publish("pickgun/dev/G01/ack", json.dumps({"v": 1, "ep": 7, "upto": 11, "rej": []}))
            line = p.expect("MSG pickgun/dev/G01/ack")
            assert line.startswith("MSG pickgun/dev/G01/ack False")
            assert p.expect("CLEAN") == "CLEAN None"
            assert p.wait() == 0
        finally:
            p.kill()
        # clean disconnect: no will
        st = obs.get("pickgun/dev/G01/status")
        assert json.loads(st.payload)["online"] is True
        with pytest.raises(AssertionError):
            obs.get("pickgun/dev/G01/status", timeout=1)
    finally:
        obs.close()


def test_acl_keeps_a_gun_to_its_own_topics(tmp_path, broker):
    obs = Observer(broker)
    try:
        src = CLIENT.replace('MODE == "keepalive"', 'MODE == "spoof"').replace(
            'c = client(ka=2)\n        await connect(c)\n        await asyncio.sleep(5)',
            'c = client(ka=2)\n        await connect(c)\n'
            '        await c.publish("pickgun/dev/G02/evt", b"spoof", qos=1)\n'
            '        await c.publish("pickgun/order/1", b"spoof", qos=1, retain=True)\n'
            '        await asyncio.sleep(0)')
        out = mp_run(tmp_path, src, args=_args(broker, mode="spoof"))
        assert "PUBACKED" in out.stdout     # 3.1.1: denied publishes are PUBACKed
        got = obs.get("pickgun/dev/G01/evt")
        assert got.payload == b"{}"
        assert obs.q.empty() or all(m.payload != b"spoof" for m in list(obs.q.queue))
    finally:
        obs.close()


def test_keepalive_pings_hold_an_idle_link(tmp_path, broker):
    t0 = time.monotonic()
    out = mp_run(tmp_path, CLIENT, args=_args(broker, mode="keepalive"))
    assert "ALIVE True" in out.stdout and "PUBACKED" in out.stdout, out.stdout
    assert time.monotonic() - t0 >= 5


def test_will_published_on_abrupt_drop(tmp_path, broker):
    obs = Observer(broker)
    try:
        p = MPProcess(tmp_path, CLIENT, args=_args(broker, mode="will"))
        try:
            p.expect("ONLINE")
            st = obs.get("pickgun/dev/G01/status")
            assert json.loads(st.payload)["online"] is True
        finally:
            p.kill()           # power loss: no DISCONNECT
        st = obs.get("pickgun/dev/G01/status", timeout=10)
        assert json.loads(st.payload) == {"v": 1, "online": False}
    finally:
        obs.close()
    # retained: a newcomer sees the gun offline
    late = Observer(broker, topics=("pickgun/dev/G01/status",))
    try:
        st = late.get("pickgun/dev/G01/status")
        assert st.retain and json.loads(st.payload)["online"] is False
    finally:
        late.close()


def test_reconnect_after_broker_restart(tmp_path, broker):
    p = MPProcess(tmp_path, CLIENT, args=_args(broker, mode="restart"))
    # a persistent session (the broker persists it across the restart)
    obs = Observer(broker, client_id=broker.worker_user)
    try:
        p.expect("CONNECTED")
        time.sleep(0.3)
        broker.restart()
        assert p.expect("DROPPED").startswith("DROPPED")
        # persistence on: the session (and subscription) survived
        assert p.expect("RECONNECTED") == "RECONNECTED True True"
        p.expect("PUBACKED")
        assert obs.get("pickgun/dev/G01/evt").payload == b'{"after": 1}'
        obs.publish("pickgun/dev/G01/ack", b'{"v": 1}')
        p.expect("MSG pickgun/dev/G01/ack")
        assert p.wait() == 0
    finally:
        obs.close()
        p.kill()


MALFORMED = r"""
import asyncio, sys
from gun.mqtt import MQTTClient, MQTTError

PORT = int(sys.argv[1])
CONNACK = b"\x20\x02\x00\x00"
CASES = [
    ("bad connack", b"\x20\x03\x00\x00\x00", "expected CONNACK"),
    ("refused", b"\x20\x02\x00\x04", "bad user name or password"),
    ("unknown packet", CONNACK + b"\xf0\x00", "unexpected packet"),
    ("remaining length", CONNACK + b"\x30\xff\xff\xff\xff\x01", "malformed remaining length"),
    ("topic too long", CONNACK + b"\x30\x04\xff\xff\x00\x00", "malformed PUBLISH"),
    ("qos 2", CONNACK + b"\x34\x05\x00\x01a\x00\x01", "QoS 2"),
    ("bad puback", CONNACK + b"\x40\x03\x00\x01\x00", "malformed ack"),
    ("bad pingresp", CONNACK + b"\xd0\x01\x00", "malformed PINGRESP"),
    ("eof mid-packet", CONNACK + b"\x30\x10\x00\x01", "connection closed"),
    ("bad utf-8 topic", CONNACK + b"\x30\x05\x00\x02\xff\xfe\x00", "UTF-8"),
]

async def serve(data, box):
    async def handler(r, w):
        await r.read(256)           # the CONNECT
        w.write(data)
        await w.drain()
        box.append(w)
        if box[0] == "big":
            await asyncio.sleep_ms(300)
            box.append(await r.read(64))      # the PUBACK for the big one
        await asyncio.sleep_ms(500)
        w.close()
        await w.wait_closed()
    return await asyncio.start_server(handler, "127.0.0.1", PORT)

async def run(name, data, expect):
    box = [name]
    srv = await serve(data, box)
    port = PORT
    got = []
    c = MQTTClient("G01", "G01", "pw", callback=lambda t, p, r: got.append((t, bytes(p))),
                   max_packet=64)
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        await c.connect(r, w)
        err = await c.wait_closed()
    except MQTTError as e:
        err = e
    srv.close()
    await srv.wait_closed()
    return err, c, got, box

async def main():
    for name, data, expect in CASES:
        err, c, got, box = await run(name, data, expect)
        if err is None or expect not in str(err) or c.connected:
            print("FAIL", name, repr(err))
            return
        print("OK", name, err)
    # an oversized message is skipped and acked, the link stays up
    big = b"\x32" + bytes((0x80 | 0x6a, 0x01)) + b"\x00\x01t\x00\x09" + b"x" * 229
    small = b"\x30\x05\x00\x01ths"
    err, c, got, box = await run("big", CONNACK + big + small, "closed")
    await asyncio.sleep_ms(900)
    if c.dropped != 1 or got != [("t", b"hs")] or box[-1] != b"\x40\x02\x00\x09":
        print("FAIL big", c.dropped, got, box[-1:])
        return
    print("OK big")
    print("ALL OK")

asyncio.run(main())
"""


def test_malformed_input_drops_the_link_cleanly(tmp_path):
    from server.broker import free_port
    out = mp_run(tmp_path, MALFORMED, args=[str(free_port())])
    assert "ALL OK" in out.stdout, out.stdout + out.stderr
