"""Helpers for tests that run `pickgun up` or `pickgun web` as a person
would: a real process, its output read line by line, stopped by a signal."""
import base64
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from waitress import wasyncore

from tools.web import make_server

REPO = Path(__file__).resolve().parent.parent
RUNNING = re.compile(r"Pickgun is running: (http://127\.0\.0\.1:(\d+)/)")
BROKER = re.compile(r"guns over TLS on [^:]+:(\d+) .*worker on 127\.0\.0\.1:"
                    r"(\d+)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Running:
    """A command started in a session of its own, its output collected."""

    def __init__(self, args, cwd=REPO, env=None):
        self.lines = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            args, cwd=str(cwd), env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            with self._cond:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def output(self):
        with self._cond:
            return "\n".join(self.lines)

    def wait_for(self, pattern, timeout):
        """The first match of `pattern` in the output; fails if the process
        ends or `timeout` passes first."""
        pattern = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    found = pattern.search(line)
                    if found:
                        return found
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None
                                 and not self._reader.is_alive()):
                    raise AssertionError("no %r in the output (exit code "
                                         "%s):\n%s" % (pattern.pattern,
                                                       self.proc.poll(),
                                                       "\n".join(self.lines)))
                self._cond.wait(min(left, 0.5))

    def stop(self, sig=signal.SIGINT, timeout=60):
        """Signal the command alone (not its children) and wait for it."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def kill(self):
        """Whatever the command left in its session: gone."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in session_members(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._reader.join(5)
        if not self._reader.is_alive():
            self.proc.stdout.close()


def _pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def session_members(sid):
    """Processes in session `sid` (the commands a Running started)."""
    found = []
    for pid in _pids():
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:       # state ppid pgrp session
            found.append(pid)
    return found


def processes_using(path):
    """{pid: command line} of processes whose command line, working folder
    or executable is under `path`."""
    path = str(path)
    found = {}
    for pid in _pids():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            places = [os.readlink("/proc/%d/%s" % (pid, what))
                      for what in ("cwd", "exe")]
        except OSError:
            continue
        if path in cmd or any(p.startswith(path) for p in places):
            found[pid] = cmd
    return found


def wait_until_gone(path, timeout=15):
    deadline = time.monotonic() + timeout
    while processes_using(path) and time.monotonic() < deadline:
        time.sleep(0.2)
    return processes_using(path)


def get(url, user=None, password=None, headers=None, timeout=10):
    """(status, headers, body) of a GET; HTTP errors are answers too."""
    request = urllib.request.Request(url, headers=headers or {})
    if user:
        token = base64.b64encode(("%s:%s" % (user, password)).encode())
        request.add_header("Authorization", "Basic " + token.decode())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def devices_online(base_url, user, password):
    """{device id: online} from the JSON API."""
    status, _, body = get(base_url + "api/devices", user, password)
    assert status == 200, body
    return {d["id"]: bool(d["online"]) for d in json.loads(body)["devices"]}


def pickgun(*args):
    """The command line of `pickgun ARGS` with this environment's Python."""
    return [sys.executable, "-m", "tools.cli"] + [str(a) for a in args]


@contextlib.contextmanager
def serving(app, **options):
    """`app` served by waitress (as `pickgun web` serves it) on a free
    port, on a thread of this process; yields the port."""
    server = make_server(app, "127.0.0.1", 0, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        # Closed from its own loop thread: closing its sockets from here
        # could pull them from under that thread's select().
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(5)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive()
