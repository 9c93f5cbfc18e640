"""The gun's link over TLS, in the real MicroPython (110 KB heap), through
the ESP32 board's open_connection (WiFi faked up), to a real Mosquitto with
Pickgun's CA.  A fake server on the broker's plain port (as the worker)
acks events.  The host board's TLS path runs in tests/e2e, where the demo
guns connect over TLS.  Scripts: tests/firmware/mp/tls_*.py."""
import base64
import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import check, script  # noqa: E402
from mp_run import MPProcess  # noqa: E402
from sync_server import FakeServer  # noqa: E402

from server.gunlink.broker import Broker  # noqa: E402
from server.gunlink.tls import Authority  # noqa: E402


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path / "broker", devices={"G01": "pw-g01"},
               worker_password="pw-worker", tls=True)
    b.start()
    yield b
    b.stop()


def run_gun(tmp_path, broker, ca_der, **extra):
    cfg = {"id": "G01", "password": "pw-g01", "broker": "127.0.0.1",
           "port": broker.tls_port, "tls": True, "fw": "test",
           "ca": base64.b64encode(ca_der).decode(), "backoff_ms": 200,
           "backoff_max_ms": 400, **extra}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    (tmp_path / "data").mkdir(exist_ok=True)
    return MPProcess(tmp_path, script("tls_gun"),
                     args=[str(tmp_path / "data"),
                           str(tmp_path / "config.json")])


def test_gun_syncs_over_tls(tmp_path, broker):
    server = FakeServer(broker)          # on the plain port, as the worker
    gun = run_gun(tmp_path, broker, broker.ca_der_path.read_bytes())
    try:
        assert gun.expect("ONLINE", 15) == "ONLINE online"
        assert gun.expect("DRAINED", 15) == "DRAINED 0 1"   # QoS 1, acked
        assert gun.wait() == 0
    finally:
        gun.kill()
        server.close()
    [(dev, ep, seq)] = server.arrivals
    assert (dev, seq) == ("G01", 1)
    log = broker.log.read_text()
    assert "on port %d" % broker.tls_port in log


def test_gun_refuses_other_ca_without_crashing(tmp_path, broker):
    other = Authority(tmp_path / "other")
    other.ensure(["127.0.0.1", "localhost"])
    gun = run_gun(tmp_path, broker, other.ca_der.read_bytes(),
                  expect="fail")
    try:
        line = gun.expect("ERROR", 15)
        assert gun.wait() == 0
    finally:
        gun.kill()
    assert line == "ERROR TLS: certificate not trusted 0 connecting" or \
        line == "ERROR TLS: certificate not trusted 0 offline", line
    # it kept retrying with back-off, never got further than the handshake
    assert gun.lines.count("LINK connecting") >= 3
    assert "LINK online" not in gun.lines


def test_gun_with_garbage_ca_reports_it(tmp_path, broker):
    gun = run_gun(tmp_path, broker, b"not a certificate", expect="fail")
    try:
        line = gun.expect("ERROR", 15)
        assert gun.wait() == 0
    finally:
        gun.kill()
    assert line.startswith("ERROR TLS: bad CA certificate in config 0"), line


def test_tls_errors_named_and_config_checked():
    out = check(script("tls_errors"))
    assert out.splitlines() == [
        "TLS: certificate is not for this broker name",
        "TLS: certificate not trusted",
        "TLS: certificate out of date (check clock)",
        "TLS: handshake failed (-30592)",
        "OSError(104,)",
        "[]",
        "['tls: no CA certificate']",
        "['bad tls flag']",
    ]


def test_reconnecting_with_the_heap_near_its_limit(tmp_path, broker):
    """The broker restarts while the gun's heap has only a few KB left:
    the reconnection fails as an error the session retries (or succeeds),
    never a crash; a scan made meanwhile is journalled; once the heap has
    room again the gun is back online and sends it."""
    server = FakeServer(broker)
    flag = tmp_path / "released"
    cfg = {"id": "G01", "password": "pw-g01", "broker": "127.0.0.1",
           "port": broker.tls_port, "tls": True, "fw": "test",
           "ca": base64.b64encode(broker.ca_der_path.read_bytes()).decode(),
           "backoff_ms": 200, "backoff_max_ms": 400, "free": 3000}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    (tmp_path / "data").mkdir()
    gun = MPProcess(tmp_path, script("tls_pressure"),
                    args=[str(tmp_path / "data"),
                          str(tmp_path / "config.json"), str(flag)])
    try:
        assert gun.expect("ONLINE", 15) == "ONLINE online"
        assert gun.expect("PRESSED", 15) == "PRESSED True"
        broker.restart()
        server.close()
        server = FakeServer(broker)
        time.sleep(3)           # reconnections tried under pressure
        flag.write_text("")
        tried = gun.expect("TRIED", 25).split()
        # Reconnected already (the session's buffers are preallocated:
        # a few KB of heap are enough here) or still trying; the scan is
        # journalled either way.
        assert int(tried[1]) >= 0 and tried[2] in ("0", "1"), tried
        assert gun.expect("DRAINED", 25) == "DRAINED 0 online"
        assert gun.wait() == 0
    finally:
        gun.kill()
        server.close()
    assert [seq for _dev, _ep, seq in server.arrivals] == [1]
