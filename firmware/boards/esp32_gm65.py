# The first board's name, kept for guns provisioned with it (board.txt or
# config.json "board"): the ESP32-WROOM board, same pins, which the gun
# then reports by its own name (esp32_wroom).
from boards.esp32_wroom import *  # noqa: F403
