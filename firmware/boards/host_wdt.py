# The simulated gun's watchdog and reset (boards/host.py wdt(), reset()):
# they end the firmware's process as the chip's end the firmware, so a
# harness sees which it was:
#   reset()                     exit status RESET_EXIT
#   the watchdog not fed        the process killed by SIGALRM
# A thread stands in for the watchdog's timer: it counts on while the
# firmware's event loop is stuck, as the hardware does.  Like the ESP32's
# (one task-watchdog user), there is one watchdog: asking for it again
# gives it a new timeout.
import _thread
import os
import time

# As boot.py and gun/ota.py: tools/simulate.py starts the gun again.
RESET_EXIT = 75

_dog = None


class _Watchdog:
    def __init__(self, timeout):
        self.timeout = timeout
        self.fed = time.ticks_ms()
        _thread.start_new_thread(self._watch, ())

    def feed(self):
        self.fed = time.ticks_ms()

    def _watch(self):
        while time.ticks_diff(time.ticks_ms(), self.fed) < self.timeout:
            time.sleep_ms(20)
        print("pickgun: watchdog: not fed for", self.timeout, "ms: reset")
        os.system("kill -ALRM $PPID")      # $PPID: this process


def wdt(timeout):
    global _dog
    if _dog is None:
        _dog = _Watchdog(timeout)
    else:
        _dog.timeout = timeout
        _dog.feed()
    return _dog


def reset():
    raise SystemExit(RESET_EXIT)
