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
# Largest difference (dB, 20 Hz - 20 kHz) a section's integer coefficients may make from its
# RBJ design, and all sections together (the sum of their worst): the EQ is then within
# 0.05 dB of the analytic response. Low, narrow bands are the ones that miss it (their poles
# sit next to z = 1, where one step of 2**-26 in a1 moves a 20 Hz Q 20 peak by 0.3 dB); the
# validator refuses those with a clear error.
SECTION_TOLERANCE_DB = 0.025
TOTAL_TOLERANCE_DB = 0.05

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
    """|H|**2 of a cascade of (b0, b1, b2, a1, a2) sections at w (radians per sample); for
    host-side analysis (float64). The firmware's own checks use _power_of_terms: float32 on
    the boards."""
    c1, s1 = math.cos(w), math.sin(w)
    c2, s2 = 2 * c1 * c1 - 1, 2 * s1 * c1
    total = 1.0
    for b0, b1, b2, a1, a2 in sections:
        nr, ni = b0 + b1 * c1 + b2 * c2, b1 * s1 + b2 * s2
        dr, di = 1 + a1 * c1 + a2 * c2, a1 * s1 + a2 * s2
        total *= (nr * nr + ni * ni) / (dr * dr + di * di)
    return total


def _power_of_terms(sections, w):
    """|H|**2 of a cascade of sections given as biquad terms (terms_of_ints/_parts) at w."""
    phi = math.sin(w / 2)
    phi *= phi
    total = 1.0
    for terms in sections:
        total *= biquad.power_of_terms(terms, phi)
    return total


def peak_db(sections, rate, centres=()):
    """The largest gain (dB) of a cascade of sections (biquad terms) anywhere from DC to
    Nyquist, exact: a log grid plus
    the band centres, DC and Nyquist, then a golden-section search around the three highest
    local maxima (a product of biquads is smooth between grid points; narrow peaks sit at
    their centre, which is on the grid)."""
    if not sections:
        return 0.0
    nyquist = rate / 2
    freqs = sorted(set([10 * (nyquist / 10) ** (i / 63) for i in range(64)] + list(centres)))
    freqs = [0.0] + [f for f in freqs if 0 < f < nyquist] + [nyquist]
    k = 2 * math.pi / rate
    power = [_power_of_terms(sections, k * f) for f in freqs]
    best = max(power)
    peaks = [i for i in range(1, len(freqs) - 1) if power[i - 1] <= power[i] >= power[i + 1]]
    peaks.sort(key=lambda i: -power[i])
    golden = (math.sqrt(5) - 1) / 2
    for i in peaks[:3]:
        lo, hi = k * freqs[i - 1], k * freqs[i + 1]
        a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
        pa, pb = _power_of_terms(sections, a), _power_of_terms(sections, b)
        for _ in range(40):
            if pa > pb:
                hi, b, pb = b, a, pa
                a = hi - golden * (hi - lo)
                pa = _power_of_terms(sections, a)
            else:
                lo, a, pa = a, b, pb
                b = lo + golden * (hi - lo)
                pb = _power_of_terms(sections, b)
        best = max(best, pa, pb)
    return 10 * math.log10(best)


def _check_freqs(freq, q, rate):
    """Where a section's error is looked for: a log grid over 20 Hz - 20 kHz and a dense one
    over three bandwidths either side of its frequency."""
    top = min(20000.0, rate / 2 * 0.999)
    freqs = [20 * (top / 20) ** (i / 59) for i in range(60)]
    freqs += [freq * (1 + k / (10 * q)) for k in range(-30, 31)]
    return [2 * math.pi * f / rate for f in freqs if 20 <= f <= top]


def _error_db(design, coefs, offset, ws):
    """Largest difference (dB) over ws of the stored section from its design (delta form)."""
    want_terms = [biquad.terms_of_parts(design)]
    got_terms = [biquad.terms_of_ints(coefs, offset)]
    worst = 0.0
    for w in ws:
        want = _power_of_terms(want_terms, w)
        if want > 1e-6:  # above -60 dB: a pass filter's deep stop band is not a level
            worst = max(worst, abs(10 * math.log10(_power_of_terms(got_terms, w) / want)))
    return worst


def fit(design, freq, q, rate, out, offset=0):
    """The kernel's integers for `design` (biquad.design_parts) into out[offset:offset+5]:
    rounded, then the
    neighbouring integers of a1 and a2 tried (the poles decide the error of a low band), the
    one closest to the design kept. ValueError (out untouched) if even that is more than
    SECTION_TOLERANCE_DB off, or the section is unstable or out of range (quantize)."""
    trial = array("i", [0] * 5)
    biquad.quantize(design, trial)
    ws = _check_freqs(freq, q, rate)
    best = _error_db(design, trial, 0, ws)
    base3, base4 = trial[3], trial[4]
    chosen = (base3, base4)
    for d3 in (-1, 0, 1) if best > SECTION_TOLERANCE_DB / 10 else ():  # most are close
        for d4 in (-1, 0, 1):
            a1, a2 = -(base3 + d3), -(base4 + d4)
            if (d3 or d4) and abs(a2) < biquad.COEF_ONE and abs(a1) < biquad.COEF_ONE + a2:
                trial[3], trial[4] = base3 + d3, base4 + d4
                error = _error_db(design, trial, 0, ws)
                if error < best:
                    best, chosen = error, (trial[3], trial[4])
    if best > SECTION_TOLERANCE_DB:
        raise ValueError(
            "%g Hz with Q %g: the fixed-point filter would be %.2f dB off the exact response"
            " (at most %.3f); lower the Q or raise the frequency"
            % (freq, q, best, SECTION_TOLERANCE_DB)
        )
    trial[3], trial[4] = chosen
    for i in range(5):
        out[offset + i] = trial[i]
    return best


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
        """The design (biquad.design_parts) of every slot (None = identity) for the given
        settings."""
        bands = self.bands if bands is None else bands
        enabled = self.enabled if enabled is None else enabled
        bass_db = self.bass_db if bass_db is None else bass_db
        out: "list[tuple | None]" = [None] * SLOTS
        if bass_db:
            out[0] = biquad.design_parts("lowshelf", BASS_HZ, bass_db, BASS_SLOPE_Q, self.rate)
        for i in range(BANDS):
            kind, freq, gain, q = bands[i]
            if enabled and not _is_identity(kind, gain):
                out[i + 1] = biquad.design_parts(kind, freq, gain, q, self.rate)
        return out

    def compile(self, designs):
        """Integer coefficients for every slot (array('i'), 5 per slot) and the Q24 pre-gain."""
        coefs = array("i", bytes(4 * 5 * SLOTS))
        off = 0.0
        for slot in range(SLOTS):
            if designs[slot] is None:
                biquad.identity(coefs, slot * 5)
            else:
                _kind, freq, _gain, q = (
                    (None, BASS_HZ, 0, BASS_SLOPE_Q) if slot == 0 else self.bands[slot - 1]
                )
                off += fit(designs[slot], freq, q, self.rate, coefs, slot * 5)
        if off > TOTAL_TOLERANCE_DB:
            raise ValueError(
                "together these bands would be up to %.2f dB off the exact response (at most"
                " %.2f); lower a Q or raise a frequency" % (off, TOTAL_TOLERANCE_DB)
            )
        return coefs, self.pregain(coefs, designs)

    def pregain(self, coefs, designs):
        """Q24 pre-gain for the integer coefficients `coefs` (the slots `designs` uses)."""
        sections = [biquad.terms_of_ints(coefs, s * 5) for s in range(SLOTS) if designs[s]]
        centres = [b[1] for b in self.bands] + [BASS_HZ]
        return pregain_q24(peak_db(sections, self.rate, centres))

    @staticmethod
    def check_band(kind, freq_hz, gain_db, q, rate):
        """Validates one band (raises ValueError) and returns it as a tuple."""
        design = biquad.design_parts(kind, freq_hz, gain_db, q, rate)
        if not -12 <= gain_db <= 12:
            raise ValueError("EQ gain must be between -12 and +12 dB")
        fit(design, freq_hz, q, rate, array("i", [0] * 5))
        return (kind, freq_hz, float(gain_db), q)
