"""`pickgun up`: the whole product on one machine.

Runs a Pickgun-configured Mosquitto, the MQTT worker and the web server, each
as its own child process, and with --demo two simulated scanner guns running
the real firmware under MicroPython.  Everything lives in one instance folder
(SQLite file, broker config, store and CA, gun flash images), so a second
`up` carries on where the first stopped.

Guns talk TLS to the broker (the demo guns too); the plain port is bound to
127.0.0.1 for the worker on this machine.  --no-tls puts everything on the
plain port, on --mqtt-host."""
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

from server import db as dbmod
from server.broker import Broker, free_port

DEMO_GUNS = ("G01", "G02")


def port_free(port, host="127.0.0.1"):
    with socket.socket() as s:
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def wait_for_port(port, proc, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise click.ClickException("%s exited with code %s"
                                       % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise click.ClickException("%s did not start on port %d" % (what, port))


class Stack:
    """Broker + worker + web (+ demo guns), started and stopped together."""

    def __init__(self, instance, web_port=5000, mqtt_port=1883,
                 mqtt_host="127.0.0.1", demo=False, guns=DEMO_GUNS,
                 gun_config=None, log=print, tls=True, tls_port=8883,
                 tls_names=()):
        self.instance = Path(instance).resolve()
        self.db_path = self.instance / "pickgun.db"
        self.web_port = web_port
        self.mqtt_port = mqtt_port
        self.mqtt_host = mqtt_host
        self.tls = tls
        self.tls_port = tls_port if tls else None
        self.tls_names = tls_names
        self.demo = demo
        self.gun_ids = guns if demo else ()
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
                from server.seed import seed_demo
                if not db["orders"].count:
                    seed_demo(db)
                    self.log("Seeded demo data.")
                for gun_id in self.gun_ids:
                    self._gun_password(db, gun_id)
            hashes = {r["id"]: r["password_hash"] for r in db.query(
                "SELECT id, password_hash FROM devices "
                "WHERE password_hash IS NOT NULL")}
        finally:
            db.conn.close()
        return hashes

    def _gun_password(self, db, gun_id):
        """Demo guns keep their clear password beside their flash image, the
        way a real gun keeps it in config.json."""
        from tools.provision import provision_device
        path = self.instance / "guns" / gun_id / "password"
        row = db.execute("SELECT password_hash FROM devices WHERE id = ?",
                         [gun_id]).fetchone()
        if path.exists() and row and row[0]:
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

    def _start(self):
        hashes = self.prepare()
        bind = "" if self.mqtt_host == "0.0.0.0" else self.mqtt_host
        if self.mqtt_port and not port_free(
                self.mqtt_port, "127.0.0.1" if self.tls else bind):
            self.log("MQTT port %d is taken; using a free one."
                     % self.mqtt_port)
            self.mqtt_port = None
        if self.tls_port and not port_free(self.tls_port, bind):
            self.log("MQTT TLS port %d is taken; using a free one."
                     % self.tls_port)
            self.tls_port = None
        pw_file = self._worker_password()
        self.broker = Broker(self.instance / "broker", port=self.mqtt_port,
                             host=self.mqtt_host, device_hashes=hashes,
                             worker_password=pw_file.read_text().strip(),
                             tls=self.tls, tls_port=self.tls_port,
                             tls_names=self.tls_names)
        self.broker.start()
        self.mqtt_port = self.broker.port
        self.tls_port = self.broker.tls_port
        self.worker = self._spawn([
            "worker", "--db", str(self.db_path),
            "--broker-host", "127.0.0.1", "--broker-port", str(self.mqtt_port),
            "--user", self.broker.worker_user,
            "--password-file", str(pw_file)], "worker.log")
        if not port_free(self.web_port):
            self.log("Web port %d is taken; using a free one." % self.web_port)
            self.web_port = free_port()
        web_args = ["web", "--db", str(self.db_path),
                    "--port", str(self.web_port)]
        if self.gun_ids:
            web_args += ["--gun-screens", str(self.instance / "guns")]
        self.web = self._spawn(web_args, "web.log")
        wait_for_port(self.web_port, self.web, "web server")
        for gun_id in self.gun_ids:
            self.start_gun(gun_id)
        return self

    def sync_devices(self):
        """Let guns provisioned while the stack runs (`pickgun provision`)
        connect: hand their password hashes to the broker, which reloads."""
        db = dbmod.connect(str(self.db_path))
        try:
            rows = db.execute("SELECT id, password_hash FROM devices "
                              "WHERE password_hash IS NOT NULL").fetchall()
        finally:
            db.conn.close()
        changed = {r[0]: r[1] for r in rows
                   if self.broker.hashes.get(r[0]) != r[1]}
        for device_id, hashed in changed.items():
            self.broker.add_device(device_id, hashed=hashed)
            self.log("Gun %s may now connect." % device_id)
        return changed

    def start_gun(self, gun_id):
        from tools.provision import tls_config
        from tools.simulate import SimulatedGun
        password = (self.instance / "guns" / gun_id / "password") \
            .read_text().strip()
        extra = dict(self.gun_config)
        if self.tls:
            extra = dict(tls_config(self.broker.ca_der_path, self.tls_port),
                         **extra)
        gun = SimulatedGun(self.instance / "guns" / gun_id, gun_id, password,
                           "127.0.0.1", self.tls_port or self.mqtt_port,
                           extra_config=extra)
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
        if self.broker is not None:
            self.broker.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def print_picking_list(stack):
    """The codes a person needs to drive the demo guns from the keyboard."""
    from server.picking import picking_list
    from shared import wire
    db = dbmod.connect(str(stack.db_path))
    try:
        for entry in picking_list(db):
            order = entry["order"]
            click.echo("Order %d (%s): %s" % (order["id"], order["client_name"],
                                              wire.order_code(order["id"])))
            for line in entry["lines"]:
                for bottle in line["suggested"]:
                    click.echo("    %s" % wire.bottle_code(
                        bottle["serial"], line["sku"], bottle["lot_id"]))
    finally:
        db.conn.close()


CONSOLE_HELP = ("Type '<gun> <scanned code>' or '<gun> :ok|:back|:wifi off|"
                ":wifi on|:cut|:on', e.g. 'G01 PGO:1042:V'; 'list' prints the "
                "codes of the picking list.  Ctrl-C stops.")


def console(stack):
    """Drive the demo guns from the terminal: `G01 PGO:1042:V`, `G01 :ok`."""
    from tools.simulate import apply_console_line, draw
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


@click.command("up")
@click.option("--demo", is_flag=True,
              help="Seed demo data and start two simulated guns.")
@click.option("--instance", default="instance", show_default=True,
              type=click.Path(file_okay=False), help="Data folder.")
@click.option("--port", "web_port", default=5000, show_default=True)
@click.option("--mqtt-port", default=1883, show_default=True)
@click.option("--mqtt-host", default="127.0.0.1", show_default=True,
              help="Address the guns' listener is on (0.0.0.0 for real "
              "guns).")
@click.option("--tls-port", default=8883, show_default=True,
              help="Guns' TLS port (the plain port is then on 127.0.0.1).")
@click.option("--tls/--no-tls", default=True, show_default=True,
              help="Guns connect over TLS.")
@click.option("--tls-name", "tls_names", multiple=True,
              help="Another name or address guns use for the broker, for "
              "its certificate (repeatable).")
def up_command(demo, instance, web_port, mqtt_port, mqtt_host, tls_port, tls,
               tls_names):
    """Run the web server, MQTT worker and broker until Ctrl-C."""
    stack = Stack(instance, web_port=web_port, mqtt_port=mqtt_port,
                  mqtt_host=mqtt_host, demo=demo, log=click.echo, tls=tls,
                  tls_port=tls_port, tls_names=tls_names)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack.start()
        click.echo("Pickgun is running: %s" % stack.url)
        b = stack.broker
        if stack.tls:
            click.echo("MQTT broker: guns over TLS on %s:%d (CA for "
                       "`pickgun provision`: %s); worker on 127.0.0.1:%d"
                       % (mqtt_host, b.tls_port, b.ca_der_path, b.port))
        else:
            click.echo("MQTT broker (no TLS) on %s:%d" % (mqtt_host, b.port))
        click.echo("Logs in %s" % stack.instance)
        _sign_in_hint(stack, demo)
        for gun_id, gun in stack.guns.items():
            click.echo("Simulated gun %s: screen at %s" % (gun_id,
                                                           gun.screen_png))
        if demo and sys.stdin.isatty():
            threading.Thread(target=console, args=(stack,),
                             daemon=True).start()
        while True:
            time.sleep(2)
            stack.sync_devices()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        click.echo("Stopping...")
        stack.stop()


def _sign_in_hint(stack, demo):
    from server.db import connect
    from server.seed import DEMO_PASSWORD, STAFF
    db = connect(stack.db_path)
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


@click.command("web")
@click.option("--db", "db_path", required=True, type=click.Path())
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--gun-screens", type=click.Path(file_okay=False),
              help="Folder of simulated guns, whose screens the fleet page "
                   "then shows.")
def web_command(db_path, host, port, gun_screens):
    """Serve the web pages (used by `pickgun up`)."""
    from werkzeug.serving import run_simple
    from server import create_app
    app = create_app({"DATABASE": os.path.abspath(db_path),
                      "GUN_SCREENS": gun_screens and os.path.abspath(
                          gun_screens)})
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    run_simple(host, port, app, threaded=True, use_reloader=False)
