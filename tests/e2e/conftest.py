"""The whole product as `pickgun up --demo` runs it: a real Mosquitto with
Pickgun's config, the worker and web server as their own processes, and
simulated guns running the real firmware under MicroPython."""
import pytest

from server.core import db as dbmod
from server.gunlink.broker import free_port
from tools.up import Stack

# Short back-off so a test need not wait out a 30 s retry after the broker
# comes back; everything else is the product's default.
GUN_CONFIG = {"backoff_ms": 300, "backoff_max_ms": 1500, "resend_ms": 4000}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("pickgun") / "instance",
              web_port=free_port(), mqtt_port=free_port(),
              tls_port=free_port(), demo=True, gun_config=GUN_CONFIG,
              log=lambda *a: None, ntp_port=0)
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def db(stack):
    conn = dbmod.connect(str(stack.db_path))
    yield conn
    conn.conn.close()
