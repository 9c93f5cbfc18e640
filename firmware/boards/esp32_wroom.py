# ESP32-WROOM-32 modules (-32, -32D, -32E, -32UE; e.g. on an
# ESP32-DevKitC): an ESP32 with 4 MB of flash and no PSRAM.  MicroPython
# image: ESP32_GENERIC.  The device code is boards/_esp32.py's.
from boards import _esp32
from boards._esp32 import *  # noqa: F403

NAME = "esp32_wroom"
CHIP = "ESP32"
PINS = {"uart_tx": 17, "uart_rx": 16, "baud": 9600, "scl": 22, "sda": 21,
        "buzzer": 25, "ok": 32, "back": 33, "battery": 34}
# What each GPIO may do (the letters: boards/_esp32.py).  From ESP-IDF's GPIO
# guide for the ESP32 and MicroPython's ESP32 quick reference:
#   0 2 5 12 15  strapping (12 picks the flash voltage: high at reset
#                means 1.8 V, and a 3.3 V flash module does not boot)
#   1 3          UART0, the USB-serial console
#   6-11         the module's SPI flash
#   20 24 28-31  no such GPIO on the ESP32 (20: ESP32-PICO-V3 only)
#   34-39        input only, no pull-up; 37 and 38 are not brought out
#                by the module
#   32-39        ADC1 (the other ADC pins are ADC2, the radio's)
#        0         1         2         3
#        0123456789012345678901234567890123456789
GPIOS = b"susuosffffffsoosoooo-ooo-ooo----aaiii--i"
_esp32.PINS = PINS


def pin_problems(pins):
    return _esp32.check_pins(pins, PINS, GPIOS, CHIP)
