"""PCM5102A model (TI SLAS859C): pins only. XSMT low = soft mute, high = play; FLT high = low
latency filter; DEMP high = 44.1 kHz de-emphasis. Unwired FLT/DEMP read as low (strapped).

Zero data detect (9.3.2.3): after 1024 LRCKs of zero data on both channels (21 ms at 48 kHz)
the chip sets its analog mute, and releases it abruptly on the next non-zero sample. It has
no control bus, so this cannot be switched off: `zero_detect` (sim/chips/zero_detect.py)
listens to the board's I2S port and records every audible release.
"""

from sim.chips.zero_detect import ZeroDataDetect

ZERO_DETECT_FRAMES = 1024  # SLAS859C 9.3.2.3: "counts zero data over 1024 LRCKs"


class PCM5102AModel:
    def __init__(self, world, xsmt, flt=None, demp=None, i2s_id=0):
        self.world = world
        self.xsmt = xsmt
        self.flt = flt
        self.demp = demp
        self.zero_detect = ZeroDataDetect(world, i2s_id, self._xsmt_high, ZERO_DETECT_FRAMES)

    def _high(self, pin):
        return pin is not None and self.world.pin(pin).level() == 1

    def _xsmt_high(self):
        return self.world.pin(self.xsmt).level() == 1

    def filter(self):
        return "low-latency" if self._high(self.flt) else "normal"

    def deemphasis(self):
        return self._high(self.demp)

    def gain_db(self, channel):
        """The DAC's own gain: 0 dB, or None while XSMT or the zero-data mute silences it."""
        if self.muted() or self.zero_detect.muted[channel]:
            return None
        return 0.0

    def muted(self):
        """The soft mute (XSMT low); the zero-data mute is `zero_detect.muted`."""
        return self.world.pin(self.xsmt).level() == 0
