"""uamp: MicroPython firmware for headphone DAC/amps."""

VERSION = "0.1.0"
