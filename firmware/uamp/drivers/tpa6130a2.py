"""TI TPA6130A2 stereo headphone amplifier with I2C volume (datasheet SLOS488B).

Registers (SLOS488B register map; bit positions match the Linux tpa6130a2 driver):
  1 control: HP_EN_L bit 7, HP_EN_R bit 6, mode bits 5:4 (00 stereo), thermal flag bit 1,
    SWS (software shutdown) bit 0
  2 volume and mute: Mute_L bit 7, Mute_R bit 6, V[5:0] one volume for both channels
  3 output impedance (HiZ_L bit 1, HiZ_R bit 0), 4 version
Power-up state (SLOS488B "Default Mode"): SWS off, HP enables off, stereo, both mutes on,
volume code 0 (-59.5 dB). The chip has no zero-cross detector or ramp: the firmware ramps.
The chip is readable, so every write is read back and compared (a mismatch is a fault).
Nothing is sent before enable(True): the board's amp-enable GPIO drives the SD pin, and
whether the I2C port answers in hardware shutdown is not settled (SLOS488 8.4.1), so the
driver keeps its settings in the shadow until the chip is powered, then writes them all.
The chip needs 5 ms after SD rises ("Start-up time from shutdown", SLOS488B Operating
Characteristics): the caller waits `startup_ms` between raising SD and enable(True).
"""

from micropython import const

ADDRESS = const(0x60)
STARTUP_MS = const(5)
_CONTROL = const(1)
_VOLUME = const(2)
_HP_EN_L = const(0x80)
_HP_EN_R = const(0x40)
_MUTE_L = const(0x80)
_MUTE_R = const(0x40)
_VOLUME_MASK = const(0x3F)

# SLOS488B Table 2 "Audio Taper Gain Values", nominal dB by V[5:0]. Codes 31 and 63 could not
# be read in the copy we checked: None marks them, and the driver never selects them.
GAIN_DB = (
    -59.5, -53.5, -50.0, -47.5, -45.5, -43.9, -41.4, -39.5,
    -36.5, -35.3, -33.3, -31.7, -30.4, -28.6, -27.1, -26.3,
    -24.7, -23.7, -22.5, -21.7, -20.5, -19.6, -18.8, -17.8,
    -17.0, -16.2, -15.2, -14.5, -13.7, -13.0, -12.3, None,
    -10.9, -10.3, -9.7, -9.0, -8.5, -7.8, -7.2, -6.7,
    -6.1, -5.6, -5.1, -4.5, -4.1, -3.5, -3.1, -2.6,
    -2.1, -1.7, -1.2, -0.8, -0.3, 0.1, 0.5, 0.9,
    1.4, 1.7, 2.1, 2.5, 2.9, 3.3, 3.6, None,
)  # fmt: skip
MIN_DB = -59.5
MAX_DB = 3.6  # highest verified code (62)


def code_for_db(db):
    """The lowest verified code whose gain is at least `db` (so a digital trim, which can only
    attenuate, makes up the rest exactly); the top verified code when `db` is above it."""
    best = 0  # GAIN_DB always has verified codes: this is never returned as it is
    for code in range(len(GAIN_DB)):
        gain = GAIN_DB[code]
        if gain is None:
            continue
        best = code
        if gain >= db - 0.001:
            return code
    return best


class TPA6130A2:
    min_db = MIN_DB
    max_db = MAX_DB
    # SLOS488B Operating Characteristics, "Start-up time from shutdown": 5 ms. The app raises
    # SD (the amp enable) and waits this long before enable(True) writes anything.
    startup_ms = STARTUP_MS

    def __init__(self, i2c, addr=ADDRESS):
        self.i2c = i2c
        self.addr = addr
        self._one = bytearray(1)
        # shadow: power-up defaults (None: unknown, after a failed write)
        self.regs: "dict[int, int | None]" = {_CONTROL: 0, _VOLUME: _MUTE_L | _MUTE_R}
        self.code = 0
        self.muted = True
        self.powered = False  # no bus traffic until enable(True)

    def _write(self, reg, value):
        """Write and read back. On any failure the shadow forgets the register, so the next
        write of it (a mute, say) goes to the chip instead of being skipped as unchanged."""
        self.regs[reg] = None
        one = self._one
        one[0] = value
        self.i2c.writeto_mem(self.addr, reg, one)
        self.i2c.readfrom_mem_into(self.addr, reg, one)
        got = one[0] & 0xF1 if reg == _CONTROL else one[0]  # 1: thermal flag; 3:2 reserved
        if got != value:
            raise OSError(
                "TPA6130A2 register %d reads 0x%02x, wrote 0x%02x" % (reg, one[0], value)
            )
        self.regs[reg] = value

    def enable(self, on):
        """Headphone outputs on or off (HP_EN_L and HP_EN_R; SWS stays clear). Switching on
        first writes the volume and mutes the shadow holds, whatever the chip had."""
        if on:
            self._write(_VOLUME, self._volume_byte())
            self.powered = True
        self._write(_CONTROL, (_HP_EN_L | _HP_EN_R) if on else 0)
        if not on:
            self.powered = False

    def _volume_byte(self):
        return (_MUTE_L | _MUTE_R if self.muted else 0) | self.code

    def gain_for(self, left_db, right_db):
        """The gains (left, right) set_gain_db would realise, without touching the chip."""
        gain = GAIN_DB[code_for_db(max(left_db, right_db))]
        return gain, gain

    def next_gain_db(self, gain_db, up):
        """The chip's next verified gain above (up) or below `gain_db`, or `gain_db` at the
        end of its range: the volume controller moves one code at a time."""
        step = 1 if up else -1
        code = code_for_db(gain_db) + step
        while 0 <= code < len(GAIN_DB):
            if GAIN_DB[code] is not None:
                return GAIN_DB[code]
            code += step
        return gain_db

    def set_gain_db(self, left_db, right_db):
        """One volume for both channels: the code covers the louder request; returns the
        nominal gains (left, right) the chip now has, for the digital trim to correct."""
        code = code_for_db(max(left_db, right_db))
        if code != self.code:
            self.code = code
            if self.powered:
                self._write(_VOLUME, self._volume_byte())
        gain = GAIN_DB[code]
        return gain, gain

    def mute(self, on):
        self.muted = on
        if self.powered and self.regs[_VOLUME] != self._volume_byte():
            self._write(_VOLUME, self._volume_byte())
