# The host board's radio, as network.WLAN behaves on the ESP32: statuses
# over an association's time, a connect() that starts it over, failures
# by name, and the station that joins again by itself once asked.
import time

import boards

b = boards.load()
cfg = b.config()
host = cfg["host"]
host["assoc_ms"] = 200
host["ap"] = ["shop", "right"]
seen = []


def settle(ms):
    """Statuses over ms, each once in order."""
    end = time.ticks_add(time.ticks_ms(), ms)
    while time.ticks_diff(end, time.ticks_ms()) > 0:
        st = b.wifi_status()
        if not seen or seen[-1] != st:
            seen.append(st)
        time.sleep_ms(10)
    out = list(seen)
    seen.clear()
    return out


print("idle", settle(50))                       # never asked
cfg["ssid"], cfg["wifi_password"] = "shop", "right"
b.wifi_connect()
print("join", settle(350))
b.wifi_set(False)                               # the access point goes
print("drop", settle(350), b.wifi_up())
b.wifi_set(True)                                # back: it joins alone
print("back", settle(350), b.connects)
cfg["wifi_password"] = "wrong"
b.wifi_connect()
print("password", settle(350))
cfg["ssid"], cfg["wifi_password"] = "other", "right"
b.wifi_connect()
print("no ap", settle(350))
cfg["ssid"] = "shop"
b.wifi_connect()
time.sleep_ms(150)
b.wifi_connect()                                # starts the attempt over
print("again", settle(150), settle(200))
