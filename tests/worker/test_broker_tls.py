"""The broker's TLS listener (server/gunlink/broker.py,
server/gunlink/tls.py) and TLS in gun provisioning, against a real
Mosquitto."""
import base64
import json
import socket
import ssl
import time

import paho.mqtt.client as mqtt
import pytest
from click.testing import CliRunner
from paho.mqtt.enums import CallbackAPIVersion

from server.gunlink.broker import Broker, lan_address
from server.gunlink.tls import Authority
from tools.provision import gun_config, provision_command, read_ca


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path / "broker", devices={"G01": "pw-g01"}, tls=True)
    b.start()
    yield b
    b.stop()


def tls_client(broker, ca_file, user="G01", password="pw-g01",
               client_id=None):
    got = {}
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or user,
                    protocol=mqtt.MQTTv311)
    c.username_pw_set(user, password)
    c.tls_set(ca_certs=str(ca_file))
    c.on_connect = lambda c, u, f, rc, p: got.setdefault("rc", rc)
    c.on_disconnect = lambda c, u, f, rc, p: got.setdefault("gone", rc)
    c.connect("localhost", broker.tls_port)
    c.loop_start()
    deadline = time.monotonic() + 5
    while "rc" not in got and time.monotonic() < deadline:
        time.sleep(0.02)
    return c, got


def test_client_with_the_ca_publishes_over_tls(broker):
    c, got = tls_client(broker, broker.ca_pem_path)
    try:
        assert not got["rc"].is_failure
        info = c.publish("pickgun/dev/G01/status", b'{"v": 1}', qos=1)
        info.wait_for_publish(5)
        assert info.is_published()
    finally:
        c.loop_stop()
        c.disconnect()


def test_one_gun_cannot_kick_another_off_over_tls(broker):
    broker.add_device("G02", "pw-g02")
    first, got1 = tls_client(broker, broker.ca_pem_path)
    # G02 claims G01's client id: the broker uses its user name instead.
    other, got2 = tls_client(broker, broker.ca_pem_path, "G02", "pw-g02",
                             client_id="G01")
    try:
        time.sleep(0.3)
        assert not got2["rc"].is_failure and "gone" not in got1
    finally:
        for c in (first, other):
            c.loop_stop()
            c.disconnect()


def test_client_trusting_another_ca_is_refused(broker, tmp_path):
    other = Authority(tmp_path / "other")
    other.ensure(["127.0.0.1", "localhost"])
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="G01")
    c.username_pw_set("G01", "pw-g01")
    c.tls_set(ca_certs=str(other.ca_pem))
    with pytest.raises(ssl.SSLCertVerificationError):
        c.connect("127.0.0.1", broker.tls_port)


def test_config_listeners_and_files(broker):
    conf = broker.conf.read_text().splitlines()
    listeners = [line for line in conf if line.startswith("listener ")]
    assert listeners == ["listener %d 127.0.0.1" % broker.port,
                         "listener %d 127.0.0.1" % broker.tls_port]
    tls_part = conf[conf.index(listeners[1]):]      # options after it
    for option in ("cafile %s" % broker.ca_pem_path, "require_certificate "
                   "false", "tls_version tlsv1.2",
                   "use_username_as_clientid true"):
        assert option in tls_part
    assert not any(line.startswith(("cafile", "certfile", "keyfile"))
                   for line in conf[:conf.index(listeners[1])])
    a = broker.authority
    assert a.ca_der.read_bytes() == read_ca(a.ca_pem)        # same CA
    assert a.key.stat().st_mode & 0o077 == 0
    assert a.ca_key.stat().st_mode & 0o077 == 0


def test_plain_port_only_on_loopback_with_tls(tmp_path):
    b = Broker(tmp_path / "b", tls=True, host="0.0.0.0")
    b.write_config()
    conf = b.conf.read_text()
    assert "listener %d 127.0.0.1\n" % b.port in conf
    assert "listener %d 0.0.0.0\n" % b.tls_port in conf
    assert {"127.0.0.1", "localhost", socket.gethostname(), lan_address()} \
        <= set(b.cert_names())
    plain = Broker(tmp_path / "p", host="0.0.0.0")   # without TLS: as asked
    plain.write_config()
    assert "listener %d 0.0.0.0\n" % plain.port in plain.conf.read_text()
    assert plain.tls_port is None and plain.ca_der_path is None


def test_ca_kept_and_server_cert_reissued_for_new_names(tmp_path):
    b = Broker(tmp_path / "b", tls=True)
    b.write_config()
    a = b.authority
    ca, cert = a.ca_pem.read_bytes(), a.cert.read_bytes()
    b.write_config()                                      # a restart
    assert (a.ca_pem.read_bytes(), a.cert.read_bytes()) == (ca, cert)
    b2 = Broker(tmp_path / "b", tls=True, tls_names=["pickgun.lan"])
    b2.write_config()
    assert a.ca_pem.read_bytes() == ca                    # guns keep trusting
    assert a.cert.read_bytes() != cert
    assert "DNS:pickgun.lan" in a.names_file.read_text()


def test_gun_config_for_tls():
    cfg = gun_config("G03", "pw", "10.0.0.5", ca=b"\x30\x82der")
    assert cfg["tls"] is True and cfg["port"] == 8883
    assert base64.b64decode(cfg["ca"]) == b"\x30\x82der"
    assert "tls" not in gun_config("G03", "pw", "10.0.0.5")


def test_provision_uses_the_instance_ca(tmp_path):
    b = Broker(tmp_path / "broker", tls=True)       # as `pickgun up` lays out
    b.write_config()
    db = str(tmp_path / "pickgun.db")
    out = tmp_path / "config.json"
    r = CliRunner().invoke(provision_command, [
        "G07", "--db", db, "--out", str(out), "--broker-host", "10.1.2.3"])
    assert r.exit_code == 0, r.output
    cfg = json.loads(out.read_text())
    # the ports are the broker's own, read from its config
    assert (cfg["tls"], cfg["port"]) == (True, b.tls_port)
    assert base64.b64decode(cfg["ca"]) == b.ca_der_path.read_bytes()
    assert "certificate does not name 10.1.2.3" in r.output   # told at once
    r = CliRunner().invoke(provision_command, [
        "G08", "--db", db, "--out", str(out), "--broker-host", "10.1.2.3",
        "--no-tls"])
    cfg = json.loads(out.read_text())
    assert "tls" not in cfg and cfg["port"] == b.port
