"""Ctrl-C in a terminal signals every process of the foreground group at
once.  `pickgun up --demo` must then stop its parts in order: the guns and
the worker while the broker is still there, the broker last, nothing
complaining on the way out."""
import os
import signal

from up_support import RUNNING, Running, free_port, pickgun, processes_using


def test_ctrl_c_stops_the_demo_in_order(tmp_path):
    instance = tmp_path / "instance"
    up = Running(pickgun("up", "--demo", "--instance", instance, "--port",
                         free_port(), "--mqtt-port", free_port(),
                         "--tls-port", free_port()))
    try:
        up.wait_for(RUNNING, 90)
        up.wait_for(r"Simulated gun G02", 60)
        worker_log = instance / "worker.log"
        before = worker_log.read_text(errors="replace")
        os.killpg(up.proc.pid, signal.SIGINT)       # what a terminal does
        assert up.proc.wait(60) == 0, up.output
    finally:
        up.kill()
    assert processes_using(instance) == {}
    after = worker_log.read_text(errors="replace")[len(before):]
    assert "reconnect" not in after.lower() and "Traceback" not in after, after
    for gun in ("G01", "G02"):
        log = (instance / "guns" / gun / "gun.log").read_text(errors="replace")
        assert "KeyboardInterrupt" not in log and "Traceback" not in log, log
