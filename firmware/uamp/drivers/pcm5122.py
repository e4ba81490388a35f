"""TI PCM5121/PCM5122 I2S DAC with I2C control (datasheet SLAS763C / ZHCSAC2C).

Paged register map (SLAS763C 8.6, "PCM512x Register Map"): register 0 selects the page;
everything here is on page 0. Bit positions also match the Linux ASoC pcm512x driver's
register definitions.
  2 standby/power-down: RQST bit 4 (standby request), RQPD bit 0 (power-down request)
  3 mute: RQML bit 4 (left), RQMR bit 0 (right); the chip ramps the volume down/up itself
  13 PLL reference SREF D(6:4): 000 SCK (default), 001 BCK ("Clock Generation Using the PLL")
  37 ignore errors: IDFS 6, IDBK 5, IDSK 4, IDCH 3 (ignore SCK halt), IDCM 2, DCAS 1 (0 =
     clock divider auto-set on, the default), IPLK 0; all 0 at reset
  40 I2S format AFMT D(5:4) (00 I2S), word length ALEN D(1:0): 00 16, 01 20, 10 24 (reset), 11 32
  43 DSP program / interpolation filter, D(4:0) (ZHCSAC2C interpolation filter table):
     1 normal, 2 low latency, 3 high attenuation, 7 asymmetric FIR
  60 volume control mode D(1:0): 00 independent (default)
  61/62 digital volume left/right (Table 29): code 0 = +24.0 dB, 48 = 0 dB,
     0.5 dB per code down to 254 = -103 dB, 255 = mute
  63 volume ramp (Tables 30, 31): ramp-down rate D(7:6), ramp-down step D(5:4), ramp-up rate
     D(3:2), ramp-up step D(1:0) (the Linux driver's VNDF, VNDS, VNUF, VNUS); rate 00 = every
     fs, 01 every 2, 10 every 4, 11 direct change; step 00 4 dB, 01 2 dB, 10 1 dB, 11 0.5 dB
  65 auto-mute (8.3.2.3 "Zero Data Detect", Table 5): ACTL bit 2 (1 = only when both
     channels are zero, reset), bits 1 and 0 enable it per channel (both 1 at reset)
Clocks: uamp's board layer drives no MCLK, so the DAC runs in 3-wire mode ("Clock Slave Mode
With BCK PLL to Generate Internal Clocks"): in software mode the PLL must be told to use BCK
(register 13) and the missing SCK must not count as a clock error (register 37 IDCH); the
dividers are then derived automatically (DCAS stays 0). The word length must match the I2S
words the board sends (register 40), or every sample is misread.
Auto-mute: after 1024 zero samples (21 ms at 48 kHz, register 59 at reset) the chip mutes
its analog output and unmutes abruptly on the first non-zero sample; uamp fades its own
volume, so auto-mute is switched off (register 65).
The chip is readable: every write is read back and compared.
"""

from micropython import const

_PAGE = const(0)
_STANDBY = const(2)
_MUTE = const(3)
_PLL_REF = const(13)
_IGNORE_ERRORS = const(37)
_I2S_FORMAT = const(40)
_FILTER = const(43)
_VOLUME_MODE = const(60)
_VOLUME_LEFT = const(61)
_VOLUME_RIGHT = const(62)
_RAMP = const(63)
_AUTO_MUTE = const(65)
_RQST = const(0x10)
_MUTE_BOTH = const(0x11)  # RQML | RQMR
_SREF_BCK = const(0x10)  # register 13 D(6:4) = 001
_IDCH = const(0x08)  # register 37: an SCK halt (there is no SCK) is no clock error
_ACTL = const(0x04)  # register 65 bit 2 at its reset value; both channel enables 0: off
# Register 63, field by field: every fs (00), 0.5 dB (11), down and up alike.
_RAMP_EVERY_FS = const(0)
_RAMP_HALF_DB = const(3)
_RAMP_SETTING = const(
    (_RAMP_EVERY_FS << 6) | (_RAMP_HALF_DB << 4) | (_RAMP_EVERY_FS << 2) | _RAMP_HALF_DB
)
WORD_LENGTHS = {16: 0, 20: 1, 24: 2, 32: 3}  # register 40 ALEN, AFMT 00 = I2S
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
    def __init__(self, i2c, addr, bits=16):
        if bits not in WORD_LENGTHS:
            raise ValueError("I2S word length must be 16, 20, 24 or 32 bits")
        self.i2c = i2c
        self.addr = addr
        self._one = bytearray(1)
        self.regs = {}
        self.filter = "normal"
        # Standby while configuring: clocks from BCK, word length, muted, 0 dB digital
        # volume, gentlest chip ramp, no auto-mute; then run.
        self._write(_PAGE, 0)
        self._write(_STANDBY, _RQST)
        self._write(_MUTE, _MUTE_BOTH)
        self._write(_PLL_REF, _SREF_BCK)
        self._write(_IGNORE_ERRORS, _IDCH)
        self._write(_I2S_FORMAT, WORD_LENGTHS[bits])
        self._write(_VOLUME_MODE, 0)
        self._write(_VOLUME_LEFT, VOLUME_0DB)
        self._write(_VOLUME_RIGHT, VOLUME_0DB)
        self._write(_RAMP, _RAMP_SETTING)
        self._write(_AUTO_MUTE, _ACTL)
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
        """After a sample-rate change, made in standby (register 2 RQST): the clock divider
        auto-set (register 37 DCAS left 0) derives the dividers from the new BCK/LRCK when
        the chip leaves standby, so nothing is written (the auto-set itself is not
        modelled; see docs/chips.md)."""
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
