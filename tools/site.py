"""`pickgun site`: a warehouse site with a broker of its own, bridged to
the central broker where the worker runs (docs/scale.md, Sites).

`pickgun site add NAME` runs on the server, beside the database and the
central broker's CA.  It makes INSTANCE/sites/NAME/, everything the site's
Mosquitto needs:

- site.json (owner-only: it holds secrets): the central broker's address,
  the addresses guns dial at the site, the ports, the bridge's password
  and its hash, a local administrator's password, and the hashes of the
  guns' passwords (a copy of the devices table's, which the site broker
  writes to its password file: the guns log in there as they would
  centrally, under the same ACL);
- tls/: Pickgun's CA certificate (no key) and the site broker's own
  certificate, signed by that CA, so guns trust the site broker as they
  trust the central one, and the bridge checks the central broker's;
- mosquitto.conf, passwd, acl, written by server.gunlink.broker.Broker
  with a `bridge` section.

The central broker learns the bridge's user from site.json: a running
`pickgun up` reads INSTANCE/sites/*/site.json every few seconds and lets
the bridge in under an ACL of exactly the topics it carries.

On the site's machine, `pickgun site run --dir FOLDER` runs the broker
(rewriting its configuration for the folder it is in, and re-reading
site.json every few seconds, so a new copy of it takes effect), or
`mosquitto -c FOLDER/mosquitto.conf` where the folder keeps its path.
A gun provisioned or provisioned again later reaches the site broker
after `pickgun site guns NAME` on the server and a copy of site.json to
the site."""
import json
import os
import re
import secrets
import signal
import time
from pathlib import Path

import click

from server.core import db as dbm
from server.fleet.credentials import password_hash
from server.fleet.provisioning import device_hashes
from server.gunlink import bridge as bridges
from server.gunlink.broker import Broker, BrokerError
from server.gunlink.tls import Authority, TLSError
from tools.provision import cert_names, instance_broker_port

SITE_FILE = "site.json"
SITE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
ADMIN_USER = "pickgun-site-admin"     # the site broker's local user
TLS_PORT = 8883
PLAIN_PORT = 1883                     # on 127.0.0.1, the administrator's
RELOAD_SECONDS = 3


class SiteError(RuntimeError):
    pass


def sites_folder(instance):
    return Path(instance) / "sites"


def site_folder(instance, name):
    return sites_folder(instance) / name


def load_site(folder):
    try:
        with open(Path(folder) / SITE_FILE) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise SiteError("no site in %s: %s" % (folder, e)) from e


def _save(folder, site):
    path = Path(folder) / SITE_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(site, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def add_site(instance, name, central_host, central_port, names,
             host="0.0.0.0", tls_port=TLS_PORT, port=PLAIN_PORT,
             db_path=None):
    """Make the site's folder (see the module's docstring); returns it."""
    if not SITE_NAME.match(name):
        raise SiteError("a site's name is 1-32 characters of a-z 0-9 -, "
                        "starting with a letter: %r" % name)
    if not names:
        raise SiteError("name at least one address guns dial at the site")
    folder = site_folder(instance, name)
    if (folder / SITE_FILE).exists():
        raise SiteError("site %s exists (%s)" % (name, folder))
    folder.mkdir(parents=True, exist_ok=True)    # a failed add may be redone
    os.chmod(folder, 0o755)
    central = Authority(Path(instance) / "broker" / "tls")
    cert_for = list(dict.fromkeys([*names, "127.0.0.1", "localhost"]))
    central.issue_into(folder / "tls", cert_for)
    password = secrets.token_urlsafe(24)
    site = {"name": name, "central_host": central_host,
            "central_port": int(central_port), "names": list(names),
            "host": host, "tls_port": int(tls_port), "port": int(port),
            "bridge_password": password,
            "bridge_hash": password_hash(password),
            "admin_password": secrets.token_urlsafe(18), "guns": {}}
    _save(folder, site)
    refresh_guns(folder, db_path or Path(instance) / "pickgun.db")
    return folder


def refresh_guns(folder, db_path):
    """Copy the guns' password hashes from the database into site.json
    and the site's password file; returns their number."""
    db = dbm.connect(str(db_path))
    try:
        hashes = device_hashes(db)
    finally:
        db.conn.close()
    site = load_site(folder)
    site["guns"] = hashes
    _save(folder, site)
    site_broker(folder).write_config()
    return len(hashes)


def site_broker(folder, restart_timeout=None, keepalive=None,
                central_port=None):
    """The site's Broker, from its folder (paths as the folder is now).
    The tests shorten the bridge's timings and send it through a proxy."""
    folder = Path(folder).resolve()
    site = load_site(folder)
    extra = {k: v for k, v in (("restart_timeout", restart_timeout),
                               ("keepalive", keepalive)) if v is not None}
    link = bridges.Bridge(
        site=site["name"], host=site["central_host"],
        port=central_port or site["central_port"],
        password=site["bridge_password"],
        cafile=str(folder / "tls" / "ca.pem"), **extra)
    return Broker(folder, port=site["port"], host=site["host"],
                  device_hashes=site["guns"], worker_user=ADMIN_USER,
                  worker_password=site["admin_password"], tls=True,
                  tls_port=site["tls_port"], tls_names=site["names"],
                  bridge=link)


def bridge_users(instance):
    """{bridge user: password hash} of every site of this instance, for
    the central broker (Broker(bridge_users=...))."""
    users = {}
    folder = sites_folder(instance)
    for path in sorted(folder.glob("*/" + SITE_FILE)) \
            if folder.is_dir() else ():
        try:
            site = load_site(path.parent)
            users[bridges.bridge_user(site["name"])] = site["bridge_hash"]
        except (SiteError, KeyError, TypeError):
            continue                     # half-written or foreign: skip
    return users


# ------------------------------------------------------------------ click
@click.group("site")
def site_group():
    """Sites: a broker per warehouse, bridged to the central one."""


INSTANCE = click.option("--instance", default="instance", show_default=True,
                        type=click.Path(file_okay=False),
                        help="The server's data folder.")


@site_group.command("add")
@click.argument("name")
@click.option("--central-host", required=True,
              help="The central broker's address as the site reaches it "
              "(its certificate must name it: pickgun up --tls-name).")
@click.option("--central-port", type=int, default=None,
              help="The central broker's TLS port [default: the one "
              "`pickgun up` uses beside --instance, else 8883].")
@click.option("--name", "names", multiple=True, required=True,
              help="An address guns dial at the site, for the site "
              "broker's certificate (repeatable; provision the site's "
              "guns with --broker-host one of them).")
@click.option("--host", default="0.0.0.0", show_default=True,
              help="Address the site broker listens on for guns.")
@click.option("--tls-port", default=TLS_PORT, show_default=True, type=int)
@click.option("--port", default=PLAIN_PORT, show_default=True, type=int,
              help="The site broker's plain port, on 127.0.0.1 (the local "
              "administrator's).")
@INSTANCE
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              default=None, help="SQLite file [default: INSTANCE/"
              "pickgun.db].")
def add_command(name, central_host, central_port, names, host, tls_port,
                port, instance, db_path):
    """Make site NAME's broker folder, its certificate and its bridge's
    credentials on the central broker."""
    db_path = db_path or str(Path(instance) / "pickgun.db")
    central_port = central_port or instance_broker_port(db_path, True) \
        or TLS_PORT
    ca = Path(instance) / "broker" / "tls" / "ca.pem"
    if ca.exists() and not cert_names(str(ca), central_host):
        click.echo("warning: the central broker's certificate does not "
                   "name %s; the bridge will refuse it (pickgun up "
                   "--tls-name %s)" % (central_host, central_host), err=True)
    try:
        folder = add_site(instance, name, central_host, central_port, names,
                          host, tls_port, port, db_path)
    except (SiteError, TLSError) as e:
        raise click.ClickException(str(e)) from e
    click.echo(folder)
    click.echo("Copy this folder to the site's machine and run `pickgun "
               "site run --dir FOLDER` there.  A running `pickgun up` lets "
               "the bridge in within seconds.")


@site_group.command("guns")
@click.argument("name")
@INSTANCE
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              default=None)
def guns_command(name, instance, db_path):
    """Copy the guns' credentials into site NAME's folder again (after
    `pickgun provision`); then copy its site.json to the site."""
    try:
        count = refresh_guns(site_folder(instance, name),
                             db_path or Path(instance) / "pickgun.db")
    except SiteError as e:
        raise click.ClickException(str(e)) from e
    click.echo("%d guns; copy %s to the site." % (
        count, site_folder(instance, name) / SITE_FILE))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@site_group.command("run")
@click.argument("name", required=False)
@click.option("--dir", "folder", type=click.Path(file_okay=False,
                                                 exists=True),
              help="The site's folder (as copied to this machine).")
@INSTANCE
def run_command(name, folder, instance):
    """Run a site's broker until Ctrl-C (NAME in INSTANCE/sites, or
    --dir)."""
    if not (name or folder):
        raise click.UsageError("give NAME or --dir")
    folder = Path(folder or site_folder(instance, name))
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    broker = None
    try:
        site = load_site(folder)
        broker = site_broker(folder).start()
        click.echo("Site broker: guns on TLS port %d, bridged to %s:%d; "
                   "log %s" % (broker.tls_port, site["central_host"],
                               site["central_port"], broker.log))
        while True:
            time.sleep(RELOAD_SECONDS)
            guns = load_site(folder)["guns"]
            if guns != broker.hashes:
                broker.hashes = dict(guns)
                broker.reload()
                click.echo("Gun credentials reloaded (%d guns)." % len(guns))
    except KeyboardInterrupt:
        pass
    except (SiteError, BrokerError, TLSError) as e:
        raise click.ClickException(str(e)) from e
    finally:
        if broker is not None:
            broker.stop()
