"""Per-gun credentials and the flash command's dry run."""
import json
import os
import subprocess

import paho.mqtt.client as mqtt
import pytest
from click.testing import CliRunner
from paho.mqtt.enums import CallbackAPIVersion

from server.fleet.credentials import HASH_ROUNDS, hash_rounds, password_hash
from server.gunlink.broker import Broker
from tools.flash import flash_command
from server.fleet.provisioning import (ProvisionError, device_hashes,
                                       provision_device)
from tools.provision import board_names, gun_config, provision_command


def broker_accepts(broker, user, password):
    result = {}
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=user,
                         protocol=mqtt.MQTTv311)
    client.username_pw_set(user, password)
    client.on_connect = lambda c, u, f, rc, p: result.setdefault("rc", rc)
    client.connect(broker.host, broker.port)
    for _ in range(50):
        client.loop(0.1)
        if "rc" in result:
            break
    client.disconnect()
    return not result["rc"].is_failure


def test_provision_stores_only_the_hash(db, tmp_path):
    password = provision_device(db, "G03", name="Packing bench")
    row = db["devices"].get("G03")
    assert row["password_hash"].startswith("$7$")
    assert password not in row["password_hash"]
    assert row["name"] == "Packing bench"
    assert len(password) >= 20

    broker = Broker(tmp_path / "broker", device_hashes=device_hashes(db))
    with broker:
        assert broker_accepts(broker, "G03", password)
        assert not broker_accepts(broker, "G03", password + "x")


def password_file(broker):
    return dict(line.split(":", 1)
                for line in broker.passwd.read_text().splitlines())


def test_broker_passwords_are_hashed_with_many_rounds(db, tmp_path):
    """Every hash the project writes (guns, the worker) has HASH_ROUNDS
    PBKDF2-SHA512 rounds, and the real broker logs them in."""
    assert HASH_ROUNDS >= 20_000
    password = provision_device(db, "G03")
    assert hash_rounds(db["devices"].get("G03")["password_hash"]) == \
        HASH_ROUNDS
    broker = Broker(tmp_path / "broker", device_hashes=device_hashes(db),
                    devices={"G04": "another-gun-password"})
    with broker:
        hashes = password_file(broker)
        assert set(hashes) == {"G03", "G04", broker.worker_user}
        assert {hash_rounds(h) for h in hashes.values()} == {HASH_ROUNDS}
        assert broker_accepts(broker, "G03", password)
        assert broker_accepts(broker, "G04", "another-gun-password")
        assert broker_accepts(broker, broker.worker_user,
                              broker.worker_password)
        assert not broker_accepts(broker, "G03", password[:-1])


def test_older_hashes_keep_working(db, tmp_path):
    """Hashes made before (101 rounds, as mosquitto_passwd makes them)
    still log their gun in; provisioning the gun again replaces them."""
    passwd = tmp_path / "made-by-mosquitto"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwd), "G08",
                    "a-gun-password-from-before"], check=True)
    made_by_mosquitto = passwd.read_text().strip().split(":", 1)[1]
    assert hash_rounds(made_by_mosquitto) == 101
    db["devices"].insert_all([
        {"id": "G08", "password_hash": made_by_mosquitto},
        {"id": "G09", "password_hash": password_hash(
            "another-one-from-before", iterations=101)}])
    broker = Broker(tmp_path / "broker", device_hashes=device_hashes(db))
    with broker:
        assert broker_accepts(broker, "G08", "a-gun-password-from-before")
        assert broker_accepts(broker, "G09", "another-one-from-before")
        assert not broker_accepts(broker, "G09", "another-one-from-befor")
    new_password = provision_device(db, "G09")
    assert hash_rounds(db["devices"].get("G09")["password_hash"]) == \
        HASH_ROUNDS
    broker = Broker(tmp_path / "broker", device_hashes=device_hashes(db))
    with broker:
        assert broker_accepts(broker, "G09", new_password)
        assert not broker_accepts(broker, "G09", "another-one-from-before")


def test_provision_again_replaces_password(db):
    first = provision_device(db, "G03")
    old_hash = db["devices"].get("G03")["password_hash"]
    second = provision_device(db, "G03")
    assert first != second
    assert db["devices"].get("G03")["password_hash"] != old_hash


@pytest.mark.parametrize("bad", ["", "g03", "3G", "G 3", "G/3", "G+",
                                 "G#", "X" * 17, None])
def test_bad_device_id_refused(db, bad):
    with pytest.raises(ProvisionError, match="Invalid device id"):
        provision_device(db, bad)
    assert db.execute("SELECT count(*) FROM devices").fetchone()[0] == 0


def test_gun_config_fields():
    assert gun_config("G03", "pw", "10.0.0.5", 1883, ssid="shop",
                      wifi_password="wpw", board="esp32") == {
        "id": "G03", "password": "pw", "broker": "10.0.0.5", "port": 1883,
        "ssid": "shop", "wifi_password": "wpw", "board": "esp32"}


def test_provision_command_writes_config(db_path, db, tmp_path):
    out = tmp_path / "config.json"
    result = CliRunner().invoke(provision_command, [
        "G07", "--db", db_path, "--out", str(out), "--broker-host",
        "10.1.2.3", "--ssid", "warehouse", "--wifi-password", "secret"])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    config = json.loads(out.read_text())
    assert (config["id"], config["broker"], config["port"], config["ssid"]) \
        == ("G07", "10.1.2.3", 1883, "warehouse")
    assert os.stat(out).st_mode & 0o077 == 0          # holds a password
    assert db["devices"].get("G07")["password_hash"]


def test_provision_command_offers_the_firmware_s_boards(db_path, tmp_path):
    assert board_names() == ["esp32_gm65", "esp32_s3", "esp32_s3_cam",
                             "esp32_wroom", "esp32_wrover"]
    out = tmp_path / "config.json"
    result = CliRunner().invoke(provision_command, [
        "G07", "--db", db_path, "--out", str(out), "--board", "esp32_s3"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["board"] == "esp32_s3"
    result = CliRunner().invoke(provision_command, [
        "G08", "--db", db_path, "--out", str(out), "--board", "esp32"])
    assert result.exit_code != 0 and "esp32_wroom" in result.output


def test_provision_names_the_sntp_port_pickgun_up_recorded(db_path,
                                                           tmp_path):
    """A gun asks its broker's host for the time, on port 123 unless the
    `pickgun up` beside the database recorded another (ports.json)."""
    out = tmp_path / "config.json"
    args = ["G08", "--db", db_path, "--out", str(out), "--broker-host",
            "10.1.2.3", "--ssid", "warehouse"]
    assert CliRunner().invoke(provision_command, args).exit_code == 0
    assert "ntp_port" not in json.loads(out.read_text())
    (tmp_path / "ports.json").write_text('{"ntp": 10123}')
    assert CliRunner().invoke(provision_command, args).exit_code == 0
    assert json.loads(out.read_text())["ntp_port"] == 10123


def test_provision_command_bad_id(db_path, tmp_path):
    result = CliRunner().invoke(provision_command, [
        "g07", "--db", db_path, "--out", str(tmp_path / "c.json")])
    assert result.exit_code != 0
    assert "Invalid device id" in result.output


def test_flash_dry_run(tmp_path):
    root = tmp_path / "project"
    for rel in ("firmware/boot.py", "firmware/main.py",
                "firmware/gun/journal.py", "firmware/gun/__pycache__/x.pyc",
                "firmware/boards/esp32.py", "firmware/drivers/ssd1306.py",
                "shared/__init__.py", "shared/wire.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("# %s\n" % rel)
    (root / "firmware/gun/__init__.py").write_text('VERSION = "9.8.7"\n')
    image = tmp_path / "micropython.bin"
    result = CliRunner().invoke(flash_command, [
        "--port", "/dev/ttyUSB9", "--firmware-bin", str(image),
        "--source", str(root), "--dry-run"])
    assert result.exit_code == 0, result.output
    out = result.output
    # Modules go precompiled into a ROMFS image; main.py and boot.py stay
    # scripts on the filesystem.
    for target in ("/rom/gun/journal.mpy", "/rom/boards/esp32.mpy",
                   "/rom/drivers/ssd1306.mpy", "/rom/shared/wire.mpy",
                   "/rom/shared/__init__.mpy", ":boot.py", ":main.py"):
        assert target in out
    assert ":gun/journal.mpy" not in out and ":gun/journal.py" not in out
    assert ".pyc" not in out and "missing" not in out
    assert "erase-flash" in out and "write-flash" in out and "0x1000" in out
    assert "connect /dev/ttyUSB9 romfs deploy" in out
    assert "firmware 9.8.7" in out.lower()
    assert "/rom/gun/__init__.mpy" in out
    assert (root / "build/firmware.romfs").is_file()

    # --mpy: the modules as .mpy files on the filesystem.
    result = CliRunner().invoke(flash_command, [
        "--port", "/dev/ttyUSB9", "--firmware-bin", str(image),
        "--source", str(root), "--mpy", "--dry-run"])
    assert result.exit_code == 0, result.output
    out = result.output
    for target in (":boot.py", ":main.py", ":gun/journal.mpy",
                   ":boards/esp32.mpy", ":drivers/ssd1306.mpy",
                   ":shared/wire.mpy", ":shared/__init__.mpy"):
        assert target in out
    assert ":gun/journal.py" not in out and "romfs deploy" not in out
    assert "connect /dev/ttyUSB9" in out
    assert (root / "build/firmware-mpy/gun/journal.mpy").is_file()

    result = CliRunner().invoke(flash_command, [
        "--port", "/dev/ttyUSB9", "--source", str(root), "--py",
        "--dry-run"])
    assert result.exit_code == 0, result.output
    assert ":gun/journal.py" in result.output
    assert ":gun/journal.mpy" not in result.output


def test_flash_dry_run_without_image_reports_missing(tmp_path):
    result = CliRunner().invoke(flash_command, [
        "--port", "/dev/ttyUSB9", "--source", str(tmp_path), "--dry-run"])
    assert result.exit_code == 0
    assert "esptool" not in result.output
    assert "missing: firmware/main.py" in result.output


def test_flash_without_port_explains(tmp_path):
    root = tmp_path
    for rel in ("firmware/boot.py", "firmware/main.py", "shared/wire.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    (root / "firmware/gun").mkdir()
    (root / "firmware/gun/__init__.py").write_text('VERSION = "1.0"\n')
    result = CliRunner().invoke(flash_command, [
        "--port", str(tmp_path / "no-such-tty"), "--source", str(root)])
    assert result.exit_code != 0
    assert "No serial port" in result.output


def test_flash_refuses_firmware_that_sets_no_version(tmp_path):
    # A gun without VERSION would report no firmware to the fleet page.
    root = tmp_path
    for rel in ("firmware/boot.py", "firmware/main.py", "shared/wire.py",
                "firmware/gun/__init__.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    result = CliRunner().invoke(flash_command, [
        "--port", str(tmp_path / "no-such-tty"), "--source", str(root)])
    assert result.exit_code != 0
    assert "sets no VERSION" in result.output
    result = CliRunner().invoke(flash_command, [
        "--port", "/dev/ttyUSB9", "--source", str(root), "--py",
        "--dry-run"])
    assert result.exit_code == 0 and "without a VERSION" in result.output
