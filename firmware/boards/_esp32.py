# The device code every ESP32 board shares: GM65-style QR decoder on
# UART2, SSD1306 128x64 on I2C, passive buzzer on a PWM pin, OK and BACK
# buttons to ground.  Same names as boards/host.py.  A board module
# (esp32_wroom.py, esp32_wrover.py, esp32_s3.py) is its name, its chip,
# its default pins and its GPIO table, and takes everything else from
# here; config.json "pins" overrides its defaults (checked against the
# table by gun/config.py).
import asyncio
import errno
import json
import os
import socket
import time

DATA_DIR = "/data"
CONFIG = "/config.json"

# The default pins of the board the gun runs (function -> GPIO; "baud"
# is the decoder's speed): set by its module as it loads.
PINS = {}

# Each board module also has CHIP, its chip's name, and GPIOS, what GPIO n
# may do on that board: GPIOS[n] (n past the end: no such GPIO), one of
#   o  in and out
#   a  in and out, and ADC1: the battery's divider goes on one (ADC2 is
#      the WiFi radio's while it runs)
#   i  input only, ADC1, no pull-up (the decoder's RX or the battery;
#      never a button, which needs the internal pull-up, nor an output)
#   s  strapping pin, sampled at reset: a pull-up, a pressed button or
#      the decoder's idle-high TX there can stop the gun booting
#   f  wired to the module's flash or PSRAM
#   u  USB, or the USB-serial console (REPL, flashing)
#   -  not a GPIO of the chip, or not brought out by the module
# Only o, a and i are usable: check_pins() says why for the others.

_cfg = None
_wlan = None


def mount():
    # MicroPython's _boot.py has mounted the flash partition at "/":
    # littlefs, or FAT on a partition of subtype "ffat" (main.py refuses
    # to run on FAT).
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


def check_pins(pins, defaults, gpios, chip):
    """config.json "pins" checked against a board's defaults and GPIO
    table (its pin_problems(); gun/config.py shows what is wrong): every
    function on a GPIO the chip has and lets it use, none on one another
    has.  A wrong pin would otherwise raise from a driver at start-up, or
    worse, stop the gun booting (a strapping pin) or crash it (flash,
    PSRAM)."""
    every = dict(defaults)
    every.update(pins)
    out = []
    taken = {}
    for name in sorted(every):
        n = every[name]
        if name not in defaults:
            out.append("unknown pin " + name)
            continue
        if name == "baud":
            continue
        use = gpios[n:n + 1] or b"-"
        i = b"sfu-".find(use)
        if i >= 0:
            why = ("strapping pin", "flash/PSRAM pin", "USB/serial pin",
                   "not a GPIO of " + chip)[i]
        elif use == b"i" and name not in ("uart_rx", "battery"):
            why = "input-only pin"      # no output, no pull-up
        elif use == b"o" and name == "battery":
            why = "not an ADC1 pin"
        elif n in taken:
            why = "also used by " + taken[n]
        else:
            taken[n] = name
            continue
        out.append("%s %d: %s" % (name, n, why))
    return out


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
    stable for two polls).  BACK still held 1.5 s after its press also
    gives "BACK_LONG" (a sign-out)."""

    def __init__(self):
        from machine import Pin
        self._pins = ((Pin(_pin("ok"), Pin.IN, Pin.PULL_UP), "OK"),
                      (Pin(_pin("back"), Pin.IN, Pin.PULL_UP), "BACK"))
        self._prev = [1, 1]
        self._timing = False    # BACK pressed, not let go nor told long
        self._down = time.ticks_ms()    # ... since

    def _long(self, name):
        """name, after timing BACK from its press; "BACK_LONG" once it
        has been held long enough, else None."""
        if name == "BACK":
            self._timing = True
            self._down = time.ticks_ms()
        elif self._timing:
            if self._pins[1][0].value():
                self._timing = False    # let go: a short press
            elif time.ticks_diff(time.ticks_ms(), self._down) >= 1500:
                self._timing = False
                return "BACK_LONG"
        return name

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
                        return self._long(name)
            name = self._long(None)
            if name:
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


# -------------------------------------------------------------- vitals
# The battery through a divider of two equal resistors (100k + 100k) to
# the board's ADC1 pin "battery" (ADC1 works while WiFi is on, ADC2 does
# not); the ADC reads up to about 3.1 V at 11 dB, the battery up to
# 4.2 V.  A reading under 2.5 V is no battery at all (a pin without the
# divider floats or reads 0): not reported.
_adc = None
# esp32.idf_heap_info's capabilities: internal RAM (MALLOC_CAP_INTERNAL
# 0x800) that holds bytes (MALLOC_CAP_8BIT 4, esp32.HEAP_DATA), where
# WiFi and mbedTLS allocate; HEAP_DATA alone would add a WROVER's PSRAM.
_INTERNAL = 0x804


def _battery():
    global _adc
    if _adc is None:
        from machine import ADC, Pin
        _adc = ADC(Pin(_pin("battery")), atten=ADC.ATTN_11DB)
    mv = _adc.read_uv() // 500          # microvolts x 2 / 1000
    return mv if mv >= 2500 else None


def vitals():
    """(battery mV, WiFi RSSI dBm, largest free block of internal RAM in
    bytes, seconds since boot); None for what the gun cannot tell."""
    import esp32
    blk = 0
    for region in esp32.idf_heap_info(_INTERNAL):
        blk = max(blk, region[2])       # (total, free, largest, min free)
    w = _sta()
    try:
        bat = _battery()
    except (OSError, ValueError):       # no ADC on that pin
        bat = None
    return (bat, w.status("rssi") if w.isconnected() else None, blk,
            time.time() - _boot)


# ---------------------------------------------------------------- time
_EPOCH = 946684800 if time.gmtime(0)[0] == 2000 else 0
_boot = time.time()                 # by the RTC: clock(t) moves it along


def clock(t=None):
    """Unix seconds, 0 while the RTC has not been set (it reads 2000-01-01
    after power-on); clock(t) sets it, as ntptime.settime() does."""
    global _boot
    if t is not None:
        from machine import RTC
        was = time.time()
        tm = time.gmtime(t - _EPOCH)
        RTC().datetime((tm[0], tm[1], tm[2], tm[6] + 1, tm[3], tm[4],
                        tm[5], 0))
        _boot += time.time() - was      # the uptime does not jump
    t = time.time()
    if time.gmtime(t)[0] < 2024:
        return 0                    # never set (no NTP yet)
    return t + _EPOCH


def ticks_ms():
    return time.ticks_ms()


# ------------------------------------------------------- watchdog, reset
def wdt(timeout):
    """The hardware watchdog (ESP-IDF's task watchdog, set to reset the
    chip), started or given a new timeout (ms): feed() it in time."""
    from machine import WDT
    return WDT(timeout=timeout)


def reset():
    import machine
    machine.reset()
