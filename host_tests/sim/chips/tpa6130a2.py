"""TPA6130A2 model (TI SLOS488B): I2C address 0x60, registers 1..4.

1 control: HP_EN_L bit 7, HP_EN_R bit 6, mode 5:4, thermal flag bit 1 (read only), SWS bit 0
2 volume: Mute_L bit 7, Mute_R bit 6, V[5:0] shared by both channels (Table 2 audio taper)
3 HiZ_L bit 1, HiZ_R bit 0; 4 version (read only).
Power-up ("Default Mode"): HP enables off, stereo, SWS off, both mutes on, volume -59.5 dB.
The SD pin (the board's amp-enable GPIO) must be high for any output. Modelled as the strict
case (to verify against SLOS488 8.4.1): while SD is low the chip does not acknowledge on I2C,
and it comes back from shutdown with the power-up register values. After SD rises the chip
needs its start-up time (SLOS488B Operating Characteristics: "Start-up time from shutdown",
5 ms) before it answers: the model does not acknowledge until then either (`startup_naks`
counts the transfers refused).
"""

from sim.chips.i2c_registers import I2CRegisterChip

_EIO = 5
STARTUP_US = 5000  # SLOS488B Operating Characteristics: start-up time from shutdown, 5 ms

# SLOS488B Table 2, nominal gain in dB for V[5:0]; codes 31 and 63 were not legible in the
# copy checked, so the model refuses to report them (a test then fails loudly).
TABLE_2_DB = (
    -59.5, -53.5, -50.0, -47.5, -45.5, -43.9, -41.4, -39.5,
    -36.5, -35.3, -33.3, -31.7, -30.4, -28.6, -27.1, -26.3,
    -24.7, -23.7, -22.5, -21.7, -20.5, -19.6, -18.8, -17.8,
    -17.0, -16.2, -15.2, -14.5, -13.7, -13.0, -12.3, None,
    -10.9, -10.3, -9.7, -9.0, -8.5, -7.8, -7.2, -6.7,
    -6.1, -5.6, -5.1, -4.5, -4.1, -3.5, -3.1, -2.6,
    -2.1, -1.7, -1.2, -0.8, -0.3, 0.1, 0.5, 0.9,
    1.4, 1.7, 2.1, 2.5, 2.9, 3.3, 3.6, None,
)  # fmt: skip
VERSION = 0x02


class TPA6130A2Model(I2CRegisterChip):
    writable = (1, 2, 3)
    read_only = (4,)

    def __init__(self, world, sd=None):
        super().__init__()
        self.world = world
        self.sd = sd
        self.sd_rose_us = None  # when SD last went high; None: never seen low-to-high
        self.startup_naks = 0
        self._power_up_defaults()
        if sd is not None:
            world.pin(sd).listeners.append(self._sd_changed)

    def _power_up_defaults(self):
        self.regs = {1: 0x00, 2: 0xC0, 3: 0x00, 4: VERSION}

    def _sd_changed(self, _pin, old, new):
        if new == 0:
            self._power_up_defaults()
        else:
            self.sd_rose_us = self.world.clock.now_us

    def starting_up(self):
        """SD went high less than the start-up time ago."""
        rose = self.sd_rose_us
        return rose is not None and self.world.clock.now_us - rose < STARTUP_US

    def _answering(self):
        if self.shut_down_by_pin():
            raise OSError(_EIO)  # no acknowledge in hardware shutdown
        if self.starting_up():
            self.startup_naks += 1
            raise OSError(_EIO)  # not yet: the start-up time has not passed

    def i2c_write(self, data):
        self._answering()
        super().i2c_write(data)

    def i2c_read(self, nbytes):
        self._answering()
        return super().i2c_read(nbytes)

    def read_register(self, reg):
        if reg == 1:
            return self.regs[1] & 0xF1  # bits 3:2 reserved read 0; thermal flag stays clear
        return self.regs.get(reg, 0)

    def shut_down_by_pin(self):
        return self.sd is not None and self.world.pin(self.sd).level() == 0

    def enabled(self, channel=0):
        control = self.regs[1]
        enable_bit = 0x80 if channel == 0 else 0x40
        return bool(control & enable_bit) and not control & 0x01 and not self.shut_down_by_pin()

    def muted(self, channel=0):
        return bool(self.regs[2] & (0x80 if channel == 0 else 0x40))

    def code(self):
        return self.regs[2] & 0x3F

    def gain_db(self, channel):
        """Analog gain of channel 0 (left) or 1 (right) in dB; None when muted or disabled."""
        if self.muted(channel) or not self.enabled(channel):
            return None
        gain = TABLE_2_DB[self.code()]
        if gain is None:
            raise AssertionError("TPA6130A2 volume code %d is not verified" % self.code())
        return gain
