"""Why the link is down, on the idle screen and in the log: the whole
firmware (main.py) in the real MicroPython, through the simulated board,
against a real Mosquitto (with TLS where TLS is the point)."""
import base64
import sys
import time

import pytest

from mp import REPO, check
from test_simulated_gun import png_body_matches

sys.path.insert(0, str(REPO))
from server.gunlink.broker import Broker, free_port  # noqa: E402
from server.gunlink.tls import Authority, san  # noqa: E402
from shared import wire  # noqa: E402
from tools.simulate import SimulatedGun  # noqa: E402

FAST = {"backoff_ms": 200, "backoff_max_ms": 400}


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path / "broker", tls=True, devices={"G01": "pw-g01"})
    b.start()
    yield b
    b.stop()


@pytest.fixture
def misnamed_broker(tmp_path):
    """A broker whose certificate (from its own CA) names another host."""
    b = Broker(tmp_path / "broker", tls=True, devices={"G01": "pw-g01"})
    b.write_config()
    a = b.authority
    stamp = a.names_file.read_text()
    a._make_server(san(["pickgun.invalid"]), "pickgun.invalid")
    a.names_file.write_text(stamp)      # so start() keeps this certificate
    b.start()
    yield b
    b.stop()


def tls(broker, ca_der, sntp):
    """A TLS gun's config; its clock from the sntp fixture's server (it
    connects only once its clock is set)."""
    return dict(FAST, tls=True, port=broker.tls_port,
                ca=base64.b64encode(ca_der).decode(), ntp_port=sntp.port)


def shown(gun, text, timeout=20):
    """Wait until the idle screen's last row says `text`; the PNG panel
    too."""
    deadline = time.monotonic() + timeout
    while gun.rows[7:8] != [text]:
        assert gun.alive, gun.log_tail()
        assert time.monotonic() < deadline, (text, gun.rows, gun.log_tail())
        time.sleep(0.05)
    assert gun.rows[0].startswith(("Offline", "Linking")), gun.rows
    assert png_body_matches(gun, list(gun.rows), -1)
    assert ("pickgun: link: " + text) in gun.log_path.read_text()
    return gun.rows


def test_untrusted_broker_certificate(tmp_path, broker, sntp):
    other = Authority(tmp_path / "other")
    other.ensure(["127.0.0.1", "localhost"])
    with SimulatedGun(tmp_path / "g", "G01", "pw-g01", "127.0.0.1", 0,
                      extra_config=tls(broker, other.ca_der.read_bytes(),
                                       sntp)) \
            as gun:
        rows = shown(gun, "TLS: not trusted")
        assert "Scan an order" in rows[2]


def test_broker_name_not_on_its_certificate(tmp_path, misnamed_broker,
                                            sntp):
    b = misnamed_broker
    with SimulatedGun(tmp_path / "g", "G01", "pw-g01", "127.0.0.1", 0,
                      extra_config=tls(b, b.ca_der_path.read_bytes(), sntp)) \
            as gun:
        shown(gun, "TLS: wrong name")


def test_refused_login_then_online(tmp_path, broker, sntp):
    with SimulatedGun(tmp_path / "g", "G01", "wrong", "127.0.0.1",
                      broker.tls_port,
                      extra_config=tls(broker,
                                       broker.ca_der_path.read_bytes(),
                                       sntp)) \
            as gun:
        shown(gun, "Bad broker login")
    # the same gun with the right password: online, and nothing to say
    broker.add_device("G02", "pw-g02")
    with SimulatedGun(tmp_path / "g2", "G02", "pw-g02", "127.0.0.1", 0,
                      extra_config=tls(broker,
                                       broker.ca_der_path.read_bytes(),
                                       sntp)) \
            as gun:
        gun.wait_for(lambda s: s["link"] == "online", 20)
        gun.wait_for(lambda s: True)
        assert gun.rows[0].startswith("Online") and gun.rows[7] == "", \
            gun.rows


def test_broker_unreachable_and_wifi_off(tmp_path):
    with SimulatedGun(tmp_path / "g", "G01", "pw", "127.0.0.1", free_port(),
                      extra_config=FAST) as gun:
        shown(gun, "Broker: no reply")
        gun.wifi(False)     # the access point goes: the station tries on
        shown(gun, "WiFi: no AP")
        # the reason is for the idle screen only
        st = gun.scan(wire.order_code(1042))
        assert st["screen"] == "refused"
        assert "no AP" not in gun.screen_text()
        gun.press("OK")
        gun.wifi(True)
        shown(gun, "Broker: no reply")


def test_reasons_fit_the_screen():
    out = check(r"""
import asyncio
from gun import sync, tls
from gun.mqtt import MQTTError
V = ValueError
cases = [
    (None, None),
    (OSError("wifi down"), None),
    (tls.link_error(V("The certificate Common Name (CN) does not match "
                      "with the expected CN")), "TLS: wrong name"),
    (tls.link_error(V("The certificate is not correctly signed by the "
                      "trusted CA")), "TLS: not trusted"),
    (tls.link_error(V("The certificate validity has expired")),
     "TLS: check clock"),
    (tls.link_error(V("The certificate validity starts in the future")),
     "TLS: check clock"),
    (tls.context("bm90IGEgY2VydA==")[1], "TLS: bad CA"),
    (tls.link_error(OSError(-30592)), "TLS: failed"),
    (MQTTError("connection refused: bad user name or password"),
     "Bad broker login"),
    (MQTTError("connection refused: not authorised"), "Bad broker login"),
    (MQTTError("connection refused: server unavailable"), "Broker refused"),
    (OSError(111), "Broker: no reply"),
    (OSError(113), "Broker: no reply"),
    (OSError(110), "Broker: no reply"),
    (asyncio.TimeoutError(), "Broker: no reply"),
    (OSError("[addrinfo error -2]"), "Broker not found"),
    (OSError(28), "Flash is full"),
    (OSError(5), "Flash failing"),
    (MQTTError("connection closed by broker"), "Link dropped"),
]
for e, want in cases:
    got = sync.reason(e)
    assert got == want, (e, got, want)
    assert got is None or len(got) <= 16, got
print("ok")
""")
    assert out.strip() == "ok"
