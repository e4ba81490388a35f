"""PCM5102A model (TI SLAS859): pins only. XSMT low = soft mute, high = play."""


class PCM5102AModel:
    def __init__(self, world, xsmt):
        self.world = world
        self.xsmt = xsmt

    def muted(self):
        return self.world.pin(self.xsmt).level() == 0
