"""Fixtures the firmware tests share."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_server import FakeServer  # noqa: E402

from server.gunlink.broker import Broker  # noqa: E402
from server.gunlink.sntp import SNTPServer  # noqa: E402


@pytest.fixture
def env(tmp_path):
    """A started broker and a FakeServer on it: (broker, server)."""
    b = Broker(tmp_path / "broker", devices={"G01": "pw-g01"},
               worker_password="pw-worker")
    b.start()
    server = FakeServer(b)
    yield b, server
    server.close()
    b.stop()


@pytest.fixture
def sntp():
    """The server's SNTP responder on a free port, for guns whose clock
    must be set (a TLS gun connects only then): pass sntp.port as the
    gun's ntp_port."""
    server = SNTPServer("127.0.0.1", 0).start()
    yield server
    server.stop()
