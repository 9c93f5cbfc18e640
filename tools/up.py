"""`pickgun up`: the whole product on one machine.

Runs a Pickgun-configured Mosquitto, the MQTT worker and the web server, each
as its own child process, and with --demo two simulated scanner guns running
the real firmware under MicroPython.  Everything lives in one instance folder
(SQLite file, broker config, store and CA, gun flash images), so a second
`up` carries on where the first stopped.

Guns talk TLS to the broker (the demo guns too); the plain port is bound to
127.0.0.1 for the worker on this machine.  --no-tls puts everything on the
plain port, on --mqtt-host.  The ports, once used, are kept
(tools/ports.py).

Beside the broker, on --mqtt-host, a small SNTP server (UDP, port 123 by
default: server/gunlink/sntp.py) gives the guns the time, which a gun
needs before its first TLS handshake; it is optional: if the port cannot
be had, the guns need another NTP server (config.json "ntp")."""
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from server.core import db as dbmod
from server.fleet.provisioning import device_hashes, provision_device
from server.gunlink.broker import Broker, BrokerError
from server.gunlink.sntp import DEFAULT_PORT as NTP_PORT, SNTPServer
from server.orders.picking import picking_list
from server.demo_data import DEMO_PASSWORD, STAFF
from server.seed import seed_demo
from shared import wire
from tools import ports
from tools.provision import tls_config
from tools.site import bridge_users
from tools.simulate import (GunTimeout, SimulatedGun, apply_console_line,
                            draw)

DEMO_GUNS = ("G01", "G02")
DEMO_CAMERA_GUN = "G03"     # --camera-gun: a third, reading with a camera


class StartError(RuntimeError):
    """A part of the stack did not start."""


def log_tail(path, lines=15):
    try:
        return "\n".join(Path(path).read_text(errors="replace")
                         .splitlines()[-lines:])
    except OSError:
        return ""


def wait_for_port(port, proc, what, log_path, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StartError("%s exited with code %s; the end of %s:\n%s"
                             % (what, proc.returncode, log_path,
                                log_tail(log_path)))
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise StartError("%s did not start on port %d; the end of %s:\n%s"
                     % (what, port, log_path, log_tail(log_path)))


class Stack:
    """Broker + worker + web (+ demo guns), started and stopped together."""

    def __init__(self, instance, web_port=None, mqtt_port=None,
                 mqtt_host="127.0.0.1", demo=False, guns=DEMO_GUNS,
                 gun_config=None, log=print, tls=True, tls_port=None,
                 tls_names=(), trusted_proxy=None, ntp=True, ntp_port=None,
                 camera_guns=()):
        """Ports left None are those recorded in the instance folder, else
        the defaults (tools/ports.py); ntp_port 0 takes a free one.
        camera_guns: demo guns that read codes with a camera (config.json
        "camera", trigger held), started after `guns`."""
        self.instance = Path(instance).resolve()
        self.db_path = self.instance / "pickgun.db"
        self.web_port = web_port
        self.mqtt_port = mqtt_port
        self.mqtt_host = mqtt_host
        self.tls = tls
        self.tls_port = tls_port if tls else None
        self.tls_names = tls_names
        self.trusted_proxy = trusted_proxy
        self.ntp = ntp
        self.ntp_port = ntp_port
        self.sntp = None
        self.demo = demo
        self.camera_ids = tuple(camera_guns) if demo else ()
        self.gun_ids = tuple(guns) + self.camera_ids if demo else ()
        self.gun_config = gun_config or {}
        self.log = log
        self.broker = None
        self.worker = None
        self.web = None
        self.guns = {}

    # ---------------------------------------------------------- set-up
    def prepare(self):
        self.instance.mkdir(parents=True, exist_ok=True)
        db = dbmod.connect(str(self.db_path))
        try:
            dbmod.migrate(db)
            if self.demo:
                if not db["orders"].count:
                    seed_demo(db)
                    self.log("Seeded demo data.")
                for gun_id in self.gun_ids:
                    self._gun_password(db, gun_id)
            hashes = device_hashes(db)
        finally:
            db.conn.close()
        return hashes

    def _gun_password(self, db, gun_id):
        """Demo guns keep their clear password beside their flash image, the
        way a real gun keeps it in config.json."""
        path = self.instance / "guns" / gun_id / "password"
        if path.exists() and gun_id in device_hashes(db):
            return path.read_text().strip()
        password = provision_device(db, gun_id, name="Demo gun " + gun_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(password)
        os.chmod(path, 0o600)
        return password

    def _worker_password(self):
        path = self.instance / "secrets" / "worker-password"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(24))
            os.chmod(path, 0o600)
        return path

    # ---------------------------------------------------------- start/stop
    def start(self):
        """Start everything; if any part fails, stop what did start."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def choose_ports(self):
        """Given, recorded or default ports; a held one stops the start."""
        given = {"web": self.web_port, "mqtt": self.mqtt_port}
        hosts = {"web": "127.0.0.1",
                 "mqtt": "127.0.0.1" if self.tls else self.mqtt_host}
        if self.tls:
            given["mqtt_tls"], hosts["mqtt_tls"] = self.tls_port, \
                self.mqtt_host
        chosen = ports.choose(self.instance, given, hosts,
                              gun_role="mqtt_tls" if self.tls else "mqtt",
                              log=self.log)
        self.web_port, self.mqtt_port = chosen["web"], chosen["mqtt"]
        self.tls_port = chosen.get("mqtt_tls")

    def _start(self):
        self.choose_ports()
        hashes = self.prepare()
        pw_file = self._worker_password()
        self.broker = Broker(self.instance / "broker", port=self.mqtt_port,
                             host=self.mqtt_host, device_hashes=hashes,
                             worker_password=pw_file.read_text().strip(),
                             tls=self.tls, tls_port=self.tls_port,
                             tls_names=self.tls_names,
                             bridge_users=bridge_users(self.instance))
        self.broker.start()
        self.mqtt_port = self.broker.port
        self.tls_port = self.broker.tls_port
        if self.ntp:
            self._start_sntp()
        self.worker = self._spawn([
            "worker", "--db", str(self.db_path),
            "--broker-host", "127.0.0.1", "--broker-port", str(self.mqtt_port),
            "--user", self.broker.worker_user,
            "--password-file", str(pw_file)], "worker.log")
        web_args = ["web", "--db", str(self.db_path),
                    "--port", str(self.web_port)]
        if self.gun_ids:
            web_args += ["--gun-screens", str(self.instance / "guns")]
        if self.trusted_proxy:
            web_args += ["--trusted-proxy", self.trusted_proxy]
        self.web = self._spawn(web_args, "web.log")
        wait_for_port(self.web_port, self.web, "The web server",
                      self.instance / "web.log")
        for gun_id in self.gun_ids:
            self.start_gun(gun_id)
        return self

    def _start_sntp(self):
        """The guns' time server, on the address guns reach the broker at.
        Optional: a port that cannot be had is said, and the stack runs
        on; demo guns then get a free port of their own.  A port other
        than 123 is recorded, for `pickgun provision` to put in configs."""
        port = self.ntp_port
        if port is None:
            port = ports.recorded(self.instance).get("ntp", NTP_PORT)
        try:
            self.sntp = SNTPServer(self.mqtt_host, port).start()
        except OSError as e:
            self.log("SNTP port %d (UDP) on %s: %s; guns need another time "
                     "server (config.json \"ntp\")." % (
                         port, self.mqtt_host, e.strerror or e))
            if not self.gun_ids:
                return
            self.sntp = SNTPServer(self.mqtt_host, 0).start()
            self.log("The demo guns' SNTP server is on port %d."
                     % self.sntp.port)
        if self.sntp.port != ports.recorded(self.instance).get(
                "ntp", NTP_PORT):
            ports.record(self.instance, {"ntp": self.sntp.port})

    def _running_broker(self):
        if self.broker is None:
            raise StartError("the stack is not started")
        return self.broker

    def sync_devices(self):
        """Let guns provisioned while the stack runs (`pickgun provision`)
        connect: hand their password hashes to the broker, which reloads."""
        broker = self._running_broker()
        db = dbmod.connect(str(self.db_path))
        try:
            hashes = device_hashes(db)
        finally:
            db.conn.close()
        changed = {device_id: hashed
                   for device_id, hashed in hashes.items()
                   if broker.hashes.get(device_id) != hashed}
        for device_id, hashed in changed.items():
            broker.add_device(device_id, hashed=hashed)
            self.log("Gun %s may now connect." % device_id)
        sites = bridge_users(self.instance)       # `pickgun site add`
        if sites != broker.bridge_users:
            broker.set_bridge_users(sites)
            self.log("Site bridges allowed: %s" % (", ".join(sites) or
                                                   "none"))
        return changed

    def start_gun(self, gun_id, camera=None):
        password = (self.instance / "guns" / gun_id / "password") \
            .read_text().strip()
        extra = dict(self.gun_config)
        if self.tls:
            extra = dict(tls_config(self._running_broker().ca_der_path,
                                    self.tls_port), **extra)
        if self.sntp is not None and self.sntp.port != NTP_PORT:
            extra.setdefault("ntp_port", self.sntp.port)
        if camera is None and gun_id in self.camera_ids:
            camera = {}
        try:
            gun = SimulatedGun(self.instance / "guns" / gun_id, gun_id,
                               password, "127.0.0.1",
                               self.tls_port or self.mqtt_port,
                               extra_config=extra, camera=camera)
        except (OSError, RuntimeError, GunTimeout) as e:
            raise StartError("Simulated gun %s did not start: %s"
                             % (gun_id, e)) from e
        self.guns[gun_id] = gun
        return gun

    def _spawn(self, args, log_name):
        log = open(self.instance / log_name, "ab")
        return subprocess.Popen(
            [sys.executable, "-m", "tools.cli"] + args,
            stdout=log, stderr=subprocess.STDOUT,
            cwd=str(Path(__file__).resolve().parent.parent))

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self.web_port

    def stop(self):
        for gun in self.guns.values():
            gun.stop()
        self.guns = {}
        for proc in (self.web, self.worker):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (self.web, self.worker):
            if proc is not None:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.web = self.worker = None
        if self.sntp is not None:
            self.sntp.stop()
            self.sntp = None
        if self.broker is not None:
            self.broker.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def print_picking_list(stack):
    """The codes a person needs to drive the demo guns from the keyboard."""
    db = dbmod.connect(str(stack.db_path))
    try:
        for entry in picking_list(db):
            order = entry["order"]
            click.echo("Order %d (%s): %s" % (
                order["id"], order["client_name"],
                wire.order_code(order["id"])))
            for line in entry["lines"]:
                for bottle in line["suggested"]:
                    click.echo("    %s" % wire.bottle_code(
                        bottle["serial"], line["sku"], bottle["lot_id"]))
    finally:
        db.conn.close()


CONSOLE_HELP = ("Type '<gun> <scanned code>' or '<gun> :ok|:back|:wifi off|"
                ":wifi on|:bat MV|:cut|:on', e.g. 'G01 PGO:1042:V'; 'list' "
                "prints the codes of the picking list; a camera gun takes "
                "'<gun> <image file or folder>' too.  Ctrl-C stops.")


def console(stack):
    """Drive the demo guns from the terminal: `G01 PGO:1042:V`, `G01 :ok`."""
    click.echo(CONSOLE_HELP)
    for line in sys.stdin:
        if line.strip().lower() == "list":
            print_picking_list(stack)
            continue
        parts = line.strip().split(None, 1)
        if len(parts) != 2 or parts[0].upper() not in stack.guns:
            click.echo(CONSOLE_HELP + "  Guns: %s" % ", ".join(stack.guns))
            continue
        gun = stack.guns[parts[0].upper()]
        if not apply_console_line(gun, parts[1]):
            click.echo("Unknown command: %s" % parts[1])
        time.sleep(0.3)
        click.echo(draw(gun))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


RECORDED = " [default: %d, or the port recorded in INSTANCE/ports.json]"
PORT = click.IntRange(1, 65535)


@click.command("up")
@click.option("--demo", is_flag=True,
              help="Seed demo data and start two simulated guns.")
@click.option("--camera-gun", is_flag=True,
              help="With --demo, a third simulated gun, %s, that reads "
              "codes with a camera." % DEMO_CAMERA_GUN)
@click.option("--instance", default="instance", show_default=True,
              type=click.Path(file_okay=False), help="Data folder.")
@click.option("--port", "web_port", type=PORT,
              help="Web port." + RECORDED % ports.DEFAULTS["web"])
@click.option("--mqtt-port", type=PORT,
              help="The broker's plain port." + RECORDED
              % ports.DEFAULTS["mqtt"])
@click.option("--mqtt-host", default="127.0.0.1", show_default=True,
              help="Address the guns' listener is on (0.0.0.0 for real "
              "guns).")
@click.option("--tls-port", type=PORT,
              help="Guns' TLS port (the plain port is then on 127.0.0.1)."
              + RECORDED % ports.DEFAULTS["mqtt_tls"])
@click.option("--tls/--no-tls", default=True, show_default=True,
              help="Guns connect over TLS.")
@click.option("--tls-name", "tls_names", multiple=True,
              help="Another name or address guns use for the broker, for "
              "its certificate (repeatable).")
@click.option("--trusted-proxy", metavar="ADDRESS",
              help="The reverse proxy in front of the web pages (see "
              "`pickgun web --help`).")
@click.option("--ntp/--no-ntp", default=True, show_default=True,
              help="Answer the guns' SNTP requests for the time (UDP, on "
              "--mqtt-host).")
@click.option("--ntp-port", type=click.IntRange(0, 65535),
              help="The SNTP port [default: 123, or the one recorded in "
              "INSTANCE/ports.json]; 0: a free one.")
def up_command(demo, camera_gun, instance, web_port, mqtt_port, mqtt_host,
               tls_port, tls, tls_names, trusted_proxy, ntp, ntp_port):
    """Run the web server, MQTT worker and broker until Ctrl-C.

    A port, once used, is kept for every later start (guns know it): one
    that another program holds stops the start with an error saying which
    program; only a default port that is held is replaced, once, by a free
    one."""
    stack = Stack(instance, web_port=web_port, mqtt_port=mqtt_port,
                  mqtt_host=mqtt_host, demo=demo, log=click.echo, tls=tls,
                  tls_port=tls_port, tls_names=tls_names,
                  trusted_proxy=trusted_proxy, ntp=ntp, ntp_port=ntp_port,
                  camera_guns=(DEMO_CAMERA_GUN,) if camera_gun else ())
    # Closing the terminal (SIGHUP) or a service manager's SIGTERM stops
    # everything as Ctrl-C does.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        stack.start()
        _announce(stack, demo)
        if demo and sys.stdin.isatty():
            threading.Thread(target=console, args=(stack,),
                             daemon=True).start()
        while True:
            time.sleep(2)
            stack.sync_devices()
    except KeyboardInterrupt:
        pass
    except (ports.PortError, BrokerError, StartError) as e:
        raise click.ClickException(str(e)) from e
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        if stack.broker is not None:
            click.echo("Stopping...")
        stack.stop()
    click.echo("Stopped.")


def _announce(stack, demo):
    click.echo("Pickgun is running: %s" % stack.url)
    b = stack.broker
    if stack.tls:
        click.echo("MQTT broker: guns over TLS on %s:%d (CA for "
                   "`pickgun provision`: %s); worker on 127.0.0.1:%d"
                   % (stack.mqtt_host, b.tls_port, b.ca_der_path, b.port))
    else:
        click.echo("MQTT broker (no TLS) on %s:%d" % (stack.mqtt_host,
                                                      b.port))
    if stack.sntp is not None:
        click.echo("SNTP (the guns' clock) on %s:%d (UDP)"
                   % (stack.mqtt_host, stack.sntp.port))
    click.echo("Logs in %s" % stack.instance)
    _sign_in_hint(stack, demo)
    for gun_id, gun in stack.guns.items():
        click.echo("Simulated %sgun %s: screen at %s" % (
            "camera " if gun.camera is not None else "", gun_id,
            gun.screen_png))


def _sign_in_hint(stack, demo):
    db = dbmod.connect(str(stack.db_path))
    try:
        staff = db.execute("SELECT count(*) FROM staff").fetchone()[0]
    finally:
        db.conn.close()
    if demo:
        click.echo("Sign in as %s (password %s)" % (
            ", ".join(u for u, _, _ in STAFF), DEMO_PASSWORD))
    elif not staff:
        click.echo("No staff accounts yet: create one with "
                   "`pickgun add-staff NAME --role admin --db %s`"
                   % stack.db_path)
