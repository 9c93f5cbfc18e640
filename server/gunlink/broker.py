"""A Mosquitto broker configured by Pickgun, run as a child process.

Pickgun writes the whole configuration: no anonymous access, one user per
gun (password stored only as a Mosquitto PBKDF2 hash; the clear text lives
on the gun), an ACL under which a gun may publish only as itself, and a
persistent store so queued QoS 1 messages and retained snapshots survive a
broker restart.  With tls=True guns connect over TLS
(server/gunlink/tls.py makes the certificates) and the plain listener is
bound to 127.0.0.1 for the worker alone.  `pickgun up` and the tests
both use this class; a site broker (tools/site.py) too, with a `bridge`
to the central one, which lets it in as one of its `bridge_users`.
CONF's limits are for hundreds of guns on TLS (docs/scale.md).  (Over 350
lines: the broker's whole configuration, ACL and process in one place.)"""
import logging
import os
import pwd
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from server.gunlink import bridge as bridges
from server.gunlink.tls import Authority
from server.fleet.credentials import password_hash

log = logging.getLogger(__name__)

WORKER_USER = "pickgun-worker"
# Seconds between two saves of the broker's in-memory state (retained
# messages, queues) to its persistent store: a crash loses what came since.
AUTOSAVE_SECONDS = 10

ACL = """\
# Written by Pickgun.  The worker reads and writes everything under pickgun/.
user {worker}
topic readwrite pickgun/#

# A gun (user name = device id) publishes its own events, status and
# gets only, reads its own acks, hold list and answers, the retained
# order snapshots (every one: guns before hold lists subscribe to them
# all), the retained firmware roll-out, roster and lots message.
pattern write pickgun/dev/%u/evt
pattern write pickgun/dev/%u/status
pattern write pickgun/dev/%u/get
pattern read pickgun/dev/%u/ack
pattern read pickgun/dev/%u/order
pattern read pickgun/dev/%u/hold
pattern read pickgun/order/+
pattern read pickgun/fw
pattern read pickgun/roster
pattern read pickgun/lots
"""

CONF = """\
# Written by Pickgun: regenerated on every start, edit broker.py instead.
# The listener comes first: listener options written before any
# "listener" line would open a default listener on port 1883.
listener {port} {host}
per_listener_settings false
allow_anonymous false
password_file {passwd}
acl_file {acl}
# A gun cannot knock another off by reusing its client id (a per-listener
# option: TLS_LISTENER repeats it).
use_username_as_clientid true
persistence true
persistence_location {store}/
autosave_interval {autosave}
# Hundreds of guns (docs/scale.md, Broker settings): a per-listener
# option (TLS_LISTENER repeats it); one file descriptor per connection
# (Broker.start raises the process's limit).
max_connections {max_connections}
# Per persistent session (a gun's, the worker's, a bridge's): a gun away
# for a shift misses a few hundred messages.  A full queue loses nothing
# for good: guns resend unacked events; a (re)subscription brings the
# retained snapshots and hold list again.
max_queued_messages {max_queued}
max_queued_bytes {max_queued_bytes}
max_inflight_messages 32
# The broker's heap, at most: past it a message is dropped, not swapped.
memory_limit {memory_limit}
# A retired gun's session (and its queue) is forgotten after this long.
persistent_client_expiration {expiration}
# A gun's keep-alive is 30 s; a client asking more is told this.
max_keepalive 300
# Acks and PUBACKs leave at once rather than wait for Nagle's timer.
set_tcp_nodelay true
log_dest file {log}
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
{user_line}
{tls_listener}{bridge}"""

# Last in the file: listener options apply to the listener line above them.
TLS_LISTENER = """\
# Guns: TLS with Pickgun's own CA; they authenticate by password, not by
# client certificate.
listener {port} {host}
use_username_as_clientid true
max_connections {max_connections}
cafile {ca}
certfile {cert}
keyfile {key}
require_certificate false
tls_version tlsv1.2
"""


# The settings above (docs/scale.md, Broker settings).
MAX_CONNECTIONS = 2000
MAX_QUEUED = 2000
MAX_QUEUED_BYTES = 8 * 1024 * 1024
MEMORY_LIMIT = 1024 * 1024 * 1024
SESSION_EXPIRATION = "14d"
# Descriptors beyond the connections: listeners, log, persistence, bridge.
SPARE_FDS = 64


def open_files_limit(want=MAX_CONNECTIONS + SPARE_FDS):
    """The RLIMIT_NOFILE (soft, hard) the broker should run with: the soft
    limit raised to `want`, or as far as the hard limit lets it (raising
    the hard limit is root's, or systemd's LimitNOFILE=)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < want:
        soft = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        log.warning("open files limited to %d: the broker takes fewer "
                    "than %d connections (raise the hard limit: "
                    "LimitNOFILE=, docs/scale.md)", soft, MAX_CONNECTIONS)
    return soft, hard


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def mosquitto_binary():
    found = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not os.path.exists(found):
        raise RuntimeError(
            "mosquitto is not installed: run tools/bootstrap.sh")
    return found


def lan_address():
    """This machine's address on its default route (connecting a UDP socket
    sends nothing, it only picks the route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))          # TEST-NET-1, never routed
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def _dial(host):
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


class BrokerError(RuntimeError):
    pass


class Broker:
    def __init__(self, workdir, port=None, host="127.0.0.1", devices=None,
                 worker_password=None, worker_user=WORKER_USER,
                 device_hashes=None, tls=False, tls_port=None, tls_names=(),
                 bridge=None, bridge_users=None, max_queued=MAX_QUEUED):
        """devices: {device_id: clear password}; device_hashes: {device_id:
        password_hash(...)} as kept in the devices table.  With tls, guns
        use tls_port on `host`, whose certificate names 127.0.0.1,
        localhost, host (or this machine's names for 0.0.0.0) and
        tls_names; `port` is then on 127.0.0.1 only.  bridge: a
        bridge.Bridge to the central broker (a site broker);
        bridge_users: {user: password_hash(...)} of the sites' bridges
        (the central broker)."""
        self.dir = Path(workdir)
        self.host = host
        self.tls = bool(tls)
        self.plain_host = "127.0.0.1" if self.tls else host
        self.port = port or free_port(self._bind(self.plain_host))
        self.tls_port = (tls_port or free_port(self._bind(host))) \
            if self.tls else None
        self.tls_names = list(tls_names)
        self.authority = Authority(self.dir / "tls")
        self.worker_user = worker_user
        self.worker_password = worker_password or secrets.token_urlsafe(18)
        self.hashes = dict(device_hashes or {})
        self.bridge = bridge
        self.bridge_users = dict(bridge_users or {})
        self.max_queued = max_queued
        for device_id, password in (devices or {}).items():
            self.hashes[device_id] = password_hash(password)
        self.proc = None
        self.conf = self.dir / "mosquitto.conf"
        self.passwd = self.dir / "passwd"
        self.acl = self.dir / "acl"
        self.store = self.dir / "store"
        self.log = self.dir / "mosquitto.log"

    # -------------------------------------------------------------- config
    def add_device(self, device_id, password=None, hashed=None):
        self.hashes[device_id] = hashed or password_hash(password)
        self.reload()

    def set_bridge_users(self, users):
        """The sites' bridge users {user: hash}, as a running broker's
        users too."""
        self.bridge_users = dict(users)
        self.reload()

    def reload(self):
        if self.proc is not None:
            self.write_config()
            self.proc.send_signal(signal.SIGHUP)   # reload users and ACL

    def write_config(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        self.store.mkdir(exist_ok=True)
        users = {self.worker_user: password_hash(self.worker_password),
                 **self.bridge_users, **self.hashes}
        lines = ["%s:%s\n" % (u, h) for u, h in users.items()]
        self._write(self.passwd, "".join(lines), 0o600)
        acl = ACL.format(worker=self.worker_user) + "".join(
            bridges.acl_block(u) for u in sorted(self.bridge_users))
        self._write(self.acl, acl, 0o644)
        # Mosquitto started as root drops to the 'mosquitto' user unless told
        # to stay: keep it as whoever runs Pickgun, so it can use our files.
        user_line = "user %s" % pwd.getpwuid(os.geteuid()).pw_name
        tls_listener = ""
        if self.tls:
            a = self.authority
            a.ensure(self.cert_names())
            tls_listener = TLS_LISTENER.format(
                port=self.tls_port, host=self.host, ca=a.ca_pem, cert=a.cert,
                key=a.key, max_connections=MAX_CONNECTIONS)
        self._write(self.conf, CONF.format(
            passwd=self.passwd, acl=self.acl, port=self.port,
            host=self.plain_host, store=self.store, log=self.log,
            user_line=user_line, tls_listener=tls_listener,
            autosave=AUTOSAVE_SECONDS, max_connections=MAX_CONNECTIONS,
            max_queued=self.max_queued, max_queued_bytes=MAX_QUEUED_BYTES,
            memory_limit=MEMORY_LIMIT, expiration=SESSION_EXPIRATION,
            bridge=self.bridge.section() if self.bridge else ""), 0o644)

    def cert_names(self):
        extra = [self.host] if self.host not in ("0.0.0.0", "") else \
            [socket.gethostname(), lan_address()]
        names = ["127.0.0.1", "localhost"]
        for n in extra + self.tls_names:
            if n and n not in names:
                names.append(n)
        return names

    @property
    def ca_pem_path(self):
        return self.authority.ca_pem if self.tls else None

    @property
    def ca_der_path(self):
        return self.authority.ca_der if self.tls else None

    @staticmethod
    def _write(path, text, mode):
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)

    # ------------------------------------------------------------- process
    def start(self, timeout=10):
        if self.proc is not None:
            return self
        self.write_config()
        # A process group of its own: Ctrl-C in a terminal reaches the
        # processes that use the broker, which stop first, and not the
        # broker, which its owner stops last (Broker.stop).
        nofile = open_files_limit()
        self.proc = subprocess.Popen(
            [mosquitto_binary(), "-c", str(self.conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            process_group=0,
            # One descriptor per connection: the child's soft limit goes
            # up (a plain system call: safe between fork and exec).
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE,
                                                  nofile))
        assert self.proc.stderr is not None      # stderr=PIPE
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                self.proc = None
                raise BrokerError("mosquitto exited: %s %s"
                                  % (err, self.tail()))
            try:
                for host, port in ((self.plain_host, self.port),
                                   (self.host, self.tls_port)):
                    if port:
                        socket.create_connection((_dial(host), port),
                                                 timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise BrokerError("mosquitto did not start listening on %d"
                          % self.port)

    def stop(self, timeout=10):
        """Graceful stop: Mosquitto saves its persistent store on SIGTERM."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()

    def restart(self):
        self.stop()
        return self.start()

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @staticmethod
    def _bind(host):
        return "" if host == "0.0.0.0" else host

    def tail(self, lines=20):
        try:
            return "\n".join(self.log.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
