"""`pickgun up --demo` puts its guns on the broker's TLS port and keeps
the plain port on 127.0.0.1 for the worker."""
import json
import re
import time


def test_demo_guns_connect_over_tls(stack, db):
    broker = stack.broker
    assert broker.tls and stack.tls_port == broker.tls_port
    assert "listener %d 127.0.0.1\n" % broker.port in broker.conf.read_text()
    for gun in stack.guns.values():
        cfg = json.loads((gun.workdir / "config.json").read_text())
        assert (cfg["tls"], cfg["port"]) == (True, broker.tls_port)
    deadline = time.monotonic() + 30
    while True:
        online = {r[0] for r in db.execute(
            "SELECT id FROM devices WHERE online = 1")}
        if online >= set(stack.guns):
            break
        assert time.monotonic() < deadline, online
        time.sleep(0.2)
    # each gun logged in through a connection on the TLS port
    log = broker.log.read_text()
    assert log.count("on port %d." % broker.tls_port) >= len(stack.guns)


def test_gun_provisioned_while_running_scans_from_a_terminal(stack, db,
                                                           tmp_path):
    """A technician provisions G03 while the stack runs, then drives it with
    `pickgun simulate --config`: the broker lets it in over TLS and the
    gun opens an order from a piped scan."""
    import subprocess
    import sys

    from click.testing import CliRunner

    from e2e_support import REPO
    from shared import wire
    from tools.cli import cli

    out = tmp_path / "g03.json"
    result = CliRunner().invoke(cli, [
        "provision", "G03", "--db", str(stack.db_path), "--out", str(out),
        "--broker-host", "127.0.0.1"])
    assert result.exit_code == 0, result.output
    cfg = json.loads(out.read_text())
    assert cfg["tls"] and cfg["port"] == stack.broker.tls_port
    assert "G03" in stack.sync_devices()      # what `pickgun up` does
    order_id = db.execute("SELECT id FROM orders WHERE status = 'placed' "
                          "ORDER BY id").fetchone()[0]
    run = subprocess.run(
        [sys.executable, "-m", "tools.cli", "simulate", "--config", str(out),
         "--workdir", str(tmp_path / "sim")],
        input=wire.order_code(order_id) + "\n:back\n", capture_output=True,
        text=True, timeout=90, cwd=str(REPO))
    assert run.returncode == 0, run.stderr
    assert "link=online" in run.stdout
    # the order, or first its must-acknowledge note
    assert re.search(r"screen=(order|note) order=%d\b" % order_id,
                     run.stdout), run.stdout
    assert "Order %d" % order_id in run.stdout or str(order_id) in run.stdout


def test_simulate_refuses_bad_config(tmp_path):
    from click.testing import CliRunner

    from tools.cli import cli
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(cli, ["simulate", "--config", str(bad)])
    assert result.exit_code == 2 and "not JSON" in result.output
    result = CliRunner().invoke(cli, ["simulate"])
    assert result.exit_code == 2 and "--config" in result.output
