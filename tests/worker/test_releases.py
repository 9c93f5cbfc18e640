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
    assert [g["update"]["text"] for g in guns] == [
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
