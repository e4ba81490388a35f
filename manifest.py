# ruff: noqa: F821 - makemanifest.py provides metadata/include/package when it runs this file
# Freeze uamp into a custom MicroPython build (bytecode and viper code in flash, no .mpy files to
# copy, less RAM at import). From a MicroPython checkout:
#   make -C ports/rp2 BOARD=RPI_PICO FROZEN_MANIFEST=/path/to/uamp/manifest.py
#   make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/uamp/manifest.py
# The board still needs /main.py and /board.json on its filesystem: `make deploy` puts them
# there (frozen modules win over the copied ones, so a frozen build can skip the copy).
# host_tests/test_deploy.py checks the version below against uamp.VERSION.

metadata(description="uamp: firmware for DIY headphone DAC/amps", version="0.1.0")

include("$(PORT_DIR)/boards/manifest.py")  # the port's own frozen modules (asyncio etc.)
package("uamp", base_path="firmware")
