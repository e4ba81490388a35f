"""TI PGA2311 stereo analog volume control, 3-wire serial (SPI mode 0, MSB first).

Datasheet SBOS218: one 16-bit write while /CS is low, right-channel byte first, then left
(serial interface section); gain(dB) = 31.5 - 0.5 * (255 - N) for N = 1..255, N = 0 mutes
(gain equation). /MUTE low mutes; ZCEN high makes changes wait for a zero crossing.
The chip cannot be read back, so the driver keeps a shadow copy of the last word written.
"""

MIN_DB = -95.5
MAX_DB = 31.5
STEP_DB = 0.5
MUTE_CODE = 0


def code_for_db(db):
    """Gain code N for a gain in dB, rounded to the 0.5 dB grid and clamped to 1..255."""
    code = int(round(2 * db)) + 192  # N = 192 is 0 dB
    return max(1, min(255, code))


def db_for_code(code):
    if code == MUTE_CODE:
        return None
    return 31.5 - 0.5 * (255 - code)


class PGA2311:
    min_db = MIN_DB
    max_db = MAX_DB

    def __init__(self, spi, cs, mute=None, zcen=None):
        self.spi = spi
        self.cs = cs
        self.mute_pin = mute
        self.zcen_pin = zcen
        self._word = bytearray(2)
        self.codes = (MUTE_CODE, MUTE_CODE)  # shadow: (left, right) as last written
        self.wanted = (MUTE_CODE, MUTE_CODE)  # what set_gain_db asked for last
        self.muted = True
        cs(1)
        if zcen is not None:
            zcen(1)  # change gain at zero crossings: no zipper noise from the analog steps
        self.mute(True)
        self.write_codes(MUTE_CODE, MUTE_CODE)

    def zero_cross(self, on):
        """ZCEN high: a new gain waits for a zero crossing, up to 16 ms (SBOS218); low: it
        applies at once, e.g. in step with a gain relay switched the other way."""
        if self.zcen_pin is not None:
            self.zcen_pin(1 if on else 0)

    def write_codes(self, left, right):
        word = self._word
        word[0] = right  # SBOS218: R7..R0 shift in first
        word[1] = left
        self.cs(0)
        self.spi.write(word)
        self.cs(1)
        self.codes = (left, right)

    def gain_for(self, left_db, right_db):
        """The gains (left, right) set_gain_db would realise, without touching the chip."""
        return db_for_code(code_for_db(left_db)), db_for_code(code_for_db(right_db))

    def next_gain_db(self, gain_db, up):
        """The next gain step above (up) or below `gain_db`, within the chip's range."""
        return max(MIN_DB, min(MAX_DB, gain_db + (STEP_DB if up else -STEP_DB)))

    def set_gain_db(self, left_db, right_db):
        """Set both channels; returns the gains realised (dB on the chip's 0.5 dB grid)."""
        left = code_for_db(left_db)
        right = code_for_db(right_db)
        self.wanted = (left, right)
        if self.muted and self.mute_pin is None:
            return db_for_code(left), db_for_code(right)  # held at code 0 until unmuted
        if (left, right) != self.codes:
            self.write_codes(left, right)
        return db_for_code(left), db_for_code(right)

    def mute(self, on):
        """/MUTE pin when wired; without it, gain code 0 (SBOS218: N = 0 is mute)."""
        self.muted = on
        if self.mute_pin is not None:
            self.mute_pin(0 if on else 1)
        elif on:
            self.write_codes(MUTE_CODE, MUTE_CODE)
        elif self.codes != self.wanted:
            self.write_codes(self.wanted[0], self.wanted[1])

    def enable(self, on):
        pass  # no enable input: the amp-enable GPIO and /MUTE cover it
