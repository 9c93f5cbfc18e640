"""Per-gun credentials.  Each gun logs in to the broker as its device id
with its own random password; the server keeps only the Mosquitto hash
(devices.password_hash, written by server.fleet.provisioning), the clear
text goes once into the gun's config.json.  Provisioning a gun again
replaces its password.

A gun talks TLS to the broker when its config carries the broker's CA
certificate ("tls": true, "ca": DER in base64: config.json stays the one
file to copy to the gun).

A gun sets its clock by SNTP from its broker's host unless "ntp" names
another server; "ntp_port" is written only when the `pickgun up` beside
the database answers on a port other than 123 (ports.json).

For updates over the air the config carries the public half of the
server's release key ("ota_key", server/fleet/releases.py: made here if
no release has made it yet), which only provisioning sets, and, with
--fw-url, where the gun downloads releases from ("fw_url")."""
import base64
import glob
import json
import os
from pathlib import Path

import click

from server.core import db as dbm
from server.fleet import releases
from server.fleet.provisioning import ProvisionError, provision_device
from server.gunlink.broker import lan_address

PLAIN_PORT = 1883
TLS_PORT = 8883
NTP_PORT = 123
BOARDS_DIR = Path(__file__).resolve().parent.parent / "firmware" / "boards"
DEFAULT_BOARD = "esp32_wroom"


def board_names(folder=BOARDS_DIR):
    """The device boards the firmware has: firmware/boards/<name>.py but
    the shared code (_esp32.py) and the simulator's (host*.py).  Their
    pin tables and wiring: docs/hardware.md; esp32_gm65 is the first
    board's name, kept: the ESP32-WROOM board."""
    return sorted(p.stem for p in Path(folder).glob("*.py")
                  if not p.stem.startswith(("_", "host")))


def gun_config(device_id, password, broker_host, broker_port=None,
               ssid="", wifi_password="", board=DEFAULT_BOARD, ca=None,
               ntp_port=None, ota_key=None, fw_url=None):
    """The gun's config.json contents; ca: the broker's CA certificate
    (DER bytes) for TLS, whose port is then the default; ntp_port: the
    SNTP port on the broker's host, when not 123; ota_key: the release
    key's modulus (base64) and fw_url: where releases are downloaded
    from, for updates over the air."""
    cfg = {"id": device_id, "password": password, "broker": broker_host,
           "port": int(broker_port or (TLS_PORT if ca else PLAIN_PORT)),
           "ssid": ssid, "wifi_password": wifi_password, "board": board}
    if ca:
        cfg.update(tls=True, ca=base64.b64encode(ca).decode())
    if ntp_port and ntp_port != NTP_PORT:
        cfg["ntp_port"] = int(ntp_port)
    if ota_key:
        cfg["ota_key"] = ota_key
    if fw_url:
        cfg["fw_url"] = fw_url.rstrip("/")
    return cfg


def tls_config(ca_der_path, port):
    """The config keys that put a gun on the broker's TLS port."""
    ca = base64.b64encode(read_ca(ca_der_path)).decode()
    return {"tls": True, "ca": ca, "port": int(port)}


def read_ca(path):
    """A CA certificate file, DER or PEM, as DER bytes."""
    data = open(path, "rb").read()
    if data.lstrip().startswith(b"-----BEGIN"):
        body = data.split(b"-----")[2]
        return base64.b64decode(b"".join(body.split()))
    return data


def instance_ca(db_path):
    """The CA of the broker `pickgun up` runs beside this database."""
    path = os.path.join(os.path.dirname(os.path.abspath(db_path)), "broker",
                        "tls", "ca.der")
    return path if os.path.exists(path) else None


def instance_broker_port(db_path, tls):
    """The port guns use on the broker `pickgun up` runs beside this
    database (its TLS listener when tls), or None if there is none."""
    conf = os.path.join(os.path.dirname(os.path.abspath(db_path)), "broker",
                        "mosquitto.conf")
    ports = {}
    current = None
    try:
        with open(conf) as f:
            for line in f:
                words = line.split()
                if words[:1] == ["listener"] and len(words) > 1:
                    current = int(words[1])
                    ports.setdefault(False, current)
                elif words[:1] == ["cafile"] and current is not None:
                    ports[True] = current
    except (OSError, ValueError):
        return None
    return ports.get(bool(tls))


def instance_ntp_port(db_path):
    """The SNTP port of the `pickgun up` beside this database, when it
    recorded one (not 123), else None."""
    path = os.path.join(os.path.dirname(os.path.abspath(db_path)),
                        "ports.json")
    try:
        with open(path) as f:
            port = json.load(f).get("ntp")
    except (OSError, ValueError, AttributeError):
        return None
    return port if isinstance(port, int) else None


def cert_names(ca_path, host):
    """False if no broker certificate beside ca_path, the central one's or
    a site's (pickgun site add: INSTANCE/sites/*/tls/), is known to name
    host (the gun checks the name it dials)."""
    tls = os.path.dirname(os.path.abspath(ca_path))
    names = None
    for path in [os.path.join(tls, "server.san")] + sorted(glob.glob(
            os.path.join(tls, "..", "..", "sites", "*", "tls",
                         "server.san"))):
        try:
            with open(path) as f:
                names = (names or []) + f.read().strip().split(",")
        except OSError:
            continue
    return names is None or "DNS:" + host in names or "IP:" + host in names


def write_config(path, config):
    """Write config.json readable by its owner only: it holds secrets."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def copy_to_gun(port, config_path):
    """Copy the config to the gun as /config.json, then reset it: the
    firmware reads its config once, at boot."""
    from tools.device import link_for
    link = link_for(port)
    link.check("copy %s to the gun as /config.json yourself and restart "
               "it" % config_path)
    link.session([("put", config_path, "config.json"), ("reset",)])
    click.echo("Copied the config to %s and restarted the gun." % link.name)


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
@click.option("--broker-port", default=None, type=int,
              envvar="PICKGUN_MQTT_PORT",
              help="Default: 8883 with TLS, 1883 without.")
@click.option("--tls/--no-tls", default=None,
              help="Default: TLS when the broker beside --db has a CA "
              "(pickgun up makes one) or --ca is given.")
@click.option("--ca", "ca_path", type=click.Path(dir_okay=False, exists=True),
              default=None, help="The broker's CA certificate (DER or PEM).")
@click.option("--ssid", default="", envvar="PICKGUN_WIFI_SSID")
@click.option("--wifi-password", default="", envvar="PICKGUN_WIFI_PASSWORD")
@click.option("--board", default=DEFAULT_BOARD, show_default=True,
              type=click.Choice(board_names()),
              help="The ESP32 module the gun is built on (its pins: "
              "docs/hardware.md).")
@click.option("--fw-url", default=None, envvar="PICKGUN_FW_URL",
              help="Where the gun downloads firmware releases: the web "
              "server as the gun reaches it, https://HOST[:PORT] (a reverse "
              "proxy using the broker's certificate, which guns trust; "
              "docs/firmware.md).  Without it the gun is not updated over "
              "the air.")
@click.option("--port", "serial_port", default=None,
              help="Serial port of a plugged-in gun: copy the config to it "
              "with mpremote and restart it (sim:FOLDER: a simulated gun's "
              "folder).")
def provision_command(device_id, db_path, out_path, name, broker_host,
                      broker_port, tls, ca_path, ssid, wifi_password, board,
                      fw_url, serial_port):
    """Give a gun (DEVICE_ID, like G03) a new broker password and write its
    config.json.  A running `pickgun up` lets it log in within seconds."""
    path = db_path or dbm.default_database()
    ca_path = ca_path or instance_ca(path)
    if tls and not ca_path:
        raise click.UsageError("--tls needs --ca: no broker CA found beside "
                               "%s" % path)
    ca = read_ca(ca_path) if ca_path and tls is not False else None
    dbm.prepare_database(path)
    db = dbm.connect(path)
    try:
        password = provision_device(db, device_id, name=name, board=board)
    except ProvisionError as e:
        raise click.BadParameter(str(e), param_hint="DEVICE_ID") from e
    finally:
        db.conn.close()
    broker_host = broker_host or lan_address()
    broker_port = broker_port or instance_broker_port(path, ca is not None)
    try:
        ota_key = releases.public_key(releases.folder(path))
    except releases.ReleaseError as e:
        raise click.ClickException(str(e)) from e
    config = gun_config(device_id, password, broker_host,
                        broker_port, ssid=ssid, wifi_password=wifi_password,
                        board=board, ca=ca,
                        ntp_port=instance_ntp_port(path), ota_key=ota_key,
                        fw_url=fw_url)
    if ca and not cert_names(ca_path, broker_host):
        click.echo("warning: the broker's certificate does not name %s; "
                   "the gun will refuse it (pickgun up --tls-name %s)"
                   % (broker_host, broker_host), err=True)
    out_path = out_path or "config-%s.json" % device_id
    write_config(out_path, config)
    click.echo(out_path)
    if not ssid:
        click.echo("warning: no --ssid given; the gun will not join WiFi",
                   err=True)
    if serial_port:
        copy_to_gun(serial_port, out_path)
