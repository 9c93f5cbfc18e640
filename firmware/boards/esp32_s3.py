# ESP32-S3 modules (ESP32-S3-WROOM-1/-1U/-2, e.g. on an
# ESP32-S3-DevKitC-1), with or without octal PSRAM.  MicroPython image:
# ESP32_GENERIC_S3 (the SPIRAM_OCT variant for N8R8/N16R8 modules).  The
# device code is boards/_esp32.py's.
from boards import _esp32
from boards._esp32 import *  # noqa: F403

NAME = "esp32_s3"
CHIP = "ESP32-S3"
PINS = {"uart_tx": 17, "uart_rx": 18, "baud": 9600, "scl": 9, "sda": 8,
        "buzzer": 14, "ok": 4, "back": 5, "battery": 1}
# What each GPIO may do (the letters: boards/_esp32.py).  From ESP-IDF's GPIO
# guide for the ESP32-S3:
#   0 3 45 46    strapping
#   19 20        USB (D-, D+): MicroPython's USB console
#   43 44        UART0, the USB-serial console
#   22-25        no such GPIO on the ESP32-S3
#   26-32        the module's SPI flash and PSRAM
#   33-37        octal flash or PSRAM (N8R8, N16R8, R8V...): refused on
#                every S3 board, as nothing tells the modules apart here
#   1-10         ADC1 (11-20 are ADC2, the radio's); no input-only GPIO
#        0         1         2         3         4
#        0123456789012345678901234567890123456789012345678
GPIOS = b"saasaaaaaaaoooooooouuo----ffffffffffffooooouussoo"
_esp32.PINS = PINS


def pin_problems(pins):
    return _esp32.check_pins(pins, PINS, GPIOS, CHIP)
