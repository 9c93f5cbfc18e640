"""The gun's clock: a device's RTC reads 2000-01-01 after power-on and
MicroPython on the ESP32 checks the broker certificate's dates against
it, so a gun sets its clock by SNTP (gun/sntp.py, main.py) before TLS.
The host board models both the cold clock and the date check
(boards/host.py, boards/host_tls.py); the server's SNTP responder
(server/gunlink/sntp.py) is what the guns ask."""
import base64
import socket
import sys
import time

import pytest

from mp import REPO, check, script
from test_simulated_gun import prestore

sys.path.insert(0, str(REPO))
from server.gunlink.broker import Broker  # noqa: E402
from server.gunlink.sntp import SNTPServer  # noqa: E402
from shared import wire  # noqa: E402
from sync_server import FakeServer  # noqa: E402
from tools.simulate import SimulatedGun  # noqa: E402


@pytest.fixture
def broker(tmp_path):
    """Mosquitto with TLS, its certificate starting today."""
    b = Broker(tmp_path / "broker", tls=True, devices={"G01": "pw-g01"},
               worker_password="pw-worker")
    b.start()
    yield b
    b.stop()


def silent_udp():
    """A UDP port where nothing answers (bound, never read)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def test_sntp_client_sends_ntptimes_request_and_checks_answers(sntp):
    silent = silent_udp()
    try:
        out = check(script("clock_sntp"),
                    args=[sntp.port, silent.getsockname()[1]])
    finally:
        silent.close()
    assert out.splitlines() == [
        r"request b'\x1b\x00\x00\x00'", "answers checked", "server True",
        "silent 0 True True"]
    assert sntp.answered == 1


def test_host_tls_checks_the_certificate_dates_by_the_board_clock(
        tmp_path, broker):
    """The unix port's mbedTLS checks dates by the computer's clock; the
    host board checks them by its own, which starts at 2000-01-01: refused
    as a device refuses it, taken once the clock is set, refused again
    past the certificate's end."""
    (tmp_path / "config.json").write_text('{"ssid": "sim"}')
    out = check(script("clock_host_tls"),
                args=[broker.tls_port, broker.ca_der_path],
                env={"PICKGUN_BOARD": "host",
                     "PICKGUN_HOST_DIR": str(tmp_path)})
    assert out.splitlines() == [
        "ValueError TLS: certificate out of date (check clock)",
        "True handshake done",
        "ValueError TLS: certificate out of date (check clock)"]


def wait(predicate, what, timeout=40):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_cold_boot_picks_offline_then_connects_only_after_ntp(
        tmp_path, broker):
    """A cold-booted TLS gun whose NTP server does not answer: "Clock not
    set" on the idle screen, never online, picks journalled with at 0.
    Once the server answers: the clock is set, the gun connects, and
    later picks carry the time."""
    server = FakeServer(broker)
    work = tmp_path / "g"
    work.mkdir()
    snap = wire.snapshot(1042, 3, "placed", "Jane R.",
                         [{"sku": "CBD-OIL-30", "qty": 3, "got": 0}], [], [])
    prestore(work, REPO / "firmware", snap)
    silent = silent_udp()
    ntp_port = silent.getsockname()[1]
    cfg = {"tls": True, "port": broker.tls_port, "ntp_port": ntp_port,
           "ca": base64.b64encode(broker.ca_der_path.read_bytes()).decode(),
           "backoff_ms": 200, "backoff_max_ms": 400}
    sntp = None
    try:
        with SimulatedGun(work, "G01", "pw-g01", "127.0.0.1", 0,
                          extra_config=cfg) as gun:
            gun.wait_for(lambda s: s["screen"] == "idle")
            wait(lambda: gun.rows[7:8] == ["Clock not set"], gun.rows)
            assert gun.rows[0].startswith("Offline"), gun.rows
            gun.scan(wire.order_code(1042))
            st = gun.scan(wire.bottle_code("B000101", "CBD-OIL-30", "L1"))
            assert st["pending"] == 1 and gun.beeps[-1] == "ok", st
            wait(lambda: "pickgun: ntp failed" in gun.log_path.read_text(),
                 "an NTP query timing out", 10)
            assert gun.state()["link"] == "offline"
            assert "pickgun: link: Clock not set" in \
                gun.log_path.read_text()
            silent.close()
            sntp = SNTPServer("127.0.0.1", ntp_port).start()
            gun.wait_for(lambda s: s["link"] == "online", 40)
            assert sntp.answered >= 1
            st = gun.scan(wire.bottle_code("B000102", "CBD-OIL-30", "L1"))
            assert st["screen"] == "picking", st
            gun.wait_for(lambda s: s["pending"] == 0, 20)
            gun.press("BACK")
            gun.wait_for(lambda s: s["screen"] == "idle")
            wait(lambda: gun.rows[7:8] == [""], gun.rows, 5)
            assert gun.rows[0].startswith("Online"), gun.rows
    finally:
        silent.close()
        if sntp is not None:
            sntp.stop()
        server.close()
    [(key, events)] = server.committed.items()
    assert key[0] == "G01"
    assert events[1]["at"] == 0             # picked before the clock was set
    assert abs(events[2]["at"] - time.time()) < 60, events[2]


def test_tls_waits_for_internal_ram_and_restarts_idle_for_it(
        tmp_path, broker):
    """A TLS handshake needs a free internal block over 16 KB: with less
    (a heap grown over a day) the gun does not try, says "TLS: low memory"
    on the idle screen, and after three such attempts, idle, restarts for
    a fresh heap; with enough it connects.  Scans stay journalled."""
    server = FakeServer(broker)
    cfg = {"tls": True, "port": broker.tls_port,
           "ca": base64.b64encode(broker.ca_der_path.read_bytes()).decode(),
           "backoff_ms": 200, "backoff_max_ms": 400}
    sntp = SNTPServer("127.0.0.1", 0).start()
    cfg.update(ntp="127.0.0.1", ntp_port=sntp.port)
    try:
        with SimulatedGun(tmp_path / "g", "G01", "pw-g01", "127.0.0.1", 0,
                          extra_config=cfg) as gun:
            gun.wait_for(lambda s: s["link"] == "online", 40)
            gun.internal_block(12000)
            gun.wifi(False)
            gun.wifi(True)
            wait(lambda: gun.rows[7:8] == ["TLS: low memory"], gun.rows)
            wait(lambda: gun.resets >= 1, "a restart for a fresh heap")
            log = gun.log_path.read_text()
            assert "largest free internal block 12000 bytes" in log, log
            # After the restart the board's internal RAM is its own
            # again (a fresh heap): the gun connects.
            gun.wait_for(lambda s: s["link"] == "online", 40)
    finally:
        sntp.stop()
        server.close()
