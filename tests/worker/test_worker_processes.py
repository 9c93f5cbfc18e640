"""The worker's two processes: the ingest process is stopped with the
worker, restarted if it dies, and never outlives the worker."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from worker_support import start_worker, wait_until

ROOT = Path(__file__).resolve().parents[2]


def children(pid):
    out = []
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_stop_ends_the_ingest_process(db_path, broker):
    w = start_worker(broker, db_path)
    pid = w._proc.pid
    assert alive(pid)
    w.stop()
    assert not alive(pid)


def test_ingest_process_is_restarted(demo, db_path, broker, gun_factory):
    w = start_worker(broker, db_path)
    try:
        gun = gun_factory()
        gun.pick("B0001")
        gun.wait_acked(1)
        first = w._proc.pid
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: w._proc is not None and w._proc.pid != first
                   and w._proc.is_alive())
        gun.pick("B0002")
        gun.wait_acked(2, timeout=30)      # resent until the new one acks
        assert gun.rejected == {}
    finally:
        w.stop()


def _worker_command(broker, db_path, tmp_path):
    pw = tmp_path / "worker-password"
    pw.write_text(broker.worker_password)
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.gunlink.worker", "--db", db_path,
         "--broker-host", broker.host, "--broker-port", str(broker.port),
         "--user", broker.worker_user, "--password-file", str(pw),
         "--log-level", "WARNING"], cwd=str(ROOT),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    kids = wait_until(lambda: children(proc.pid), timeout=20)
    return proc, kids


def test_sigterm_stops_both_processes(db_path, broker, tmp_path):
    proc, kids = _worker_command(broker, db_path, tmp_path)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=20)[0]
    assert proc.returncode == 0, out
    assert "worker stopped" in out
    wait_until(lambda: not any(alive(k) for k in kids), timeout=5)


def test_ctrl_c_to_the_process_group_stops_both(db_path, broker, tmp_path):
    pw = tmp_path / "worker-password"
    pw.write_text(broker.worker_password)
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.gunlink.worker", "--db", db_path,
         "--broker-host", broker.host, "--broker-port", str(broker.port),
         "--user", broker.worker_user, "--password-file", str(pw),
         "--log-level", "WARNING"], cwd=str(ROOT), start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    kids = wait_until(lambda: children(proc.pid), timeout=20)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)     # what a terminal's Ctrl-C does
    out = proc.communicate(timeout=20)[0]
    assert proc.returncode == 0, out
    assert "Traceback" not in out, out
    wait_until(lambda: not any(alive(k) for k in kids), timeout=5)


def test_ingest_process_ends_with_a_killed_worker(db_path, broker, tmp_path):
    proc, kids = _worker_command(broker, db_path, tmp_path)
    proc.kill()
    proc.communicate(timeout=10)
    wait_until(lambda: not any(alive(k) for k in kids), timeout=10)
