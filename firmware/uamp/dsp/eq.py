"""EQ settings: a bass shelf plus a parametric EQ, validated, with presets and auto headroom.

Slot 0 of the biquad cascade is the bass low shelf, slots 1..BANDS the EQ bands. `compile`
turns the settings into the kernel's integer coefficients and the pre-gain (minus the largest
boost of the whole response, so a boosted EQ never clips a full-scale input). Any bad value
raises ValueError before anything is changed.
"""

import math
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


def _power(sections, w):
    """|H|**2 of a cascade of (b0, b1, b2, a1, a2) sections at w (radians per sample)."""
    c1, s1 = math.cos(w), math.sin(w)
    c2, s2 = 2 * c1 * c1 - 1, 2 * s1 * c1
    total = 1.0
    for b0, b1, b2, a1, a2 in sections:
        nr, ni = b0 + b1 * c1 + b2 * c2, b1 * s1 + b2 * s2
        dr, di = 1 + a1 * c1 + a2 * c2, a1 * s1 + a2 * s2
        total *= (nr * nr + ni * ni) / (dr * dr + di * di)
    return total


def peak_db(sections, rate, centres=()):
    """The largest gain (dB) of the cascade anywhere from DC to Nyquist, exact: a log grid plus
    the band centres, DC and Nyquist, then a golden-section search around the three highest
    local maxima (a product of biquads is smooth between grid points; narrow peaks sit at
    their centre, which is on the grid)."""
    if not sections:
        return 0.0
    nyquist = rate / 2
    freqs = sorted(set([10 * (nyquist / 10) ** (i / 63) for i in range(64)] + list(centres)))
    freqs = [0.0] + [f for f in freqs if 0 < f < nyquist] + [nyquist]
    k = 2 * math.pi / rate
    power = [_power(sections, k * f) for f in freqs]
    best = max(power)
    peaks = [i for i in range(1, len(freqs) - 1) if power[i - 1] <= power[i] >= power[i + 1]]
    peaks.sort(key=lambda i: -power[i])
    golden = (math.sqrt(5) - 1) / 2
    for i in peaks[:3]:
        lo, hi = k * freqs[i - 1], k * freqs[i + 1]
        a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
        pa, pb = _power(sections, a), _power(sections, b)
        for _ in range(40):
            if pa > pb:
                hi, b, pb = b, a, pa
                a = hi - golden * (hi - lo)
                pa = _power(sections, a)
            else:
                lo, a, pa = a, b, pb
                b = lo + golden * (hi - lo)
                pb = _power(sections, b)
        best = max(best, pa, pb)
    return 10 * math.log10(best)


def pregain_q24(peak):
    """Q24 pre-gain that takes back a boost of `peak` dB (unity for a cut)."""
    return min(1 << 24, int((1 << 24) * 10 ** (-max(0.0, peak) / 20)))


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
        out: "list[tuple | None]" = [None] * SLOTS
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
        return coefs, self.pregain(coefs, designs)

    def pregain(self, coefs, designs):
        """Q24 pre-gain for the integer coefficients `coefs` (the slots `designs` uses)."""
        sections = [biquad.unquantize(coefs, s * 5) for s in range(SLOTS) if designs[s]]
        centres = [b[1] for b in self.bands] + [BASS_HZ]
        return pregain_q24(peak_db(sections, self.rate, centres))

    @staticmethod
    def check_band(kind, freq_hz, gain_db, q, rate):
        """Validates one band (raises ValueError) and returns it as a tuple."""
        biquad.quantize(biquad.design(kind, freq_hz, gain_db, q, rate), array("i", [0] * 5))
        if not -12 <= gain_db <= 12:
            raise ValueError("EQ gain must be between -12 and +12 dB")
        return (kind, freq_hz, float(gain_db), q)
