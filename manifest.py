# ruff: noqa: F821 - makemanifest.py provides metadata/include/package when it runs this file
# Freeze uamp into a custom MicroPython build (bytecode and viper code in flash, no .mpy files to
# copy, less RAM at import). From a MicroPython checkout:
#   make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/uamp/manifest.py
# The board still needs /main.py and /board.json on its filesystem, but no /uamp folder: the
# filesystem comes first in sys.path ('' before '.frozen'), so a copied uamp would be imported
# instead of the frozen one, and MicroPython looks for a package's submodules only where it found
# the package, so the two cannot be mixed (both measured on the emulated Pico).
# Not for the RP2040 yet: mpy-tool places ARMv6-M machine code on 2-byte boundaries, and armv6m
# viper/native code is only right on a word boundary (its PC-relative constant loads read two
# bytes off): frozen tone.sine_fill gives wrong samples (host_tests/test_frozen_alignment.py).
# The .mpy files `make deploy` copies are loaded word-aligned, so they are right.
# host_tests/test_deploy.py checks the version below against uamp.VERSION.

metadata(description="uamp: firmware for DIY headphone DAC/amps", version="0.1.0")

include("$(PORT_DIR)/boards/manifest.py")  # the port's own frozen modules (asyncio etc.)
package("uamp", base_path="firmware")
