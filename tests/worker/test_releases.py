"""Firmware releases on the server (server/fleet/releases.py, `pickgun
release`): the signing key, signing and publishing, the roll-out and what
the fleet page makes of the guns' reports."""
import hashlib
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from server.fleet import releases
from tools.release import release_command
from tools.romfs import PARTITION_BYTES

IMAGE = b"\xd2\xcd\x31\x04abcd" + bytes(range(256)) * 8


@pytest.fixture(scope="session")
def release_key(tmp_path_factory):
    """One release key for the session (RSA-2048 takes a while to make)."""
    folder = tmp_path_factory.mktemp("key")
    return releases.ensure_key(folder)


@pytest.fixture
def where(db_path, release_key):
    folder = releases.folder(db_path)
    folder.mkdir(mode=0o700)
    shutil.copy(release_key, folder / releases.KEY)
    return folder


def test_the_release_key_is_made_once_and_kept_private(tmp_path):
    folder = tmp_path / "releases"
    key = releases.ensure_key(folder)
    assert key == folder / releases.KEY
    assert os.stat(key).st_mode & 0o077 == 0
    assert os.stat(folder).st_mode & 0o077 == 0
    before = key.read_bytes()
    assert releases.ensure_key(folder).read_bytes() == before
    n = releases.modulus(folder)
    assert len(n) == releases.KEY_BITS // 8 and n[0] & 0x80
    assert releases.public_key(folder) == \
        __import__("base64").b64encode(n).decode()


def test_publish_signs_stores_and_targets_the_release(db, db_path, where):
    row = releases.publish(db, where, IMAGE, "0.2.0", "tech")
    sha = hashlib.sha256(IMAGE).hexdigest()
    assert (row["version"], row["size"], row["sha256"], row["created_by"]) \
        == ("0.2.0", len(IMAGE), sha, "tech")
    assert releases.verify(releases.modulus(where), releases.release_text(
        "0.2.0", len(IMAGE), sha), row["signature"])
    assert (where / "0.2.0.romfs").read_bytes() == IMAGE
    # The key never leaves its folder: not in the release, not beside it.
    assert sorted(p.name for p in where.iterdir()) == [
        "0.2.0.romfs", releases.KEY]
    rev, payload = releases.offer(db)
    assert json.loads(payload) == {
        "v": 1, "fw": "0.2.0", "size": len(IMAGE), "sha": sha,
        "sig": row["signature"], "pause": False}
    # Pausing and resuming change the retained offer (a new revision).
    assert releases.set_paused(db, True, "boss")["paused"] == 1
    rev2, payload = releases.offer(db)
    assert rev2 > rev and json.loads(payload)["pause"] is True
    releases.set_paused(db, False)
    assert releases.offer(db)[0] > rev2


def test_a_version_is_one_image(db, where):
    releases.publish(db, where, IMAGE, "0.2.0")
    rev = releases.offer(db)[0]
    releases.publish(db, where, IMAGE, "0.2.0", paused=True)  # again: fine
    assert releases.offer(db)[0] == rev + 1
    with pytest.raises(releases.ReleaseError, match="another image"):
        releases.publish(db, where, IMAGE + b"x", "0.2.0")
    for bad in ("", "0.2/0", "0.2 0", "x" * 41, "../0.2"):
        with pytest.raises(releases.ReleaseError, match="version"):
            releases.publish(db, where, IMAGE, bad)
    with pytest.raises(releases.ReleaseError, match="ROMFS"):
        releases.publish(db, where, b"MZ" + IMAGE, "0.3.0")


def test_nothing_to_pause_before_a_release(db):
    assert releases.offer(db) is None
    with pytest.raises(releases.ReleaseError, match="No release"):
        releases.set_paused(db, True)


def test_progress_of_the_guns(db, where):
    releases.publish(db, where, IMAGE, "0.2.0")
    guns = [{"id": "G1", "fw": "0.1.0", "ota_version": "0.2.0",
             "ota_state": "dl", "ota_detail": "40"},
            {"id": "G2", "fw": "0.2.0", "ota_version": "0.2.0",
             "ota_state": "trial", "ota_detail": "0"},
            {"id": "G3", "fw": "0.1.0", "ota_version": "0.2.0",
             "ota_state": "back", "ota_detail": "no broker"},
            {"id": "G4", "fw": "0.2.0", "ota_version": None,
             "ota_state": None, "ota_detail": None},
            {"id": "G5", "fw": "0.1.0", "ota_version": "0.1.9",
             "ota_state": "ok", "ota_detail": "0"}]
    out = releases.progress(db, guns)
    assert (out["version"], out["paused"], out["guns"]) == ("0.2.0", False,
                                                            5)
    assert {k: v for k, v in out["counts"].items() if v} == {
        "dl": 1, "trial": 1, "back": 1, "ok": 1, "offered": 1}
    assert [g["ota"]["text"] for g in guns] == [
        "Downloading 40 %", "Installed, on trial", "Rolled back: no broker",
        "Confirmed", "Offered"]


def test_release_command_builds_and_publishes_the_image(db_path, where):
    result = CliRunner().invoke(release_command, ["--db", db_path,
                                                  "--paused"])
    assert result.exit_code == 0, result.output
    from tools.flash import firmware_version
    version = firmware_version()
    image = (where / ("%s.romfs" % version)).read_bytes()
    assert image.startswith(b"\xd2\xcd\x31") and len(image) < PARTITION_BYTES
    assert "Release %s" % version in result.output and "paused" in \
        result.output
    from server.core import db as dbm
    db = dbm.connect(db_path)
    try:
        assert releases.rollout(db)["paused"] == 1
    finally:
        db.conn.close()
    result = CliRunner().invoke(release_command, ["--db", db_path,
                                                  "--resume"])
    assert result.exit_code == 0 and "resumed" in result.output
    result = CliRunner().invoke(release_command, ["--db", db_path, "--pause"])
    assert result.exit_code == 0 and "paused" in result.output


def retained_offer(broker, device, password, timeout=10):
    """What a gun subscribing to the roll-out gets: (payload, retained),
    or None; and whether the broker let it publish there."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from shared import wire
    from worker_support import wait_until
    got = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=device,
                    protocol=mqtt.MQTTv311)
    c.username_pw_set(device, password)
    c.on_message = lambda c, u, m: got.append((m.payload, m.retain))
    c.connect(broker.host, broker.port)
    c.loop_start()
    try:
        c.subscribe(wire.FW_TOPIC, 1)
        try:
            wait_until(lambda: got, timeout)
        except AssertionError:
            return None
        return got[-1]
    finally:
        c.disconnect()
        c.loop_stop()


def test_the_worker_retains_the_rollout_for_every_gun(db, db_path, where,
                                                      broker, worker):
    from worker_support import GUN_PASSWORDS, wait_until
    releases.publish(db, where, IMAGE, "0.2.0")
    def retained_now(device):
        got = retained_offer(broker, device, GUN_PASSWORDS[device], 1)
        return got if got and got[1] else None     # retained, not live
    payload, _ = wait_until(lambda: retained_now("G01"))
    assert json.loads(payload) == json.loads(releases.offer(db)[1])
    # Paused: the retained message says so, for guns already there and
    # those that come later.
    releases.set_paused(db, True)

    def paused():
        got = retained_now("G02")
        return got and json.loads(got[0])["pause"] is True
    wait_until(paused)


def test_a_gun_cannot_publish_a_rollout(broker):
    """The broker's ACL: guns read the roll-out, only the worker writes
    it."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from shared import wire
    from worker_support import GUN_PASSWORDS
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="G01",
                    protocol=mqtt.MQTTv311)
    c.username_pw_set("G01", GUN_PASSWORDS["G01"])
    c.connect(broker.host, broker.port)
    c.loop_start()
    c.publish(wire.FW_TOPIC, b'{"v": 1, "fw": "evil"}', qos=1,
              retain=True).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()
    assert retained_offer(broker, "G02", GUN_PASSWORDS["G02"], 1) is None


def test_a_guns_update_is_recorded_from_its_status(db):
    from server.gunlink.ingest import ingest_batch
    from shared import wire
    topic = wire.dev_topic("G01", wire.STATUS)
    ingest_batch(db, [(topic, wire.encode(wire.status(
        True, "0.1.0", 0, 7, 0, "simulated", ota=["0.2.0", "dl", 40])))])
    row = db["devices"].get("G01")
    assert (row["ota_version"], row["ota_state"], row["ota_detail"]) == (
        "0.2.0", "dl", "40")
    ingest_batch(db, [(topic, wire.encode(wire.status(
        True, "0.1.0", 0, 7, 0, "simulated",
        ota=["0.2.0", "back", "no broker"])))])
    assert db["devices"].get("G01")["ota_detail"] == "no broker"
    # A status without it (a gun that does not update) keeps the last.
    ingest_batch(db, [(topic, wire.encode(wire.status(
        True, "0.1.0", 0, 7, 0, "simulated")))])
    assert db["devices"].get("G01")["ota_state"] == "back"


@pytest.mark.parametrize("ota", [
    ["0.2.0", "dl"], "dl", ["", "dl", 1], ["0.2.0", "DL", 1],
    ["0.2.0", "dl", 1.5], ["0.2.0", "dl", True], ["0.2.0", "dl", "x" * 41],
    ["v" * 41, "dl", 1], ["0.2.0", "d l", 0]])
def test_a_status_with_a_malformed_update_breaks_the_contract(ota):
    from server.gunlink.gun_payloads import check_status
    from shared.wire import WireError
    status = {"v": 1, "online": True, "fw": "0.1.0", "pending": 0, "ep": 1,
              "upto": 0, "ota": ota}
    with pytest.raises(WireError):
        check_status(status)
    status["ota"] = ["0.2.0", "back", "no broker"]
    assert check_status(status)
