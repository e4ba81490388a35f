"""TI PCM5102A I2S DAC: no control bus, only pins.

XSMT low = soft mute, high = soft unmute; the chip ramps the level itself (datasheet SLAS859,
XSMT pin description).
"""


class PCM5102A:
    def __init__(self, xsmt):
        self.xsmt = xsmt
        self.mute(True)

    def mute(self, on):
        self.xsmt(0 if on else 1)
