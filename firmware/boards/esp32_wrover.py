# ESP32-WROVER modules (-B, -E, -IE): an ESP32 with flash and 4-8 MB of
# PSRAM, which takes GPIO 16 and 17.  MicroPython image:
# ESP32_GENERIC-SPIRAM.  The device code is boards/_esp32.py's.
from boards import _esp32
from boards._esp32 import *  # noqa: F403

NAME = "esp32_wrover"
CHIP = "ESP32"
# The WROOM's pins but the decoder's, which moved off the PSRAM's 16/17.
PINS = {"uart_tx": 27, "uart_rx": 26, "baud": 9600, "scl": 22, "sda": 21,
        "buzzer": 25, "ok": 32, "back": 33, "battery": 34}
# As the ESP32-WROOM (esp32_wroom.py), and 16 17 are the PSRAM's.
#        0         1         2         3
#        0123456789012345678901234567890123456789
GPIOS = b"susuosffffffsoosffoo-ooo-ooo----aaiii--i"
_esp32.PINS = PINS


def pin_problems(pins):
    return _esp32.check_pins(pins, PINS, GPIOS, CHIP)
