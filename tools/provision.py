"""Per-gun credentials.  Each gun logs in to the broker as its device id
with its own random password; the server keeps only the Mosquitto hash
(devices.password_hash), the clear text goes once into the gun's
config.json.  Provisioning a gun again replaces its password."""
import json
import os
import secrets
import shutil
import socket
import subprocess

import click

from server import db as dbm
from server.broker import password_hash
from shared import wire

PASSWORD_BYTES = 18            # 24 URL-safe characters
DEFAULT_BOARD = "esp32_gm65"


class ProvisionError(ValueError):
    pass


def provision_device(db, device_id, name=None, board=None):
    """Create or update the device row with a new password; return the
    clear-text password (not stored anywhere)."""
    if not isinstance(device_id, str) or not wire.is_device_id(device_id):
        raise ProvisionError(
            "Invalid device id %r: use 1-%d characters A-Z, 0-9 or '-', "
            "starting with a letter (e.g. G03)"
            % (device_id, wire.DEVICE_ID_MAX))
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    hashed = password_hash(password)
    with dbm.write(db):
        db.execute("INSERT OR IGNORE INTO devices (id, created_at) "
                   "VALUES (?, ?)", [device_id, dbm.now()])
        changes = {"password_hash": hashed}
        if name is not None:
            changes["name"] = name
        if board is not None:
            changes["board"] = board
        db["devices"].update(device_id, changes)
    return password


def device_hashes(db):
    """{device id: password hash} for Broker(device_hashes=...)."""
    return {r["id"]: r["password_hash"] for r in db.execute(
        "SELECT id, password_hash FROM devices "
        "WHERE password_hash IS NOT NULL AND password_hash != ''")}


def gun_config(device_id, password, broker_host, broker_port=1883,
               ssid="", wifi_password="", board=DEFAULT_BOARD):
    """The gun's config.json contents."""
    return {"id": device_id, "password": password, "broker": broker_host,
            "port": int(broker_port), "ssid": ssid,
            "wifi_password": wifi_password, "board": board}


def write_config(path, config):
    """Write config.json readable by its owner only: it holds secrets."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def lan_address():
    """This machine's address on the network the guns will use (no
    packet is sent: connecting a UDP socket only picks the route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))          # TEST-NET-1, never routed
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def copy_to_gun(port, config_path):
    mpremote = shutil.which("mpremote")
    if mpremote is None:
        raise click.ClickException(
            "mpremote is not installed: pip install 'pickgun[flash]', or "
            "copy %s to the gun as /config.json yourself" % config_path)
    if not os.path.exists(port):
        raise click.ClickException("No serial port %s: is the gun plugged "
                                   "in? (ls /dev/ttyUSB* /dev/ttyACM*)" % port)
    cmd = [mpremote, "connect", port, "cp", config_path, ":config.json"]
    click.echo("$ " + " ".join(cmd))
    if subprocess.call(cmd) != 0:
        raise click.ClickException("mpremote failed to copy the config")


@click.command("provision")
@click.argument("device_id")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              default=None, help="SQLite file (default: the web app's).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False),
              default=None, help="Where to write the gun's config "
              "(default: config-<ID>.json).")
@click.option("--name", default=None, help="A label for the gun.")
@click.option("--broker-host", default=None, envvar="PICKGUN_MQTT_HOST",
              help="Broker address as the gun sees it (default: this "
              "machine's LAN address).")
@click.option("--broker-port", default=1883, show_default=True, type=int,
              envvar="PICKGUN_MQTT_PORT")
@click.option("--ssid", default="", envvar="PICKGUN_WIFI_SSID")
@click.option("--wifi-password", default="", envvar="PICKGUN_WIFI_PASSWORD")
@click.option("--board", default=DEFAULT_BOARD, show_default=True)
@click.option("--port", "serial_port", default=None,
              help="Serial port of a plugged-in gun: copy the config to it "
              "with mpremote.")
def provision_command(device_id, db_path, out_path, name, broker_host,
                      broker_port, ssid, wifi_password, board, serial_port):
    """Give gun DEVICE_ID (e.g. G03) a new broker password and write its
    config.json.  Restart `pickgun up` (or the broker) to let it log in."""
    from server import default_database, prepare_database
    path = db_path or default_database()
    prepare_database(path)
    db = dbm.connect(path)
    try:
        password = provision_device(db, device_id, name=name, board=board)
    except ProvisionError as e:
        raise click.BadParameter(str(e), param_hint="DEVICE_ID")
    finally:
        db.conn.close()
    config = gun_config(device_id, password, broker_host or lan_address(),
                        broker_port, ssid=ssid, wifi_password=wifi_password,
                        board=board)
    out_path = out_path or "config-%s.json" % device_id
    write_config(out_path, config)
    click.echo(out_path)
    if not ssid:
        click.echo("warning: no --ssid given; the gun will not join WiFi",
                   err=True)
    if serial_port:
        copy_to_gun(serial_port, out_path)
