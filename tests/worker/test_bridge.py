"""A site broker bridged to the central broker (tools/site.py,
server/gunlink/bridge.py), with two real Mosquitto processes, TLS on the
bridge, and a proxy between them that the test cuts and restores: a gun
at the site keeps syncing while the link is down, and once it is back
every event is committed once and acked at the gun."""
import json
import socket
import sqlite3
import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from server.core import db as dbm
from server.core.history import bump_rev
from server.fleet.provisioning import device_hashes, provision_device
from server.gunlink.bridge import link_topic
from server.gunlink.broker import Broker, free_port
from shared import wire
from tools.site import add_site, bridge_users, load_site, site_broker
from worker_support import FakeGun, start_worker, wait_until

EVENTS = 20
CUT_AFTER = 7


class Proxy:
    """TCP between the site's bridge and the central broker.  cut():
    every connection closed, new ones closed at once; restore()."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.up = True
        self.conns = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                near, _ = self.server.accept()
            except OSError:
                return
            if not self.up:
                near.close()
                continue
            far = socket.create_connection(self.target)
            with self.lock:
                self.conns += [near, far]
            for a, b in ((near, far), (far, near)):
                threading.Thread(target=self._pump, args=(a, b),
                                 daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        self.up = False
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.server.close()


@pytest.fixture
def sites(tmp_path, demo, db_path):
    """(central broker, proxy, site broker, G01's password): the worker's
    broker with TLS, and site "north" bridged to it through the proxy."""
    password = provision_device(demo, "G01")
    central = Broker(tmp_path / "broker", tls=True,
                     device_hashes=device_hashes(demo))
    central.write_config()                     # Pickgun's CA, made once
    proxy = Proxy(central.tls_port)
    folder = add_site(tmp_path, "north", "127.0.0.1", proxy.port,
                      ["127.0.0.1"], host="127.0.0.1", tls_port=free_port(),
                      port=free_port(), db_path=db_path)
    central.bridge_users = bridge_users(tmp_path)
    central.start()
    # Quick to come back: first try after 1 s (Mosquitto's keep-alive
    # floor is 5 s).
    site = site_broker(folder, restart_timeout=(1, 2), keepalive=5).start()
    yield central, proxy, site, password
    site.stop()
    proxy.close()
    central.stop()


def count(db_path, sql):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def link_state(site):
    """The bridge's own notification on the site broker: 1 up, 0 down."""
    got = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="probe",
                    protocol=mqtt.MQTTv311)
    c.username_pw_set(site.worker_user, site.worker_password)
    c.on_message = lambda c, u, m: got.append(m.payload)
    c.connect(site.plain_host, site.port)
    c.subscribe(link_topic("north"), 1)
    c.loop_start()
    try:
        wait_until(lambda: got, timeout=5)
    finally:
        c.loop_stop()
        c.disconnect()
    return got[-1]


def test_site_files_and_central_acl(sites, tmp_path):
    central, _proxy, site, _password = sites
    info = load_site(site.dir)
    assert info["guns"].keys() == {"G01"}
    conf = site.conf.read_text()
    for line in ("cleansession false", "try_private true",
                 "remote_clientid pickgun-site-north",
                 "bridge_cafile %s" % (site.dir / "tls" / "ca.pem"),
                 "topic pickgun/dev/+/evt out 1",
                 "topic pickgun/order/# in 1", "topic pickgun/fw in 1"):
        assert line + "\n" in conf
    assert not (site.dir / "tls" / "ca.key").exists()  # never leaves
    assert (site.dir / "tls" / "ca.pem").read_bytes() == \
        central.authority.ca_pem.read_bytes()
    acl = central.acl.read_text()
    block = acl[acl.index("user pickgun-site-north"):]
    assert "topic write pickgun/dev/+/evt" in block
    assert "topic read pickgun/dev/+/ack" in block
    assert "readwrite" not in block
    assert (site.dir / "site.json").stat().st_mode & 0o077 == 0


def test_gun_at_site_syncs_through_a_cut_link(sites, db_path, demo):
    central, proxy, site, password = sites
    demo.execute("UPDATE order_lines SET qty = 20 WHERE order_id = 1002")
    worker = start_worker(central, db_path)
    hold, snapshot = wire.dev_topic("G01", wire.HOLD), wire.order_topic(1001)
    gun = None
    try:
        wait_until(lambda: link_state(site) == b"1")
        gun = FakeGun(site, "G01", password, port=site.tls_port,
                      ca=site.dir / "tls" / "ca.pem",
                      topics=(hold, snapshot))
        # The worker's retained snapshot, published centrally before the
        # gun connected, is at the site.
        wait_until(lambda: any(t == snapshot for t, _ in gun.other))
        for n in range(1, CUT_AFTER + 1):
            gun.pick("B%04d" % n, order=1002)
        proxy.cut()
        # While the link is down: the gun's events are taken by the site
        # broker (PUBACKed), and a hold list is published centrally.
        for n in range(CUT_AFTER + 1, EVENTS + 1):
            info = gun.client.publish(
                wire.dev_topic("G01", wire.EVT), gun.journal[gun.pick(
                    "B%04d" % n, order=1002)], qos=1)
            info.wait_for_publish(5)
        wait_until(lambda: link_state(site) == b"0")
        # Meanwhile, centrally: order 1001 changes (the worker publishes
        # its new retained snapshot) and the gun's hold list is published
        # (on the worker's connection, as the server would).
        with dbm.transaction(demo):
            demo["notes"].insert({"order_id": 1001, "text": "Fragile",
                                  "created_at": dbm.now()})
            bump_rev(demo, 1001)
        wait_until(lambda: count(db_path, "SELECT published_rev FROM orders "
                                 "WHERE id = 1001") == 2)
        hold_list = wire.encode(wire.hold([1002, 1001]))
        worker.client.publish(hold, hold_list, qos=1, retain=True)
        proxy.restore()
        # No resends by the gun: what crosses is what the bridge queued.
        gun.wait_acked(EVENTS, timeout=30, resend_after=3600)
        wait_until(lambda: (hold, hold_list) in gun.other)
        wait_until(lambda: any(json.loads(p)["rev"] == 2
                               for t, p in gun.other if t == snapshot))
    finally:
        if gun is not None:
            gun.close()
        worker.stop()
    assert gun is not None
    assert count(db_path, "SELECT count(*) FROM device_events") == EVENTS
    assert count(db_path, "SELECT count(*) FROM picks WHERE status = "
                 "'accepted' AND order_id = 1002") == EVENTS
    assert gun.rejected == {} and gun.journal == {}
    latest = [json.loads(p) for t, p in gun.other if t == snapshot][-1]
    assert [n["text"] for n in latest["notes"]] == ["Fragile"]
