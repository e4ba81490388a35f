"""PCM5102A model (TI SLAS859): pins only. XSMT low = soft mute, high = play; FLT high = low
latency filter; DEMP high = 44.1 kHz de-emphasis. Unwired FLT/DEMP read as low (strapped)."""


class PCM5102AModel:
    def __init__(self, world, xsmt, flt=None, demp=None):
        self.world = world
        self.xsmt = xsmt
        self.flt = flt
        self.demp = demp

    def _high(self, pin):
        return pin is not None and self.world.pin(pin).level() == 1

    def filter(self):
        return "low-latency" if self._high(self.flt) else "normal"

    def deemphasis(self):
        return self._high(self.demp)

    def gain_db(self, channel):
        """The DAC's own gain: 0 dB, or None while XSMT mutes it."""
        return None if self.muted() else 0.0

    def muted(self):
        return self.world.pin(self.xsmt).level() == 0
