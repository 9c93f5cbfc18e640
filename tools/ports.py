"""The TCP ports `pickgun up` listens on: chosen once, then kept.

A gun's config.json names the broker's port and people bookmark the web
address, so a port in use never moves silently.  Each port is, in order:
the one given on the command line; the one recorded in the instance folder
(ports.json) by an earlier start; the default.  Only a default that another
program holds is replaced, once, by a free port near it, which is printed
and recorded for every later start.  A given or recorded port that another
program holds stops the start with an error naming that program.

Probes bind with SO_REUSEADDR, as Mosquitto and the web server do, so the
connections a stop leaves in TIME_WAIT do not count as holding a port."""
import errno
import json
import os
import pwd
import socket
from pathlib import Path

from tools.provision import instance_broker_port

RECORD = "ports.json"
# ntp, the guns' SNTP server (UDP), is recorded only when it is not 123
# (tools/up.py chooses it), so `pickgun provision` can tell the guns.
DEFAULTS = {"web": 5000, "mqtt": 1883, "mqtt_tls": 8883, "ntp": 123}
LABELS = {"web": "web", "mqtt": "MQTT", "mqtt_tls": "MQTT TLS",
          "ntp": "SNTP"}
OPTIONS = {"web": "--port", "mqtt": "--mqtt-port", "mqtt_tls": "--tls-port",
           "ntp": "--ntp-port"}
NEAR = 100                    # how far above a held default to look
LISTEN = "0A"                 # TCP_LISTEN in /proc/net/tcp


class PortError(RuntimeError):
    """A port Pickgun must use cannot be listened on."""


# ------------------------------------------------------------------ probing
def _family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _bind_host(host):
    return "" if host == "0.0.0.0" else host


def can_listen(port, host="127.0.0.1"):
    """True if a listener could bind host:port now; False if another socket
    holds it.  Any other failure (an address this machine does not have)
    raises PortError."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((_bind_host(host), port))
            return True
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return False
            raise PortError("Cannot listen on %s:%d: %s"
                            % (host, port, e.strerror)) from e


def _listening_sockets(port):
    """[(inode, uid)] of the sockets listening on TCP `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == LISTEN \
                    and int(cols[1].rsplit(":", 1)[1], 16) == port:
                found.append((int(cols[9]), int(cols[7])))
    return found


def _socket_owner(inode):
    """The pid of a process with socket `inode` open, among those this user
    may look into; None if none is visible."""
    link = "socket:[%d]" % inode
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fd_dir = "/proc/%s/fd" % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(os.path.join(fd_dir, fd)) == link:
                    return int(pid)
            except OSError:
                continue
    return None


def _command_line(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0")
                    if a]
    except OSError:
        return []


def _user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return "uid %d" % uid


def holder(port, instance=None):
    """Who listens on TCP `port`, in words: the process and its command
    line, Pickgun's own broker left running for `instance`, or the user
    owning a process this user cannot see."""
    sockets = _listening_sockets(port)
    if not sockets:
        return "another program (no listening socket visible from here)"
    inode, uid = sockets[0]
    pid = _socket_owner(inode)
    if pid is None:
        return ("another program, run by user %s (not Pickgun's broker, "
                "which runs as %s)" % (_user(uid), _user(os.geteuid())))
    args = _command_line(pid)
    if instance is not None and _is_broker_of(args, instance):
        return ("Pickgun's broker for %s (pid %d), still running: is "
                "`pickgun up` already running on this instance? Stop it, or "
                "end that broker with `kill %d`" % (instance, pid, pid))
    command = " ".join(" ".join(args).split()) or "?"
    if len(command) > 160:
        command = command[:157] + "..."
    return "pid %d of user %s: %s" % (pid, _user(uid), command)


def _is_broker_of(args, instance):
    conf = Path(instance).resolve() / "broker" / "mosquitto.conf"
    return any(os.path.basename(a) == "mosquitto" for a in args[:1]) \
        and str(conf) in args


# ---------------------------------------------------------------- recording
def recorded(instance):
    """{role: port} recorded by earlier starts.  An instance from before
    ports.json keeps the broker ports its mosquitto.conf names (those
    `pickgun provision` gave the guns)."""
    path = Path(instance) / RECORD
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        db_path = str(Path(instance) / "pickgun.db")
        old = {"mqtt": instance_broker_port(db_path, False),
               "mqtt_tls": instance_broker_port(db_path, True)}
        return {k: v for k, v in old.items() if v}
    except ValueError as e:
        raise PortError("%s is not valid JSON (%s): fix or delete it"
                        % (path, e)) from e
    if not isinstance(data, dict) or not all(
            k in DEFAULTS and isinstance(v, int) and 0 < v < 65536
            for k, v in data.items()):
        raise PortError("%s should map %s to port numbers: fix or delete it"
                        % (path, ", ".join(sorted(DEFAULTS))))
    return data


def record(instance, ports):
    """Add `ports` to the instance's record (atomically)."""
    path = Path(instance) / RECORD
    data = recorded(instance) if path.exists() else {}
    data.update(ports)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


# ----------------------------------------------------------------- choosing
def _near_free(port, host, taken):
    for candidate in range(port + 1, min(port + 1 + NEAR, 65536)):
        if candidate not in taken and can_listen(candidate, host):
            return candidate
    with socket.socket(_family(host), socket.SOCK_STREAM) as s:
        s.bind((_bind_host(host), 0))
        return s.getsockname()[1]


def choose(instance, given, hosts, gun_role=None, log=print,
           defaults=DEFAULTS):
    """{role: port} for this start, recorded in the instance folder.

    given: {role: port, or None for the recorded or default one};
    hosts: {role: the address that role listens on}; gun_role: the role
    whose port guns are given.  Raises PortError, recording nothing, when
    a given or recorded port is held."""
    instance = Path(instance)
    before = recorded(instance)
    chosen = {}
    for role, port in given.items():
        label, host = LABELS[role], hosts[role]
        if port is not None:
            source = "given with %s" % OPTIONS[role]
        elif role in before:
            port, source = before[role], "recorded in %s" % (instance / RECORD)
        else:
            port, source = defaults[role], None
        clash = [r for r, p in chosen.items() if p == port]
        if clash:
            if source is not None:
                raise PortError("%s port %d (%s) is also the %s port: give "
                                "each its own." % (label, port, source,
                                                   LABELS[clash[0]]))
            whom = "Pickgun's %s listener" % LABELS[clash[0]]
        elif can_listen(port, host):
            chosen[role] = port
            continue
        else:
            whom = holder(port, instance)
        if source is not None:
            raise PortError(
                "%s port %d (%s) is held by %s.\nStop that program, or start "
                "with %s PORT%s." % (
                    label, port, source, whom, OPTIONS[role],
                    " and provision the guns again" if role == gun_role
                    else ""))
        chosen[role] = _near_free(port, host, set(chosen.values()))
        log("%s port %d is held by %s; using %d from now on (recorded in "
            "%s)." % (label, port, whom, chosen[role], instance / RECORD))
    for role, port in chosen.items():
        if role in before and before[role] != port:
            log("%s port moves from %d to %d%s." % (
                LABELS[role], before[role], port,
                ": guns provisioned for %d need `pickgun provision` again"
                % before[role] if role == gun_role else ""))
    instance.mkdir(parents=True, exist_ok=True)
    record(instance, chosen)
    return chosen
