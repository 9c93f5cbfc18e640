"""A firmware roll-out over the air, end to end: two simulated guns run
the real firmware from its ROMFS image on version A; `pickgun release`'s
publish of B goes out paused (nothing starts), the fleet page resumes it;
the guns download B over HTTPS from the web server, install it, and boot
it on trial.  B cannot reach the broker from G02 (a fault built into that
image for the test): G01 confirms B, G02 rolls back to A by itself, and
the fleet page shows both, with their versions."""
import re
import shutil
import threading
import time

import pytest
from werkzeug.serving import make_server

from e2e_support import REPO
from server.app import create_app
from server.core import db as dbm
from server.fleet import releases
from server.fleet.provisioning import device_hashes, provision_device
from server.gunlink.broker import Broker
from server.gunlink.sntp import SNTPServer
from server.gunlink.worker import Worker
from server.staff import accounts
from tools.flash import firmware_version
from tools.provision import tls_config
from tools.release import build
from tools.simulate import SimulatedGun

B = "0.2.0-ota"
TRIAL_S = 6                 # the guns' ota_trial_s: short for the test
TIMEOUT = 60
STAFF_PASSWORD = "a-long-test-password"
# Image B, on G02 only: its broker connections are refused, so it never
# confirms itself (a fault of that image on that gun, as a real release
# might have one with some network).
FAULT = '''async def open_connection(host, port, ssl=None, name=None):
    if config()["id"] == "G02" and port == config()["port"]:
        raise OSError(errno.ECONNREFUSED)  # B's fault on G02 (the test)
'''


def release_b(tmp_path):
    """The source of release B: this firmware, VERSION B, the fault."""
    src = tmp_path / "src"
    shutil.copytree(REPO / "firmware", src / "firmware",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "shared", src / "shared",
                    ignore=shutil.ignore_patterns("__pycache__"))
    init = src / "firmware" / "gun" / "__init__.py"
    text = init.read_text()
    init.write_text(text.replace('VERSION = "%s"' % firmware_version(),
                                 'VERSION = "%s"' % B))
    host = src / "firmware" / "boards" / "host.py"
    text = host.read_text()
    head = "async def open_connection(host, port, ssl=None, name=None):\n"
    assert head in text
    host.write_text(text.replace(head, FAULT))
    return src


class Rig:
    """Broker (TLS), worker, web server (HTTPS with the broker's
    certificate, as the reverse proxy of docs/firmware.md) on one
    instance folder."""

    def __init__(self, instance):
        self.instance = instance
        self.db_path = str(instance / "pickgun.db")
        dbm.prepare_database(self.db_path)
        db = dbm.connect(self.db_path)
        try:
            self.passwords = {g: provision_device(db, g)
                              for g in ("G01", "G02")}
            accounts.create(db, "boss", STAFF_PASSWORD, "admin")
            hashes = device_hashes(db)
        finally:
            db.conn.close()
        self.broker = Broker(instance / "broker", device_hashes=hashes,
                             tls=True).start()
        self.worker = Worker(self.db_path, "127.0.0.1", self.broker.port,
                             self.broker.worker_user,
                             self.broker.worker_password,
                             poll_seconds=0.1).start()
        self.app = create_app(instance_path=str(instance),
                              settings={"DATABASE": self.db_path})
        self.downloads = []
        app = self.app.wsgi_app

        def counted(environ, start_response):
            if environ["PATH_INFO"].startswith("/firmware/"):
                self.downloads.append((environ["PATH_INFO"],
                                       environ.get("HTTP_RANGE")))
            return app(environ, start_response)
        self.app.wsgi_app = counted
        a = self.broker.authority
        self.web = make_server("127.0.0.1", 0, self.app, threaded=True,
                               ssl_context=(str(a.cert), str(a.key)))
        threading.Thread(target=self.web.serve_forever, daemon=True).start()
        # The guns' clocks start at 2000-01-01: TLS waits for SNTP.
        self.ntp = SNTPServer("127.0.0.1", 0).start()
        self.guns = {}

    def start_gun(self, device, workdir):
        cfg = dict(tls_config(self.broker.ca_der_path, self.broker.tls_port),
                   ota_key=releases.public_key(releases.folder(
                       self.db_path)),
                   fw_url="https://127.0.0.1:%d" % self.web.server_port,
                   ota_trial_s=TRIAL_S, ota_idle_s=0, backoff_ms=300,
                   backoff_max_ms=1000, ntp="127.0.0.1",
                   ntp_port=self.ntp.port)
        gun = SimulatedGun(workdir, device, self.passwords[device],
                           "127.0.0.1", self.broker.tls_port, romfs=True,
                           extra_config=cfg)
        self.guns[device] = gun
        return gun

    def row(self, device):
        db = dbm.connect(self.db_path)
        try:
            return dict(db["devices"].get(device))
        finally:
            db.conn.close()

    def wait_row(self, device, check):
        deadline = time.monotonic() + TIMEOUT
        while True:
            row = self.row(device)
            if check(row):
                return row
            assert time.monotonic() < deadline, (row, self.guns[
                device].log_tail(40))
            time.sleep(0.2)

    def stop(self):
        for gun in self.guns.values():
            gun.stop()
        self.web.shutdown()
        self.ntp.stop()
        self.worker.stop()
        self.broker.stop()


@pytest.fixture
def rig(tmp_path):
    r = Rig(tmp_path / "instance")
    try:
        yield r
    finally:
        r.stop()


def signed_in(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": "boss",
                                    "password": STAFF_PASSWORD,
                                    "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def test_a_rollout_where_one_gun_rolls_back(rig, tmp_path):
    a = firmware_version()
    version, image = build(release_b(tmp_path), simulated=True)
    assert version == B
    g01 = rig.start_gun("G01", tmp_path / "G01")
    g02 = rig.start_gun("G02", tmp_path / "G02")
    for gun in (g01, g02):
        gun.wait_for(lambda s: s["link"] == "online", TIMEOUT)

    # Published paused: the guns hear of B and start nothing.
    db = dbm.connect(rig.db_path)
    try:
        releases.publish(db, releases.folder(rig.db_path), image, B, "test",
                         paused=True)
    finally:
        db.conn.close()
    time.sleep(3)
    assert rig.downloads == []
    assert rig.row("G01")["ota_state"] is None and g01.resets == 0

    client = signed_in(rig.app)
    page = client.get("/devices/").get_data(as_text=True)
    assert "Firmware roll-out" in page and "Paused" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/devices/rollout", data={"pause": "0",
                                              "csrf_token": token})
    assert r.status_code == 302

    started = time.monotonic()
    row = rig.wait_row("G01", lambda r: r["fw"] == B and
                       r["ota_state"] == "ok")
    took = time.monotonic() - started
    assert row["ota_version"] == B and row["online"] == 1
    row = rig.wait_row("G02", lambda r: r["ota_state"] == "back" and
                       r["fw"] == a and r["online"] == 1)
    assert (row["ota_version"], row["ota_detail"]) == (B, "no broker")
    # G01: install, copy; G02: the same, then back and its copy.
    assert g01.resets == 2 and g02.resets == 4, (g01.resets, g02.resets)
    # Each downloaded B once, whole, over HTTPS from the web server.
    assert sorted(rig.downloads) == [("/firmware/%s.romfs" % B,
                                      "bytes=0-")] * 2
    g02.wait_for(lambda s: s["link"] == "online", TIMEOUT)

    data = client.get("/devices.json").get_json()
    guns = {d["id"]: d for d in data["devices"]}
    assert (guns["G01"]["fw"], guns["G01"]["ota"]["state"]) == (B, "ok")
    assert (guns["G02"]["fw"], guns["G02"]["ota"]["state"]) == (a,
                                                                  "back")
    counts = {k: v for k, v in data["rollout"]["counts"].items() if v}
    assert counts == {"ok": 1, "back": 1}
    assert (data["rollout"]["version"], data["rollout"]["paused"]) == (
        B, False)
    page = client.get("/devices/").get_data(as_text=True)
    assert "Rolled back: no broker" in page and "Confirmed" in page
    print("update on the host: %.1f s from resume to G01 confirmed" % took)
