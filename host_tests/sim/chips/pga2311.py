"""PGA2311 model (TI SBOS218).

Serial interface: while /CS is low, SDI bits shift into a 16-bit register on rising SCLK, MSB
first (SPI mode 0); extra bits fall out of SDO to the next chip (daisy chain). On the rising
edge of /CS the last 16 bits latch: first byte R7..R0, then L7..L0.
Gain: N = 0 mutes, else 31.5 - 0.5 * (255 - N) dB. /MUTE low mutes both channels.
"""


class PGA2311Model:
    def __init__(self, world, cs, mute=None, zcen=None):
        self.world = world
        self.cs = cs
        self.mute_pin = mute
        self.zcen_pin = zcen
        self.codes = [0, 0]  # left, right; power-up state is mute (N = 0)
        self.shift = []  # bits received in the current /CS window
        self.writes = 0
        self.protocol_errors = []
        world.pin(cs).listeners.append(self._cs_changed)

    def spi_transfer(self, config, data):
        if config["polarity"] != 0 or config["phase"] != 0 or config["firstbit"] != 0:
            self.protocol_errors.append("bus not in SPI mode 0 MSB-first: %r" % (config,))
            return None
        for byte in data:
            for bit in range(7, -1, -1):
                self.shift.append((byte >> bit) & 1)
        return None

    def _cs_changed(self, _pin, old, new):
        if new == 0:
            self.shift = []
            return
        bits = self.shift
        self.shift = []
        if len(bits) < 16:
            if bits:
                self.protocol_errors.append("/CS rose after %d bits, need 16" % len(bits))
            return
        word = 0
        for bit in bits[-16:]:
            word = (word << 1) | bit
        self.codes = [word & 0xFF, word >> 8]
        self.writes += 1

    def muted_by_pin(self):
        return self.mute_pin is not None and self.world.pin(self.mute_pin).level() == 0

    def muted(self, channel=0):
        return self.codes[channel] == 0 or self.muted_by_pin()

    def enabled(self, channel=0):
        return True  # no enable input: the board's amp-enable GPIO powers what follows it

    def gain_db(self, channel):
        """Analog gain of channel 0 (left) or 1 (right) in dB; None when muted."""
        code = self.codes[channel]
        if code == 0 or self.muted_by_pin():
            return None
        return 31.5 - 0.5 * (255 - code)

    def zero_cross_enabled(self):
        return self.zcen_pin is not None and self.world.pin(self.zcen_pin).level() == 1
