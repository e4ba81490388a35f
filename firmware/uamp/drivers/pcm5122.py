"""TI PCM5121/PCM5122 I2S DAC with I2C control (datasheet SLAS763 / ZHCSAC2C).

Paged register map: register 0 selects the page; everything here is on page 0.
  2 standby/power-down: RQST bit 4 (standby request), RQPD bit 0 (power-down request)
  3 mute: RQML bit 4 (left), RQMR bit 0 (right); the chip ramps the volume down/up itself
  43 DSP program / interpolation filter, D(4:0) (ZHCSAC2C interpolation filter table):
     1 normal, 2 low latency, 3 high attenuation, 7 asymmetric FIR
  60 volume control mode D(1:0): 00 independent (default)
  61/62 digital volume left/right (ZHCSAC2C Table 29): code 0 = +24.0 dB, 48 = 0 dB,
     0.5 dB per code down to 254 = -103 dB, 255 = mute
  63 volume ramp (Tables 30 and 31): ramp-up speed D(7:6), step D(5:4), ramp-down speed D(3:2),
     step D(1:0); speed 00 = every fs; step 11 = 0.5 dB (step table checked in the TAS3251
     datasheet, which carries the same block; the PCM5122 copy we read was cut off there)
The chip is readable: every write is read back and compared.
"""

from micropython import const

_PAGE = const(0)
_STANDBY = const(2)
_MUTE = const(3)
_FILTER = const(43)
_VOLUME_MODE = const(60)
_VOLUME_LEFT = const(61)
_VOLUME_RIGHT = const(62)
_RAMP = const(63)
_RQST = const(0x10)
_MUTE_BOTH = const(0x11)  # RQML | RQMR
_RAMP_HALF_DB_EVERY_FS = const(0x33)  # up: every fs, 0.5 dB; down: every fs, 0.5 dB
VOLUME_0DB = const(48)
VOLUME_MUTE = const(255)
MAX_DB = 24.0
MIN_DB = -103.0
FILTERS = {"normal": 1, "low-latency": 2, "high-attenuation": 3, "asymmetric": 7}


def volume_code(db):
    """Register 61/62 code for a level in dB: 0.5 dB grid, clamped to +24..-103 dB."""
    code = VOLUME_0DB - int(round(2 * db))
    return max(0, min(254, code))


def volume_db(code):
    return None if code == VOLUME_MUTE else (VOLUME_0DB - code) / 2


class PCM5122:
    def __init__(self, i2c, addr):
        self.i2c = i2c
        self.addr = addr
        self._one = bytearray(1)
        self.regs = {}
        self.filter = "normal"
        # Standby while configuring, muted, 0 dB digital volume, gentlest chip ramp; then run.
        self._write(_PAGE, 0)
        self._write(_STANDBY, _RQST)
        self._write(_MUTE, _MUTE_BOTH)
        self._write(_VOLUME_MODE, 0)
        self._write(_VOLUME_LEFT, VOLUME_0DB)
        self._write(_VOLUME_RIGHT, VOLUME_0DB)
        self._write(_RAMP, _RAMP_HALF_DB_EVERY_FS)
        self._write(_FILTER, FILTERS["normal"])
        self._write(_STANDBY, 0)

    def _write(self, reg, value):
        """Write and read back; on failure the shadow forgets the register (see TPA6130A2)."""
        self.regs[reg] = None
        one = self._one
        one[0] = value
        self.i2c.writeto_mem(self.addr, reg, one)
        self.i2c.readfrom_mem_into(self.addr, reg, one)
        if one[0] != value:
            raise OSError("PCM5122 register %d reads 0x%02x, wrote 0x%02x" % (reg, one[0], value))
        self.regs[reg] = value

    def mute(self, on):
        """Soft mute both channels (register 3); the chip ramps per register 63."""
        value = _MUTE_BOTH if on else 0
        if self.regs.get(_MUTE) != value:
            self._write(_MUTE, value)

    def standby(self, on):
        """Standby (register 2 RQST) around a clock or sample-rate change."""
        self._write(_STANDBY, _RQST if on else 0)

    def set_rate(self, rate):
        """After a sample-rate change, made in standby (register 2 RQST): the chip's default
        clock auto-set derives its dividers from the new I2S clocks when it leaves standby,
        so nothing is written (unverified beyond the default register values; see
        docs/chips.md)."""
        self.rate = rate

    def set_volume_db(self, left_db, right_db):
        """Digital volume registers 61/62; returns the levels set (0.5 dB grid)."""
        left = volume_code(left_db)
        right = volume_code(right_db)
        if self.regs.get(_VOLUME_LEFT) != left:
            self._write(_VOLUME_LEFT, left)
        if self.regs.get(_VOLUME_RIGHT) != right:
            self._write(_VOLUME_RIGHT, right)
        return volume_db(left), volume_db(right)

    def set_filter(self, name):
        program = FILTERS.get(name)
        if program is None:
            raise ValueError("filter must be one of %s" % ", ".join(sorted(FILTERS)))
        self._write(_FILTER, program)
        self.filter = name
