"""Fixtures for the worker tests: a migrated database, demo rows, a real
Mosquitto, the worker on a thread and fake guns."""
import pytest

from server.core import db as dbm
from server.gunlink.broker import Broker
from worker_support import GUN_PASSWORDS, FakeGun, make_demo, start_worker


@pytest.fixture
def db_path(tmp_path):
    path = str(tmp_path / "pickgun.db")
    conn = dbm.connect(path)
    dbm.migrate(conn)
    conn.conn.close()
    return path


@pytest.fixture
def db(db_path):
    conn = dbm.connect(db_path)
    yield conn
    conn.conn.close()


@pytest.fixture
def demo(db):
    make_demo(db)
    return db


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path / "broker", devices=GUN_PASSWORDS)
    b.start()
    yield b
    b.stop()


@pytest.fixture
def worker(broker, db_path):
    w = start_worker(broker, db_path)
    yield w
    w.stop()


@pytest.fixture
def gun_factory(broker):
    guns = []

    def make(device="G01", **kw):
        gun = FakeGun(broker, device, **kw)
        guns.append(gun)
        return gun
    yield make
    for gun in guns:
        gun.close()
