"""`pickgun up` keeps its ports: guns are given the broker's port, so it
never moves silently.  A restart right after a stop (connections still in
TIME_WAIT) gets the same ports; a given or recorded port that another
program holds stops the start with an error naming that program, and
changes nothing."""
import json
import os
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from up_support import (BROKER, RUNNING, Running, free_port, get, pickgun,
                        processes_using)

from server.gunlink.broker import Broker
from tools import ports
from tools.up import up_command

TIME_WAIT = "06"


def sockets_in_time_wait(port):
    found = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.read().splitlines()[1:]:
                cols = row.split()
                if cols[3] == TIME_WAIT and \
                        int(cols[1].rsplit(":", 1)[1], 16) == port:
                    found += 1
    return found


def leave_time_wait(port):
    """Listen on `port`, take a connection and close it first, as a server
    that stops does: the port is left with a socket in TIME_WAIT."""
    with socket.socket() as lsn:
        lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsn.bind(("127.0.0.1", port))
        lsn.listen()
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = lsn.accept()
        conn.close()
        client.recv(1)
        client.close()
    assert sockets_in_time_wait(port)


class Holder:
    """Another program listening on a port: a Python process of its own."""

    CODE = ("import socket, sys, time\n"
            "s = socket.socket()\n"
            "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
            "s.listen()\n"
            "print('ready', flush=True)\n"
            "time.sleep(120)\n")

    def __init__(self, port):
        self.proc = subprocess.Popen([sys.executable, "-c", self.CODE,
                                      str(port)], stdout=subprocess.PIPE)
        assert self.proc.stdout.readline() == b"ready\n"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


def up(instance, *args):
    return Running(pickgun("up", "--instance", instance, *args))


def started_ports(run):
    """(web, plain MQTT, TLS) as `pickgun up` printed them."""
    web = int(run.wait_for(RUNNING, 60).group(2))
    tls, plain = run.wait_for(BROKER, 5).groups()
    return web, int(plain), int(tls)


def run_to_failure(instance, *args):
    """(exit code, output) of a `pickgun up` expected to stop at once."""
    run = up(instance, *args)
    try:
        return run.proc.wait(60), " ".join(run.output.split())
    finally:
        run.kill()


# ------------------------------------------------------------ restarting
def test_restart_right_after_a_stop_keeps_every_port(tmp_path):
    instance = tmp_path / "instance"
    given = (free_port(), free_port(), free_port())
    first = up(instance, "--port", given[0], "--mqtt-port", given[1],
               "--tls-port", given[2])
    try:
        assert started_ports(first) == given
        # A gun on each broker port and a browser on the web page when the
        # server stops: the server closes those connections first, which
        # leaves its ports with sockets in TIME_WAIT.
        guns = [socket.create_connection(("127.0.0.1", p))
                for p in given[1:]]
        get("http://127.0.0.1:%d/login" % given[0],
            headers={"Connection": "close"})
        assert first.stop() == 0, first.output
        for gun in guns:
            gun.close()
    finally:
        first.kill()
    assert any(sockets_in_time_wait(p) for p in given)

    again = up(instance)                 # no ports given: the recorded ones
    try:
        assert started_ports(again) == given
        assert "held" not in again.output
        assert again.stop() == 0, again.output
    finally:
        again.kill()
    assert json.loads((instance / "ports.json").read_text()) == {
        "web": given[0], "mqtt": given[1], "mqtt_tls": given[2]}


def test_a_port_in_time_wait_is_free_to_listen_on(tmp_path):
    port = free_port()
    leave_time_wait(port)
    with socket.socket() as plain:          # a probe without SO_REUSEADDR
        with pytest.raises(OSError):
            plain.bind(("127.0.0.1", port))
    assert ports.can_listen(port)
    chosen = ports.choose(tmp_path, {"mqtt_tls": port},
                          {"mqtt_tls": "127.0.0.1"})
    assert chosen == {"mqtt_tls": port}


# ------------------------------------------------------- held: an error
def test_a_held_recorded_port_stops_the_start_and_names_the_holder(
        tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    recorded = {"web": free_port(), "mqtt": free_port(),
                "mqtt_tls": free_port()}
    (instance / "ports.json").write_text(json.dumps(recorded))
    before = (instance / "ports.json").read_bytes()
    with Holder(recorded["mqtt_tls"]) as holder:
        code, message = run_to_failure(instance)
    assert code != 0
    assert ("MQTT TLS port %d (recorded in %s) is held by pid %d"
            % (recorded["mqtt_tls"], instance / "ports.json",
               holder.proc.pid)) in message
    assert "-c import socket, sys, time" in message      # its command line
    assert "--tls-port PORT and provision the guns again" in message
    assert (instance / "ports.json").read_bytes() == before
    assert sorted(os.listdir(instance)) == ["ports.json"]   # nothing started
    assert processes_using(instance) == {}


def test_a_held_given_port_stops_the_start(tmp_path):
    instance = tmp_path / "instance"
    web = free_port()
    with Holder(web) as holder:
        code, message = run_to_failure(instance, "--port", web,
                                       "--mqtt-port", free_port(),
                                       "--tls-port", free_port())
    assert code != 0
    assert ("web port %d (given with --port) is held by pid %d"
            % (web, holder.proc.pid)) in message
    assert not (instance / "ports.json").exists()
    assert processes_using(instance) == {}


def test_pickguns_own_broker_left_running_is_named(tmp_path):
    instance = tmp_path / "instance"
    plain, tls = free_port(), free_port()
    instance.mkdir()
    ports.record(instance, {"web": free_port(), "mqtt": plain,
                            "mqtt_tls": tls})
    with Broker(instance / "broker", port=plain, tls=True, tls_port=tls) \
            as broker:
        with pytest.raises(ports.PortError) as refused:
            ports.choose(instance, {"mqtt": None, "mqtt_tls": None},
                         {"mqtt": "127.0.0.1", "mqtt_tls": "127.0.0.1"},
                         gun_role="mqtt_tls")
        pid = broker.proc.pid
    message = str(refused.value)
    assert "MQTT port %d" % plain in message
    assert "Pickgun's broker for %s (pid %d)" % (instance.resolve(),
                                                 pid) in message
    assert "kill %d" % pid in message


def test_a_holder_this_user_cannot_see_is_named_by_its_user(monkeypatch):
    port = free_port()
    monkeypatch.setattr(ports, "_socket_owner", lambda inode: None)
    with Holder(port):
        said = ports.holder(port)
    assert said.startswith("another program, run by user %s (not Pickgun's"
                           " broker" % ports._user(os.geteuid()))


@pytest.mark.parametrize("option", ["--port", "--mqtt-port", "--tls-port"])
@pytest.mark.parametrize("value", ["0", "65536", "web"])
def test_a_port_that_is_not_one_is_refused(tmp_path, option, value):
    result = CliRunner().invoke(up_command, ["--instance", str(
        tmp_path / "instance"), option, value])
    assert result.exit_code == 2
    assert "Invalid value for '%s'" % option in result.output
    assert not (tmp_path / "instance").exists()


def test_two_roles_given_one_port_is_refused(tmp_path):
    port = free_port()
    with pytest.raises(ports.PortError, match="also the web port"):
        ports.choose(tmp_path, {"web": port, "mqtt": port},
                     {"web": "127.0.0.1", "mqtt": "127.0.0.1"})
    assert not (tmp_path / "ports.json").exists()


def test_an_unusable_record_is_a_clear_error(tmp_path):
    (tmp_path / "ports.json").write_text('{"web": "five thousand"}')
    with pytest.raises(ports.PortError, match="should map"):
        ports.choose(tmp_path, {"web": None}, {"web": "127.0.0.1"})
    (tmp_path / "ports.json").write_text("{")
    with pytest.raises(ports.PortError, match="not valid JSON"):
        ports.choose(tmp_path, {"web": None}, {"web": "127.0.0.1"})
    assert (tmp_path / "ports.json").read_text() == "{"


# ------------------------------------------- a held default: moved once
def test_a_held_default_moves_once_then_stays(tmp_path):
    defaults = {"web": free_port(), "mqtt": free_port()}
    hosts = {"web": "127.0.0.1", "mqtt": "127.0.0.1"}
    said = []
    with Holder(defaults["mqtt"]) as holder:
        first = ports.choose(tmp_path, {"web": None, "mqtt": None}, hosts,
                             log=said.append, defaults=defaults)
        assert first["web"] == defaults["web"]
        assert first["mqtt"] != defaults["mqtt"]
        [line] = said
        assert line.startswith("MQTT port %d is held by pid %d of user %s: "
                               "%s -c import socket" % (
                                   defaults["mqtt"], holder.proc.pid,
                                   ports._user(os.geteuid()),
                                   sys.executable))
        assert line.endswith("; using %d from now on (recorded in %s)."
                             % (first["mqtt"], tmp_path / "ports.json"))
        said.clear()
        again = ports.choose(tmp_path, {"web": None, "mqtt": None}, hosts,
                             log=said.append, defaults=defaults)
        assert again == first and said == []
    # the default is free again, but guns were given the recorded port
    assert ports.choose(tmp_path, {"web": None, "mqtt": None}, hosts,
                        log=said.append, defaults=defaults) == first
    with Holder(first["mqtt"]):
        with pytest.raises(ports.PortError, match="MQTT port %d \\(recorded"
                           % first["mqtt"]):
            ports.choose(tmp_path, {"web": None, "mqtt": None}, hosts,
                         defaults=defaults)


def test_a_given_port_replaces_the_recorded_one_and_says_so(tmp_path):
    hosts = {"mqtt_tls": "127.0.0.1"}
    old, new = free_port(), free_port()
    ports.record(tmp_path, {"mqtt_tls": old})
    said = []
    assert ports.choose(tmp_path, {"mqtt_tls": new}, hosts, gun_role=
                        "mqtt_tls", log=said.append) == {"mqtt_tls": new}
    assert said == ["MQTT TLS port moves from %d to %d: guns provisioned "
                    "for %d need `pickgun provision` again" % (old, new, old)
                    + "."]
    assert ports.recorded(tmp_path) == {"mqtt_tls": new}


def test_an_instance_from_before_the_record_keeps_its_broker_ports(
        tmp_path):
    plain, tls = free_port(), free_port()
    Broker(tmp_path / "broker", port=plain, tls=True, tls_port=tls) \
        .write_config()
    assert ports.recorded(tmp_path) == {"mqtt": plain, "mqtt_tls": tls}
