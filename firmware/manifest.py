# Freeze the firmware into a MicroPython ESP32 build, so its bytecode runs
# from flash and the heap is left for data:
#   make -C ports/esp32 BOARD=ESP32_GENERIC \
#       FROZEN_MANIFEST=<repo>/firmware/manifest.py
# main.py, boot.py, config.json and board.txt stay on the filesystem.
# The device's modules only: never the host board's (boards/host*.py) nor
# the simulator's PNG writer (tools/mpy_build.py HOST_ONLY; a test checks
# these lists against it).
include("$(PORT_DIR)/boards/manifest.py")
package("boards", base_path=".", files=(
    "__init__.py", "_camera.py", "_esp32.py", "esp32_gm65.py",
    "esp32_s3.py", "esp32_s3_cam.py", "esp32_wroom.py", "esp32_wrover.py"))
package("drivers", base_path=".", files=("gm65.py", "ssd1306.py"))
package("gun", base_path=".")
package("qr", base_path=".")    # the QR decoder (camera guns); its viper
                                # loops frozen as the port's native code
package("shared", base_path="..", files=("__init__.py", "wire.py"))
