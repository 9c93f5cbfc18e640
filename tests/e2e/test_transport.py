"""`pickgun up --demo` puts its guns on the broker's TLS port and keeps
the plain port on 127.0.0.1 for the worker."""
import json
import time


def test_demo_guns_connect_over_tls(stack, db):
    broker = stack.broker
    assert broker.tls and stack.tls_port == broker.tls_port
    assert "listener %d 127.0.0.1\n" % broker.port in broker.conf.read_text()
    for gun_id, gun in stack.guns.items():
        cfg = json.loads((gun.workdir / "config.json").read_text())
        assert (cfg["tls"], cfg["port"]) == (True, broker.tls_port)
    deadline = time.monotonic() + 30
    while True:
        online = {r[0] for r in db.execute(
            "SELECT id FROM devices WHERE online = 1")}
        if online >= set(stack.guns):
            break
        assert time.monotonic() < deadline, online
        time.sleep(0.2)
    # each gun logged in through a connection on the TLS port
    log = broker.log.read_text()
    assert log.count("on port %d." % broker.tls_port) >= len(stack.guns)
