"""PCM5122 model (TI SLAS763C / ZHCSAC2C): I2C address set by the ADR pins (0x4C..0x4F),
register 0 selects the page. Page 0 registers modelled (bit positions also as the Linux ASoC
pcm512x driver defines them):
  2 standby/power-down (RQST bit 4, RQPD bit 0); 3 mute (RQML bit 4, RQMR bit 0)
  13 PLL reference SREF D(6:4): 000 SCK, 001 BCK ("Clock Generation Using the PLL")
  37 ignore errors: IDFS 6, IDBK 5, IDSK 4, IDCH 3 (SCK halt), IDCM 2, DCAS 1, IPLK 0
  40 AFMT D(5:4) (00 I2S), ALEN D(1:0) word length: 00 16, 01 20, 10 24, 11 32 bits
  43 filter program; 59 auto-mute time AMTL D(6:4), AMTR D(2:0) (Table 6)
  60 volume mode; 61/62 digital volume (0 = +24 dB, 48 = 0 dB, 0.5 dB per code, 255 = mute)
  63 ramp: down rate D(7:6), down step D(5:4), up rate D(3:2), up step D(1:0) (Tables 30, 31)
  65 auto-mute: ACTL bit 2 (1 = both channels must be zero), bit 0 left, bit 1 right enable
     (ZHCSAC2C Table 5; its register map names bit 1 AMLE but describes it as the right
     channel, and the Linux driver takes bit 1 as left: not settled, uamp clears both)
Power-up: page 0, volume 48 (0 dB), not muted, ramp 0x22 (1 dB every fs both ways), filter
1, PLL reference SCK, no errors ignored, 24-bit words, auto-mute after 1024 zero samples on
both channels (the Linux driver's register defaults agree).

Clocks: the model sees the board's I2S port (`i2s_id`) and whether an SCK (MCLK) is wired
(`sck`; uamp's boards wire none). Without SCK the chip only plays in the 3-wire mode of
"Clock Slave Mode With BCK PLL to Generate Internal Clocks": PLL from BCK and the SCK halt
ignored; otherwise it reports a clock error and the outputs stay at bipolar zero (Audio
Serial Interface section). A word length that is not the port's misreads every sample: the
model reports it as an error and plays nothing (stricter than the chip, which plays noise).
Zero data detect: sim/chips/zero_detect.py. The volume ramp is not timed: the state
reports the level the chip ramps to.
"""

from sim.chips.i2c_registers import I2CRegisterChip
from sim.chips.zero_detect import ZeroDataDetect

FILTER_PROGRAMS = {1: "normal", 2: "low-latency", 3: "high-attenuation", 7: "asymmetric"}
RAMP_EVERY_FS = (1, 2, 4, None)  # Table 30: 00 every fs, 01 every 2, 10 every 4, 11 direct
RAMP_STEP_DB = (4.0, 2.0, 1.0, 0.5)  # Table 31
WORD_BITS = (16, 20, 24, 32)  # register 40 ALEN
AUTO_MUTE_FRAMES = (1024, 5120, 10240, 25600, 51200, 102400, 256000, 512000)  # Table 6
SREF_BCK = 1
IDCH = 0x08


class PCM5122Model(I2CRegisterChip):
    writable = (0, 2, 3, 13, 37, 40, 43, 59, 60, 61, 62, 63, 65)

    def __init__(self, world, addr, i2s_id=0, sck=False):
        super().__init__()
        self.world = world
        self.addr = addr
        self.i2s_id = i2s_id
        self.sck = sck
        self.page = 0
        self.regs = {
            0: 0, 2: 0x00, 3: 0x00, 13: 0x00, 37: 0x00, 40: 0x02, 43: 1,
            59: 0x00, 60: 0, 61: 48, 62: 48, 63: 0x22, 65: 0x07,
        }  # fmt: skip
        self.zero_detect = ZeroDataDetect(world, i2s_id, self._playing)
        self._auto_mute_settings()

    def write_register(self, reg, value):
        if reg == 0:
            self.page = value
        elif self.page != 0:
            self.protocol_errors.append(
                "register %d on page %d is not modelled" % (reg, self.page)
            )
            return
        super().write_register(reg, value)
        if reg in (59, 65):
            self._auto_mute_settings()

    def _auto_mute_settings(self):
        detect = self.zero_detect
        times = self.regs[59]
        detect.thresholds[0] = AUTO_MUTE_FRAMES[(times >> 4) & 0x07]
        detect.thresholds[1] = AUTO_MUTE_FRAMES[times & 0x07]
        control = self.regs[65]
        detect.enabled[0] = bool(control & 0x01)
        detect.enabled[1] = bool(control & 0x02)
        detect.both = bool(control & 0x04)

    def standby(self):
        return bool(self.regs[2] & 0x11)

    def muted(self, channel=0):
        return bool(self.regs[3] & (0x10 if channel == 0 else 0x01))

    def enabled(self):
        return not self.standby()

    def _playing(self):
        return not self.standby() and not (self.muted(0) and self.muted(1))

    def word_bits(self):
        return WORD_BITS[self.regs[40] & 0x03]

    def clock_error(self):
        """Why the chip cannot play the board's I2S stream, or None when it can."""
        port = self.world.i2s_ports.get(self.i2s_id)
        if port is None or not port.active:
            return "no I2S clocks"
        if not self.sck:
            if not self.regs[37] & IDCH:
                return "clock error: SCK halted (register 37 IDCH not set)"
            if (self.regs[13] >> 4) & 0x07 != SREF_BCK:
                return "clock error: PLL referenced to the missing SCK (register 13)"
        if self.word_bits() != port.bits:
            return "word length: register 40 says %d bits, the I2S words are %d" % (
                self.word_bits(),
                port.bits,
            )
        return None

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
        """Digital volume of channel 0 (left) or 1 (right) in dB; None when the output is
        silent: muted, in standby, a clock or format error, or the zero-data mute."""
        if self.standby() or self.muted(channel) or self.clock_error() is not None:
            return None
        if self.zero_detect.muted[channel]:
            return None
        return self.volume_db(channel)

    def ramp_down(self):
        """(every N fs or None for a direct change, step dB) from register 63 D(7:6), D(5:4)."""
        value = self.regs[63]
        return RAMP_EVERY_FS[value >> 6], RAMP_STEP_DB[(value >> 4) & 0x03]

    def ramp_up(self):
        """(every N fs or None for a direct change, step dB) from register 63 D(3:2), D(1:0)."""
        value = self.regs[63]
        return RAMP_EVERY_FS[(value >> 2) & 0x03], RAMP_STEP_DB[value & 0x03]

    def filter(self):
        return FILTER_PROGRAMS.get(self.regs[43] & 0x1F, "reserved")
