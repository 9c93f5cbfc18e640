# ESP32 handheld: GM65-style QR decoder on UART2, SSD1306 128x64 on I2C,
# passive buzzer on a PWM pin, OK and BACK buttons to ground.  Same names
# as boards/host.py.  Pins can be overridden in config.json "pins".
import asyncio
import errno
import json
import os
import socket
import time

NAME = "esp32_gm65"
DATA_DIR = "/data"
CONFIG = "/config.json"

PINS = {"uart_tx": 17, "uart_rx": 16, "baud": 9600, "scl": 22, "sda": 21,
        "buzzer": 25, "ok": 32, "back": 33}

_cfg = None
_wlan = None


def mount():
    # The firmware mounts the internal littlefs partition at "/".
    try:
        os.mkdir(DATA_DIR)
    except OSError:
        pass


def config():
    global _cfg
    if _cfg is None:
        with open(CONFIG) as f:
            _cfg = json.load(f)
    return _cfg


def _pin(name):
    return config().get("pins", {}).get(name, PINS[name])


def uart():
    from machine import UART
    u = UART(2, baudrate=_pin("baud"), tx=_pin("uart_tx"), rx=_pin("uart_rx"),
             rxbuf=512, timeout=0)
    return asyncio.StreamReader(u)


def display():
    from machine import I2C, Pin
    from drivers.ssd1306 import SSD1306_I2C
    i2c = I2C(0, scl=Pin(_pin("scl")), sda=Pin(_pin("sda")), freq=400000)
    return SSD1306_I2C(i2c)


def report(rows, state):
    pass


# -------------------------------------------------------------- buzzer
# pattern -> (frequency Hz, on ms, off ms) steps
PATTERNS = {
    "ok": ((2700, 60, 0),),
    "err": ((700, 90, 60), (700, 90, 60), (700, 90, 0)),
    "warn": ((1500, 250, 120), (1500, 250, 0)),
    "done": ((2000, 80, 30), (2700, 80, 30), (3400, 120, 0)),
    "note": ((2200, 40, 60), (2200, 40, 0)),
    "info": ((2200, 40, 0),),
    "flash": ((1200, 400, 100), (600, 700, 0)),
}
_pwm = None
_tune = None


async def _play(pwm, steps):
    for freq, on, off in steps:
        pwm.freq(freq)
        pwm.duty_u16(32768)
        await asyncio.sleep_ms(on)
        pwm.duty_u16(0)
        if off:
            await asyncio.sleep_ms(off)


def beep(pattern):
    global _pwm, _tune
    if _pwm is None:
        from machine import PWM, Pin
        _pwm = PWM(Pin(_pin("buzzer")), freq=2700, duty_u16=0)
    if _tune is not None and not _tune.done():
        _tune.cancel()
        _pwm.duty_u16(0)
    _tune = asyncio.create_task(
        _play(_pwm, PATTERNS.get(pattern, PATTERNS["err"])))


# ------------------------------------------------------------- buttons
class Keys:
    """Two active-low buttons, polled and debounced (press = falling edge
    stable for two polls)."""

    def __init__(self):
        from machine import Pin
        self._pins = ((Pin(_pin("ok"), Pin.IN, Pin.PULL_UP), "OK"),
                      (Pin(_pin("back"), Pin.IN, Pin.PULL_UP), "BACK"))
        self._prev = [1, 1]

    async def get(self):
        while True:
            await asyncio.sleep_ms(20)
            for i in range(2):
                pin, name = self._pins[i]
                v = pin.value()
                was = self._prev[i]
                self._prev[i] = v
                if was == 1 and v == 0:
                    await asyncio.sleep_ms(20)
                    if pin.value() == 0:
                        return name


def keys():
    return Keys()


# ---------------------------------------------------------------- WiFi
# The station, as network.WLAN reports it.  Once connect() has been
# called the ESP32 port associates again by itself after a drop or a
# failure (status() then says CONNECTING, or why the last try failed):
# main.py calls wifi_connect() only when the station is idle, or has
# failed for a whole association time, since connect() while it is
# associating starts that over.
def _sta():
    global _wlan
    if _wlan is None:
        import network
        _wlan = network.WLAN(network.STA_IF)
        _wlan.active(True)
    return _wlan


def wifi_up():
    return _sta().isconnected()


def wifi_status():
    """network.WLAN.status(): STAT_IDLE 1000, STAT_CONNECTING 1001,
    STAT_GOT_IP 1010, STAT_NO_AP_FOUND 201, STAT_WRONG_PASSWORD 202..."""
    return _sta().status()


def wifi_connect():
    """Start an association with config.json's ssid (main.py checks that
    there is one)."""
    cfg = config()
    _sta().connect(cfg["ssid"], cfg.get("wifi_password", ""))


def resolve(host):
    """host's IPv4 address as text (an address comes back as it is).  A
    name means a DNS query, and getaddrinfo blocks the whole event loop
    until it is answered: gun/sync.py asks once, and again only after a
    failed connection."""
    try:
        return socket.getaddrinfo(host, 0)[0][-1][0]
    except OSError as e:            # lwIP or mDNS: a negative number
        raise OSError("[addrinfo error %s]" % e.errno) from None


async def open_connection(host, port, ssl=None, name=None):
    """host: an address (resolve()); name: what the certificate must
    name (default host)."""
    if not wifi_up():
        raise OSError(errno.EHOSTUNREACH)
    if ssl is None:
        return await asyncio.open_connection(host, port)
    # Non-blocking handshake: the screen and the scanner keep running.
    return await asyncio.open_connection(host, port, ssl=ssl,
                                         server_hostname=name or host)


# ---------------------------------------------------------------- time
_EPOCH = 946684800 if time.gmtime(0)[0] == 2000 else 0


def clock(t=None):
    """Unix seconds, 0 while the RTC has not been set (it reads 2000-01-01
    after power-on); clock(t) sets it, as ntptime.settime() does."""
    if t is not None:
        from machine import RTC
        tm = time.gmtime(t - _EPOCH)
        RTC().datetime((tm[0], tm[1], tm[2], tm[6] + 1, tm[3], tm[4],
                        tm[5], 0))
    t = time.time()
    if time.gmtime(t)[0] < 2024:
        return 0                    # never set (no NTP yet)
    return t + _EPOCH


def ticks_ms():
    return time.ticks_ms()
