"""TI PCM5102A I2S DAC: no control bus, only pins (datasheet SLAS859).

XSMT low = soft mute, high = soft unmute; the chip ramps the level itself (XSMT pin
description). FLT low = normal latency filter, high = low latency. DEMP high = 44.1 kHz
de-emphasis on. FLT and DEMP are optional: many modules strap them.
"""


class PCM5102A:
    def __init__(self, xsmt, flt=None, demp=None):
        self.xsmt = xsmt
        self.flt = flt
        self.demp = demp
        self.mute(True)
        if flt is not None:
            flt(0)
        if demp is not None:
            demp(0)

    def mute(self, on):
        self.xsmt(0 if on else 1)

    def standby(self, on):
        pass  # no control interface: XSMT (muted first) is all there is

    def set_filter(self, name):
        if name not in ("normal", "low-latency"):
            raise ValueError("filter must be 'normal' or 'low-latency'")
        if self.flt is None:
            raise ValueError("this board has no FLT pin wired")
        self.flt(1 if name == "low-latency" else 0)

    def set_rate(self, rate):
        """After a sample-rate change (made muted): the chip follows the I2S clocks itself
        (SCK may even be grounded: internal PLL); de-emphasis exists for 44.1 kHz only, so
        DEMP goes low at any other rate."""
        if rate != 44100 and self.demp is not None:
            self.demp(0)

    def set_deemphasis(self, on):
        if self.demp is None:
            raise ValueError("this board has no DEMP pin wired")
        self.demp(1 if on else 0)
