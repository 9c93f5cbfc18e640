"""Fixtures the firmware tests share."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_server import FakeServer  # noqa: E402

from server.gunlink import broker as _broker  # noqa: E402
from server.gunlink.broker import Broker  # noqa: E402
from server.gunlink.sntp import SNTPServer  # noqa: E402

# A gun reads its own hold and answer topics and publishes gets
# (docs/protocol.md, Topics): a broker whose ACL predates them would
# refuse the gun's subscriptions, so these tests add the lines it lacks.
_GUN_TOPICS = ("pattern read pickgun/dev/%u/hold\n"
               "pattern read pickgun/dev/%u/order\n"
               "pattern write pickgun/dev/%u/get\n")
if "pickgun/dev/%u/hold" not in _broker.ACL:
    _broker.ACL += _GUN_TOPICS


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
