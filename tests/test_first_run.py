"""A new user's first run: the README's command on a fresh clone.

The committed tree is cloned into a temporary folder and `tools/run.sh` is
run there as the README says, so it makes its own .venv with the run
set-up alone (pip may use its cache).  The product must come up (web pages
served by waitress, both simulated guns online) and Ctrl-C must stop every
process it started."""
import os
import subprocess
import sys
import time

from up_support import (REPO, RUNNING, Running, devices_online, free_port,
                        get, wait_until_gone)

from server.demo_data import DEMO_PASSWORD
from tools.ports import can_listen

SET_UP_TIMEOUT = 600        # a fresh .venv: pip install, cache or not
GUNS = {"G01", "G02"}


def fresh_clone(dest):
    """`git clone` of this checkout's committed HEAD."""
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"],
                          check=True, capture_output=True, text=True
                          ).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO),
                    str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "-c", "advice.detachedHead=false",
                    "checkout", "--quiet", "--detach", head], check=True)
    return dest


def bare_environment():
    """This environment without the test run's virtualenv and without a
    locale, like a new user's shell on a bare Debian machine."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME",
                        "LANGUAGE") and not k.startswith("LC_")
           and k != "LANG"}
    prefix = os.path.realpath(sys.prefix)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep)
        if p and not os.path.realpath(p).startswith(prefix + os.sep))
    return env


def wait_for_guns(url, timeout=60):
    deadline = time.monotonic() + timeout
    online = {}
    while time.monotonic() < deadline:
        online = devices_online(url, "associate", DEMO_PASSWORD)
        if all(online.get(g) for g in GUNS):
            return online
        time.sleep(0.5)
    raise AssertionError("guns not online: %r" % online)


def test_readme_run_command_on_a_fresh_clone(tmp_path):
    clone = fresh_clone(tmp_path / "pickgun")
    web, mqtt, tls = free_port(), free_port(), free_port()
    run = Running(["tools/run.sh", "--port", str(web), "--mqtt-port",
                   str(mqtt), "--tls-port", str(tls)], cwd=clone,
                  env=bare_environment())
    try:
        url = run.wait_for(RUNNING, SET_UP_TIMEOUT).group(1)
        assert url == "http://127.0.0.1:%d/" % web
        wait_for_guns(url)
        status, headers, _ = get(url + "login")
        assert status == 200
        assert headers["Server"] == "waitress"
        for gun in sorted(GUNS):
            assert "Simulated gun %s: screen at %s" % (
                gun, clone / "instance" / "guns" / gun / "screen.png") \
                in run.output
        assert run.stop() == 0, run.output
    finally:
        run.kill()
    assert "Stopped." in run.output
    assert wait_until_gone(clone) == {}
    for port in (web, mqtt, tls):
        assert can_listen(port)
    # the run set-up only: its own .venv, without the test tools, but with
    # what `pickgun simulate --precompiled` needs too
    venv = clone / ".venv"
    assert (venv / "bin" / "micropython").exists()
    assert not (venv / "bin" / "pytest").exists()
    subprocess.run([str(venv / "bin" / "python"), "-c",
                    "from tools.mpy_build import mpy_cross_binary; "
                    "mpy_cross_binary()"], check=True, cwd=clone)
    assert (clone / "instance" / "pickgun.db").exists()


def test_set_up_remakes_a_venv_left_without_pip(tmp_path):
    """An interrupted first run can leave .venv with a python and no pip."""
    clone = fresh_clone(tmp_path / "pickgun")
    env = bare_environment()
    subprocess.run(["python3", "-m", "venv", "--without-pip", ".venv"],
                   cwd=clone, env=env, check=True)
    done = subprocess.run(["tools/bootstrap.sh", "run"], cwd=clone, env=env,
                          capture_output=True, text=True,
                          timeout=SET_UP_TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Creating .venv" in done.stdout
    assert (clone / ".venv" / "bin" / "pickgun").exists()
    again = subprocess.run(["tools/bootstrap.sh", "run"], cwd=clone, env=env,
                           capture_output=True, text=True, check=True)
    assert again.stdout == ""               # set up already: nothing to do
