# Freeze the firmware into a MicroPython ESP32 build, so its bytecode runs
# from flash and the heap is left for data:
#   make -C ports/esp32 BOARD=ESP32_GENERIC \
#       FROZEN_MANIFEST=<repo>/firmware/manifest.py
# main.py, boot.py, config.json and board.txt stay on the filesystem.
include("$(PORT_DIR)/boards/manifest.py")
package("boards", base_path=".")
package("drivers", base_path=".")
package("gun", base_path=".")
package("shared", base_path="..")
