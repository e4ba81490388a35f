"""EQ settings: a bass shelf plus a parametric EQ, validated, with presets and auto headroom.

Slot 0 of the biquad cascade is the bass low shelf, slots 1..BANDS the EQ bands. `compile`
turns the settings into the kernel's integer coefficients and the pre-gain (minus the largest
boost of the whole response, so a boosted EQ never clips a full-scale input). Any bad value
raises ValueError before anything is changed.
"""

from array import array

from uamp.dsp import biquad

BANDS = 5
SLOTS = BANDS + 1
BASS_HZ = 100
BASS_SLOPE_Q = 0.7
BASS_MAX_DB = 12
FLAT = ("peak", 1000, 0.0, 1.0)

# name -> 5 bands of (kind, Hz, dB, Q). Gentle, well-known shapes, not measurements.
PRESETS = {
    "flat": (
        ("lowshelf", 105, 0.0, 0.7),
        ("peak", 250, 0.0, 1.0),
        ("peak", 1000, 0.0, 1.0),
        ("peak", 3000, 0.0, 1.0),
        ("highshelf", 10000, 0.0, 0.7),
    ),
    "warm": (
        ("lowshelf", 105, 3.0, 0.7),
        ("peak", 250, 1.0, 1.0),
        ("peak", 1000, 0.0, 1.0),
        ("peak", 3000, -1.5, 1.4),
        ("highshelf", 10000, -2.0, 0.7),
    ),
    "vocal": (
        ("highpass", 40, 0.0, 0.7),
        ("peak", 250, -1.5, 1.0),
        ("peak", 1500, 2.0, 0.9),
        ("peak", 3500, 1.5, 1.2),
        ("highshelf", 10000, -1.0, 0.7),
    ),
    "bright": (
        ("lowshelf", 105, -1.0, 0.7),
        ("peak", 250, 0.0, 1.0),
        ("peak", 2000, 1.0, 1.0),
        ("peak", 6000, 2.0, 1.4),
        ("highshelf", 10000, 3.0, 0.7),
    ),
}


def _is_identity(kind, gain_db):
    return kind in ("peak", "lowshelf", "highshelf") and gain_db == 0


def _frequencies(rate, extra):
    freqs = [20 * 1000 ** (i / 47) for i in range(48)]  # 20 Hz .. 20 kHz, log spaced
    return [f for f in freqs + list(extra) if f < rate / 2]


class EqSettings:
    def __init__(self, rate):
        self.rate = rate
        self.bands = [FLAT] * BANDS
        self.enabled = True
        self.bass_db = 0.0
        self.preset = None

    def designs(self, bands=None, enabled=None, bass_db=None):
        """The (b0, b1, b2, a1, a2) of every slot (None = identity) for the given settings."""
        bands = self.bands if bands is None else bands
        enabled = self.enabled if enabled is None else enabled
        bass_db = self.bass_db if bass_db is None else bass_db
        out = [None] * SLOTS
        if bass_db:
            out[0] = biquad.design("lowshelf", BASS_HZ, bass_db, BASS_SLOPE_Q, self.rate)
        for i in range(BANDS):
            kind, freq, gain, q = bands[i]
            if enabled and not _is_identity(kind, gain):
                out[i + 1] = biquad.design(kind, freq, gain, q, self.rate)
        return out

    def compile(self, designs):
        """Integer coefficients for every slot (array('i'), 5 per slot) and the Q24 pre-gain."""
        coefs = array("i", bytes(4 * 5 * SLOTS))
        for slot in range(SLOTS):
            if designs[slot] is None:
                biquad.identity(coefs, slot * 5)
            else:
                biquad.quantize(designs[slot], coefs, slot * 5)
        peak = 0.0
        centres = [b[1] for b in self.bands] + [BASS_HZ]
        for f in _frequencies(self.rate, centres):
            total = 0.0
            for slot in range(SLOTS):
                if designs[slot] is not None:
                    total += biquad.response_db(biquad.unquantize(coefs, slot * 5), f, self.rate)
            peak = max(peak, total)
        pregain = int(round((1 << 24) * 10 ** (-peak / 20)))
        return coefs, pregain

    @staticmethod
    def check_band(kind, freq_hz, gain_db, q, rate):
        """Validates one band (raises ValueError) and returns it as a tuple."""
        biquad.quantize(biquad.design(kind, freq_hz, gain_db, q, rate), array("i", [0] * 5))
        if not -12 <= gain_db <= 12:
            raise ValueError("EQ gain must be between -12 and +12 dB")
        return (kind, freq_hz, float(gain_db), q)
