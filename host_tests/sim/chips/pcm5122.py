"""PCM5122 model (TI SLAS763 / ZHCSAC2C): I2C address set by the ADR pins (0x4C..0x4F),
register 0 selects the page. Page 0 registers modelled: 2 standby/power-down (RQST bit 4,
RQPD bit 0), 3 mute (RQML bit 4, RQMR bit 0), 43 filter program, 60 volume mode, 61/62 digital
volume (0 = +24 dB, 48 = 0 dB, 0.5 dB per code, 255 = mute), 63 ramp. Power-up: page 0, volume
48 (0 dB), not muted, ramp register 0x22 (1 dB steps every fs), filter program 1.
The chip's own volume ramp is not timed: the state reports the level it ramps to.
"""

from sim.chips.i2c_registers import I2CRegisterChip

FILTER_PROGRAMS = {1: "normal", 2: "low-latency", 3: "high-attenuation", 7: "asymmetric"}


class PCM5122Model(I2CRegisterChip):
    writable = (0, 2, 3, 43, 60, 61, 62, 63)

    def __init__(self, world, addr):
        super().__init__()
        self.world = world
        self.addr = addr
        self.page = 0
        self.regs = {0: 0, 2: 0x00, 3: 0x00, 43: 1, 60: 0, 61: 48, 62: 48, 63: 0x22}

    def write_register(self, reg, value):
        if reg == 0:
            self.page = value
        elif self.page != 0:
            self.protocol_errors.append(
                "register %d on page %d is not modelled" % (reg, self.page)
            )
            return
        super().write_register(reg, value)

    def standby(self):
        return bool(self.regs[2] & 0x11)

    def muted(self, channel=0):
        return bool(self.regs[3] & (0x10 if channel == 0 else 0x01))

    def enabled(self):
        return not self.standby()

    def volume_db(self, channel):
        mode = self.regs[60] & 0x03
        reg = 61 if channel == 0 else 62
        if mode == 1:
            reg = 61  # right follows left
        elif mode == 2:
            reg = 62  # left follows right
        code = self.regs[reg]
        return None if code == 255 else (48 - code) / 2

    def gain_db(self, channel):
        """Digital volume of channel 0 (left) or 1 (right) in dB; None when muted or in
        standby (the DAC output is then silent)."""
        if self.standby() or self.muted(channel):
            return None
        return self.volume_db(channel)

    def ramp_step_db(self):
        """Ramp-down step from register 63 D(1:0): 4, 2, 1 or 0.5 dB (Table 31)."""
        return (4.0, 2.0, 1.0, 0.5)[self.regs[63] & 0x03]

    def filter(self):
        return FILTER_PROGRAMS.get(self.regs[43] & 0x1F, "reserved")
