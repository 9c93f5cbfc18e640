"""The broker's settings for hundreds of guns on TLS (server/gunlink/
broker.py, docs/scale.md) and `pickgun site add`'s refusals (tools/site.py)."""
import json
import resource

import paho.mqtt.client as mqtt
import pytest
from click.testing import CliRunner
from paho.mqtt.enums import CallbackAPIVersion

from server.fleet.credentials import password_hash
from server.gunlink import broker as brokermod
from server.gunlink.broker import Broker
from server.fleet.provisioning import provision_device
from tools.provision import cert_names
from tools.up import Stack
from tools.site import (SiteError, add_command, add_site, bridge_users,
                        guns_command)
from worker_support import wait_until

SETTINGS = ("max_queued_messages %d" % brokermod.MAX_QUEUED,
            "max_queued_bytes %d" % brokermod.MAX_QUEUED_BYTES,
            "max_inflight_messages 32",
            "memory_limit %d" % brokermod.MEMORY_LIMIT,
            "persistent_client_expiration 14d", "max_keepalive 300",
            "set_tcp_nodelay true")


@pytest.fixture
def central(tmp_path):
    b = Broker(tmp_path / "broker", devices={"G01": "pw-g01"}, tls=True,
               bridge_users={"pickgun-site-north": password_hash("pw-n")})
    b.start()
    yield b
    b.stop()


def test_settings_in_the_generated_config(central):
    lines = central.conf.read_text().splitlines()
    for setting in SETTINGS:
        assert setting in lines
    # max_connections is a listener's option: each listener has it.
    limit = "max_connections %d" % brokermod.MAX_CONNECTIONS
    listeners = [i for i, line in enumerate(lines)
                 if line.startswith("listener ")]
    assert len(listeners) == 2
    assert limit in lines[listeners[0]:listeners[1]]
    assert limit in lines[listeners[1]:]


def test_generated_config_runs_with_enough_open_files(central):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert central.proc is not None
    limits = open("/proc/%d/limits" % central.proc.pid).read()
    line = next(x for x in limits.splitlines()
                if x.startswith("Max open files"))
    child_soft = line.split()[3]
    want = brokermod.MAX_CONNECTIONS + brokermod.SPARE_FDS
    if hard == resource.RLIM_INFINITY:
        assert int(child_soft) >= want
    else:
        assert int(child_soft) >= min(hard, max(soft, want))
    # And it serves: a gun logs in over TLS.
    got = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="G01")
    c.username_pw_set("G01", "pw-g01")
    c.tls_set(ca_certs=str(central.ca_pem_path))
    c.on_connect = lambda c, u, f, rc, p: got.append(rc)
    c.connect("127.0.0.1", central.tls_port)
    c.loop_start()
    try:
        wait_until(lambda: got, timeout=5)
        assert not got[0].is_failure
    finally:
        c.loop_stop()
        c.disconnect()


def test_bridge_user_gets_only_its_topics(central):
    acl = central.acl.read_text()
    block = acl[acl.index("user pickgun-site-north"):].splitlines()
    assert "topic write pickgun/dev/+/evt" in block
    assert "topic read pickgun/order/#" in block
    assert not [x for x in block if "readwrite" in x or x.endswith(" #")
                and "order" not in x]
    assert "pickgun-site-north:" in central.passwd.read_text()


@pytest.mark.parametrize("limits, want", [
    ((1024, 4096), (2064, 4096)),     # raised to what the broker needs
    ((1024, 1500), (1500, 1500)),     # as far as the hard limit lets it
    ((8192, 8192), (8192, 8192)),     # already enough: left alone
])
def test_open_files_limit(monkeypatch, limits, want):
    monkeypatch.setattr(resource, "getrlimit", lambda which: limits)
    assert brokermod.open_files_limit(2064) == want


@pytest.mark.parametrize("name", ["../x", "North", "", "a" * 33, "a b"])
def test_site_names_are_checked(tmp_path, name):
    with pytest.raises(SiteError):
        add_site(tmp_path, name, "central", 8883, ["site.local"])
    assert not (tmp_path / "sites").exists() or \
        not any((tmp_path / "sites").iterdir())


def test_site_add_without_a_central_ca_says_so(tmp_path):
    result = CliRunner().invoke(add_command, [
        "north", "--central-host", "central", "--name", "site.local",
        "--instance", str(tmp_path)])
    assert result.exit_code != 0
    assert "no CA" in result.output
    assert bridge_users(tmp_path) == {}


def test_broken_site_files_are_skipped(tmp_path):
    (tmp_path / "sites" / "odd").mkdir(parents=True)
    (tmp_path / "sites" / "odd" / "site.json").write_text("[1, 2")
    (tmp_path / "sites" / "list").mkdir()
    (tmp_path / "sites" / "list" / "site.json").write_text("[1, 2]")
    assert bridge_users(tmp_path) == {}


def test_site_add_and_guns_commands(tmp_path, db_path, db):
    Broker(tmp_path / "broker", tls=True).write_config()   # central's CA
    runner = CliRunner()
    result = runner.invoke(add_command, [
        "north", "--central-host", "central.example", "--name",
        "north.local", "--instance", str(tmp_path), "--db", db_path])
    assert result.exit_code == 0, result.output
    # The central broker's certificate does not name central.example.
    assert "does not name central.example" in result.output
    site = tmp_path / "sites" / "north"
    assert "DNS:north.local" in (site / "tls" / "server.san").read_text()
    assert "address central.example:" in (site / "mosquitto.conf") \
        .read_text()
    assert set(bridge_users(tmp_path)) == {"pickgun-site-north"}
    again = runner.invoke(add_command, [
        "north", "--central-host", "c", "--name", "n",
        "--instance", str(tmp_path), "--db", db_path])
    assert again.exit_code != 0 and "exists" in again.output
    provision_device(db, "G07")
    result = runner.invoke(guns_command, [
        "north", "--instance", str(tmp_path), "--db", db_path])
    assert result.exit_code == 0 and "1 guns" in result.output
    assert (site / "passwd").read_text().count("G07:") == 1
    # A gun provisioned for the site dials a name the site's certificate
    # holds: no warning about the central one's.
    ca = str(tmp_path / "broker" / "tls" / "ca.der")
    assert cert_names(ca, "north.local") and cert_names(ca, "127.0.0.1")
    assert not cert_names(ca, "elsewhere.example")


def test_running_up_takes_in_sites_added_later(tmp_path, central, db_path):
    said = []
    stack = Stack(tmp_path, log=said.append)
    stack.broker = central                   # as `pickgun up` has it
    site = tmp_path / "sites" / "south"
    site.mkdir(parents=True)
    (site / "site.json").write_text(json.dumps(
        {"name": "south", "bridge_hash": password_hash("pw-s")}))
    stack.sync_devices()
    # The instance's sites are the bridges now: south in, north (given
    # to the fixture's broker by hand) out.
    assert set(central.bridge_users) == {"pickgun-site-south"}
    assert "pickgun-site-south:" in central.passwd.read_text()
    assert "user pickgun-site-south" in central.acl.read_text()
    assert said == ["Site bridges allowed: pickgun-site-south"]
    assert central.running                    # reloaded, not restarted
