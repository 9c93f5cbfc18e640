"""The fleet page's firmware roll-out (server.fleet.releases): what it
shows, Pause and Resume (administrators only, with the form's CSRF
token), and the download guns sign in to (server.web.firmware)."""
import base64
import hashlib
import os
import re
import shutil

import pytest

from server.core.db import connect
from server.fleet import releases
from server.fleet.provisioning import provision_device
from server.gunlink.ingest import ingest_batch
from shared import wire

IMAGE = b"\xd2\xcd\x31\x04abcd" + bytes(range(256)) * 20


@pytest.fixture(scope="session")
def release_key(tmp_path_factory):
    return releases.ensure_key(tmp_path_factory.mktemp("key"))


@pytest.fixture
def released(app, release_key):
    """Release 0.2.0 published, G01 provisioned (password returned), G01
    downloading it and G02 rolled back from it."""
    path = app.config["DATABASE"]
    where = releases.folder(path)
    where.mkdir(mode=0o700)
    shutil.copy(release_key, where / releases.KEY)
    db = connect(path)
    try:
        releases.publish(db, where, IMAGE, "0.2.0", "tech")
        password = provision_device(db, "G01")
        for device, ota in (("G01", ["0.2.0", "dl", 30]),
                            ("G02", ["0.2.0", "back", "no broker"])):
            ingest_batch(db, [(wire.dev_topic(device, wire.STATUS),
                               wire.encode(wire.status(
                                   True, "0.1.0", 0, 3, 0, "esp32_wroom",
                                   ota=ota)))])
    finally:
        db.conn.close()
    return password


def rollout(app):
    db = connect(app.config["DATABASE"])
    try:
        return releases.rollout(db)
    finally:
        db.conn.close()


def test_the_fleet_page_shows_the_rollout(client, released):
    html = client.get("/devices/").get_data(as_text=True)
    assert "Firmware roll-out" in html and "0.2.0" in html
    assert re.search(r'data-state="dl">\s*<strong>1</strong> Downloading',
                     html)
    assert "Downloading 30 %" in html and "Rolled back: no broker" in html
    data = client.get("/devices.json").get_json()
    assert data["rollout"]["counts"]["back"] == 1
    assert {d["id"]: d["ota"]["state"] for d in data["devices"]} == {
        "G01": "dl", "G02": "back"}


def test_an_administrator_pauses_and_resumes(client, released):
    r = client.post("/devices/rollout", data={"pause": "1"})
    assert r.status_code == 302 and rollout(client.application)["paused"]
    html = client.get("/devices/").get_data(as_text=True)
    assert "Paused" in html and ">Resume</button>" in html
    client.post("/devices/rollout", data={"pause": "0"})
    assert not rollout(client.application)["paused"]
    assert client.post("/devices/rollout", data={"pause": "x"}
                       ).status_code == 400


@pytest.mark.parametrize("role", ["associate", "csr", "supervisor"])
def test_only_an_administrator_may(app, login, released, role):
    client = login(app.test_client(), role)
    html = client.get("/devices/").get_data(as_text=True)
    assert "Needs an administrator" in html
    assert client.post("/devices/rollout", data={"pause": "1"}
                       ).status_code == 403
    assert not rollout(app)["paused"]


def test_pausing_needs_the_forms_token(app, login, released):
    app.config["CSRF_ENABLED"] = True
    client = login(app.test_client(), "admin")
    assert client.post("/devices/rollout", data={"pause": "1"}
                       ).status_code == 400
    html = client.get("/devices/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/devices/rollout", data={
        "pause": "1", "csrf_token": token}).status_code == 302
    assert rollout(app)["paused"]


def basic(device, password):
    return {"Authorization": "Basic " + base64.b64encode(
        ("%s:%s" % (device, password)).encode()).decode()}


def test_a_gun_downloads_a_release_and_resumes_it(app, released):
    client = app.test_client()          # nobody signed in: a gun
    url = "/firmware/0.2.0.romfs"
    r = client.get(url, headers=basic("G01", released))
    assert r.status_code == 200 and r.data == IMAGE
    assert r.headers["Accept-Ranges"] == "bytes"
    r = client.get(url, headers=dict(basic("G01", released),
                                     Range="bytes=1000-"))
    assert r.status_code == 206 and r.data == IMAGE[1000:]
    assert r.headers["Content-Range"] == "bytes 1000-%d/%d" % (
        len(IMAGE) - 1, len(IMAGE))
    r = client.get(url, headers=dict(basic("G01", released),
                                     Range="bytes=%d-" % len(IMAGE)))
    assert r.status_code == 416
    assert r.headers["Content-Range"] == "bytes */%d" % len(IMAGE)
    assert hashlib.sha256(IMAGE).hexdigest() in r.headers.get("ETag", "") \
        or r.status_code == 416
    assert client.get("/firmware/0.9.9.romfs", headers=basic(
        "G01", released)).status_code == 404


@pytest.mark.parametrize("headers", [
    {}, basic("G01", "wrong"), basic("G02", "anything"),
    basic("g01", "x"), {"Authorization": "Bearer abc"}])
def test_only_a_gun_with_its_password_downloads(app, released, headers):
    r = app.test_client().get("/firmware/0.2.0.romfs", headers=headers)
    assert r.status_code == 401 and IMAGE not in r.data
    assert "Basic" in r.headers["WWW-Authenticate"]


def test_the_key_is_not_served(app, released):
    r = app.test_client().get("/firmware/release.key",
                              headers=basic("G01", released))
    assert r.status_code == 404
    folder = releases.folder(app.config["DATABASE"])
    assert os.stat(folder / releases.KEY).st_mode & 0o077 == 0
