"""gun.mqtt in the real MicroPython (110 KB heap) against a real Mosquitto
(server.gunlink.broker: auth + ACL), observed with paho-mqtt; plus
malformed input from a fake broker written in MicroPython."""
import json
import queue
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import script  # noqa: E402
from mp_run import MPProcess, mp_run  # noqa: E402

import paho.mqtt.client as paho
from server.gunlink.broker import Broker, mosquitto_binary  # noqa: E402

mosquitto_binary()      # tools/test.sh installs it: fail loudly if missing

# The gun's MQTT client, in a mode given in argv (see _args).
CLIENT = script("mqtt_client")


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
                             client_id=(client_id or
                                        "obs-%d" % time.monotonic_ns()),
                             clean_session=client_id is None)
        self.c.username_pw_set(broker.worker_user, broker.worker_password)
        ready = queue.Queue()
        self.c.on_connect = lambda c, u, f, rc, p: [
            c.subscribe(t, 1) for t in topics] and ready.put(rc)
        self.c.on_subscribe = lambda *a: None
        self.c.on_message = lambda c, u, m: self.q.put(m)
        self.c.connect(broker.host, broker.port)
        self.c.loop_start()
        assert ready.get(timeout=10) == 0

    def publish(self, topic, payload, qos=1, retain=False):
        self.c.publish(topic, payload, qos=qos,
                       retain=retain).wait_for_publish(10)

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


def _args(broker, user="G01", pw="pw-g01", mode="basic"):
    return [broker.host, str(broker.port), user, pw, mode]


def test_auth_failure_is_a_clear_error(tmp_path, broker):
    out = mp_run(tmp_path, CLIENT,
                 args=_args(broker, pw="wrong", mode="auth"))
    assert ("REFUSED connection refused: not authorised" in out.stdout
            or "REFUSED connection refused: bad user name or password"
            in out.stdout), out.stdout
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
            # pid 1 was the SUBSCRIBE
            assert p.expect("PUBACKED") == "PUBACKED 2 0"
            first = obs.get("pickgun/dev/G01/evt")
            assert first.qos == 1 and json.loads(first.payload)["seq"] == 1
            seqs = [json.loads(obs.get("pickgun/dev/G01/evt").payload)["seq"]
                    for _ in range(10)]
            assert seqs == list(range(2, 12))
            assert p.expect("WINDOW") == "WINDOW 10"
            p.expect("READY")
            obs.publish("pickgun/dev/G01/ack",
                        json.dumps({"v": 1, "ep": 7, "upto": 11, "rej": []}))
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
        out = mp_run(tmp_path, CLIENT, args=_args(broker, mode="spoof"))
        # 3.1.1: denied publishes are PUBACKed
        assert "PUBACKED" in out.stdout
        got = obs.get("pickgun/dev/G01/evt")
        assert got.payload == b"{}"
        assert obs.q.empty() or all(m.payload != b"spoof"
                                    for m in list(obs.q.queue))
    finally:
        obs.close()


def test_keepalive_pings_hold_an_idle_link(tmp_path, broker):
    t0 = time.monotonic()
    out = mp_run(tmp_path, CLIENT,
                 args=_args(broker, mode="keepalive"))
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


def test_malformed_input_drops_the_link_cleanly(tmp_path):
    from server.gunlink.broker import free_port
    out = mp_run(tmp_path, script("mqtt_malformed"), args=[str(free_port())])
    assert "ALL OK" in out.stdout, out.stdout + out.stderr
