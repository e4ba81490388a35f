"""Biquad cascade on the Q23 work buffer: RBJ Audio EQ Cookbook shapes, 32-bit-safe math.

Numbers (every product and sum below fits a signed 32-bit int, proven in the docstrings' bounds
and by the armv6m emulator test):
- samples: Q23 (a 16-bit sample << 8), |v| < 2**26 (+18 dB headroom; outputs are clamped there)
- coefficients: c * 2**26 stored as one int, |c| < 8 each and sum(|c|) <= 24 per section
  (checked by `quantize`), a1/a2 stored negated so every term adds
- c * v is split in 14-bit halves: c = ch*2**14 + cl, v = vh*2**14 + vl, so
  c*v / 2**26 = 4*ch*vh + (ch*vl + cl*vh + cl*vl / 2**14) / 2**12. The first part sums to
  |H| < 1.5 * 2**30, the middle to |M| < 29 * 2**26 < 2**31.
- The output is rounded to an integer, but the section's history keeps the exact value: its
  floor w (y1, y2) and its fraction e (e1, e2, 12 bits: units of 2**-12 LSB), and the
  recursion multiplies both by a1 and a2. a*e/2**26 in units of 2**-12 is ah*e/2**12 +
  al*e/2**26: ah*e*4 and (al*e) >> 12 go into the low sum (|ah*e*4| < 2**27, al*e < 2**26).
  This is error feedback with the section's own coefficients: the output differs from the
  filter run exactly by its final rounding alone (+-0.5 LSB, white), a tail decays as the
  exact filter's does, and once the input is silent the output reaches exact zero (what is
  left in e is below 0.5 LSB and rounds to 0). Feedback of 2*e1 - e2 instead (shaped by
  (1 - z**-1)**2, 12 cycles a sample cheaper) matches a1, a2 only near DC: some silent
  sections then emitted a +-1 pulse every few thousand samples forever (an idle tone).
- The low products cl*vl (each >= 0 and < 2**28), the e products and the remainder r (< 2**14)
  the low sum left at the previous sample are summed whole: lo < 5 * 2**28 + 1.5 * 2**27
  + 2**16 < 2**31 and > -1.5 * 2**27. M gets lo >> 14, the next sample lo & 0x3FFF (fraction
  saving). Flooring each low product instead lost 2.5 units of M a sample on average: a DC
  that a low section's 1/A(1) (up to 2**17) made tens of LSB, and a floor that held the silent
  tail at a constant.
State per section and channel: x1, x2, w1, w2, e1, e2, r (7 ints; silence is all zero).
"""

import math

import micropython

COEF_SHIFT = 26
COEF_ONE = 1 << COEF_SHIFT
COEF_MAX = 8 * COEF_ONE - 1  # |c| < 8: the sign-extension trick needs |v| < 2**29
COEF_SUM_MAX = 24 * COEF_ONE  # sum of |c| per section
LIMIT = (1 << 26) - 1  # clamp of every section output, Q23 units
STATE_PER = 7  # ints of state per section and channel
KINDS = ("peak", "lowshelf", "highshelf", "lowpass", "highpass")


def design(kind, freq_hz, gain_db, q, rate):
    """(b0, b1, b2, a1, a2) normalized by a0, from the RBJ Audio EQ Cookbook (R. Bristow-Johnson):
    peaking EQ, low/high shelf with slope given as Q, 2nd-order low/high pass."""
    return coefs_of(design_parts(kind, freq_hz, gain_db, q, rate))


def design_parts(kind, freq_hz, gain_db, q, rate):
    """The design of `design` in delta form: (g, base, d0, d1, d2, e1, e2) with
    b_i = g * (base_i + d_i), a1 = -2 + e1, a2 = 1 + e2, base (1, -2, 1) or (0, 0, 0).

    Why: a low band's coefficients sit next to (1, -2, 1), and the boards compute floats in
    single precision (24 bits), coarser than the Q26 integers: 1 - cos(w0) loses most of its
    digits there (a 30 Hz Q 5 band came out 0.26 dB off on the rp2 port). The deltas are
    written as sums of small positive terms of t = sin(w0/2)**2 and alpha (RBJ's formulas with
    cos(w0) = 1 - 2t, rearranged), which float32 carries to full relative precision."""
    if kind not in KINDS:
        raise ValueError("filter kind must be one of: %s" % ", ".join(KINDS))
    for value in (freq_hz, gain_db, q):
        if type(value) not in (int, float) or value != value:
            raise ValueError("filter settings must be numbers")
    if not 0 < freq_hz < rate / 2:
        raise ValueError("frequency must be between 0 and %d Hz" % (rate // 2))
    if not 0 < q <= 20:
        raise ValueError("Q must be above 0 and at most 20")
    if not -24 <= gain_db <= 24:
        raise ValueError("gain must be between -24 and +24 dB")
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * freq_hz / rate
    t = math.sin(w0 / 2) ** 2
    alpha = math.sin(w0) / (2 * q)
    if kind == "peak":
        a0 = 1 + alpha / a
        d1 = (4 * t + 2 * alpha / a) / a0
        return (
            1.0,
            1,
            alpha * (a - 1 / a) / a0,
            d1,
            -alpha * (a + 1 / a) / a0,
            d1,
            -2 * alpha / a / a0,
        )
    if kind == "lowpass" or kind == "highpass":
        a0 = 1 + alpha
        e1, e2 = (4 * t + 2 * alpha) / a0, -2 * alpha / a0
        if kind == "lowpass":  # b = (t, 2t, t) / a0
            return (1.0, 0, t / a0, 2 * t / a0, t / a0, e1, e2)
        d0 = -(t + alpha) / a0  # b = (1 - t, -2 (1 - t), 1 - t) / a0
        return (1.0, 1, d0, -2 * d0, d0, e1, e2)
    # A high shelf of gain A is A**2 times the low shelf of 1/A (same corner and slope).
    g = 1.0
    if kind == "highshelf":
        g, a = a * a, 1 / a
    sq = 2 * math.sqrt(a) * alpha
    a0 = 2 * a - 2 * (a - 1) * t + sq
    return (
        g,
        1,
        (a - 1) * (2 * (a + 1) * t + sq) / a0,
        (4 * t * (a * a + 1) + 2 * sq) / a0,
        (a + 1) * (2 * (a - 1) * t - sq) / a0,
        (8 * t + 2 * sq) / a0,
        -2 * sq / a0,
    )


def coefs_of(parts):
    """(b0, b1, b2, a1, a2) of a design in delta form (host-side analysis: float64 there)."""
    g, base, d0, d1, d2, e1, e2 = parts
    return (g * (base + d0), g * (d1 - 2 * base), g * (base + d2), e1 - 2, 1 + e2)


def quantize(parts, out, offset=0):
    """Write a design in delta form (`design_parts`) as the kernel's integers into
    out[offset:offset+5]: the bases are exact integers, only the small deltas are rounded.

    Raises ValueError (out untouched) if the section is unstable after rounding or breaks the
    32-bit bounds in the module docstring."""
    g, base, d0, d1, d2, e1, e2 = parts
    k = int(round(g * COEF_ONE)) * base  # g * base exactly in integers: a gain error of 2**-24
    q = [
        k + int(round(g * d0 * COEF_ONE)),
        -2 * k + int(round(g * d1 * COEF_ONE)),
        k + int(round(g * d2 * COEF_ONE)),
        2 * COEF_ONE - int(round(e1 * COEF_ONE)),  # a1, a2 stored negated
        -COEF_ONE - int(round(e2 * COEF_ONE)),
    ]
    a1 = -q[3]
    a2 = -q[4]
    # Stability triangle of a 2nd-order denominator, on the rounded values: |a2| < 1, |a1| < 1+a2.
    if not (abs(a2) < COEF_ONE and abs(a1) < COEF_ONE + a2):
        raise ValueError("filter is unstable (poles outside the unit circle)")
    if max(abs(v) for v in q) > COEF_MAX or sum(abs(v) for v in q) > COEF_SUM_MAX:
        raise ValueError("filter gain too large for the fixed-point range")
    for i in range(5):
        out[offset + i] = q[i]


# |H|**2 of a section from six terms, for w where phi = sin(w/2)**2:
#   (Sb**2 - 4 Pb phi + 16 Rb phi**2) / (Sa**2 - 4 Pa phi + 16 Ra phi**2)
# with S = c0 + c1 + c2, P = c0 c1 + 4 c0 c2 + c1 c2, R = c0 c2 of the numerator (b) and the
# denominator (1, a1, a2): cos w = 1 - 2 phi, cos 2w = 1 - 8 phi + 8 phi**2. Next to z = 1 the
# usual 1 + a1 cos w + a2 cos 2w cancels to nothing in float32; S, P and R are small sums
# formed exactly (from the integers, or from the deltas), so each term keeps its precision.
def terms_of_ints(coefs, offset=0):
    """The six terms of a stored section (exact integer sums, then scaled to floats)."""
    b0, b1, b2 = coefs[offset], coefs[offset + 1], coefs[offset + 2]
    one, a1, a2 = COEF_ONE, -coefs[offset + 3], -coefs[offset + 4]
    s, s2 = 1 / COEF_ONE, 1 / (COEF_ONE * COEF_ONE)
    return (
        (b0 + b1 + b2) * s,
        (b0 * b1 + 4 * b0 * b2 + b1 * b2) * s2,
        b0 * b2 * s2,
        (one + a1 + a2) * s,
        (one * a1 + 4 * one * a2 + a1 * a2) * s2,
        one * a2 * s2,
    )


def terms_of_parts(parts):
    """The six terms of a design in delta form (the bases' own S and P are 0)."""
    g, base, d0, d1, d2, e1, e2 = parts
    g2 = g * g
    dd = d0 * d1 + 4 * d0 * d2 + d1 * d2
    return (
        g * (d0 + d1 + d2),
        g2 * (2 * base * (d0 + d1 + d2) + dd),
        g2 * (base + d0) * (base + d2),
        e1 + e2,
        2 * (e1 + e2) + e1 * e2,
        1 + e2,
    )


def power_of_terms(terms, phi):
    sb, pb, rb, sa, pa, ra = terms
    return (sb * sb - 4 * pb * phi + 16 * rb * phi * phi) / (
        sa * sa - 4 * pa * phi + 16 * ra * phi * phi
    )


def identity(out, offset=0):
    out[offset] = COEF_ONE
    for i in range(1, 5):
        out[offset + i] = 0


def response_db(coefs, freq_hz, rate):
    """Magnitude in dB of one (b0, b1, b2, a1, a2) section (or a design in delta form) at
    freq_hz (host-side analysis: float64)."""
    if len(coefs) == 7:
        coefs = coefs_of(coefs)
    w = 2 * math.pi * freq_hz / rate
    c1, s1, c2, s2 = math.cos(w), math.sin(w), math.cos(2 * w), math.sin(2 * w)
    b0, b1, b2, a1, a2 = coefs
    nr, ni = b0 + b1 * c1 + b2 * c2, -(b1 * s1 + b2 * s2)
    dr, di = 1 + a1 * c1 + a2 * c2, -(a1 * s1 + a2 * s2)
    return 10 * math.log10((nr * nr + ni * ni) / (dr * dr + di * di))


def unquantize(q, offset=0):
    """The (b0, b1, b2, a1, a2) a stored section really implements."""
    s = COEF_ONE
    return (
        q[offset] / s,
        q[offset + 1] / s,
        q[offset + 2] / s,
        -q[offset + 3] / s,
        -q[offset + 4] / s,
    )


@micropython.viper
def biquad_run(buf: ptr32, frames: int, coefs: ptr32, state: ptr32, order: ptr8, count: int):
    """Run sections order[0..count) over both channels of `frames` interleaved Q23 frames."""
    n = frames * 2
    for k in range(count):
        slot = int(order[k])
        c = slot * 5
        # ptr32 loads are unsigned on x86-64: (v + 2**29) & (2**30 - 1) - 2**29 sign-extends
        # any |v| < 2**29 on both 32- and 64-bit targets (wider literals are objects on a board).
        v = ((coefs[c] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        b0h = v >> 14
        b0l = v & 0x3FFF
        v = ((coefs[c + 1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        b1h = v >> 14
        b1l = v & 0x3FFF
        v = ((coefs[c + 2] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        b2h = v >> 14
        b2l = v & 0x3FFF
        v = ((coefs[c + 3] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        a1h = v >> 14
        a1l = v & 0x3FFF
        v = ((coefs[c + 4] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        a2h = v >> 14
        a2l = v & 0x3FFF
        for ch in range(2):
            s = (slot * 2 + ch) * 7
            v = ((state[s] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
            x1h = v >> 14
            x1l = v & 0x3FFF
            v = ((state[s + 1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
            x2h = v >> 14
            x2l = v & 0x3FFF
            v = ((state[s + 2] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
            y1h = v >> 14
            y1l = v & 0x3FFF
            v = ((state[s + 3] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
            y2h = v >> 14
            y2l = v & 0x3FFF
            e1 = int(state[s + 4])
            e2 = int(state[s + 5])
            r = int(state[s + 6])
            i = ch
            while i < n:
                v = ((buf[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
                xh = v >> 14
                xl = v & 0x3FFF
                h = b0h * xh + b1h * x1h + b2h * x2h + a1h * y1h + a2h * y2h
                m = b0h * xl + b0l * xh + b1h * x1l + b1l * x1h + b2h * x2l + b2l * x2h
                m += a1h * y1l + a1l * y1h + a2h * y2l + a2l * y2h
                lo = r + b0l * xl + b1l * x1l + b2l * x2l + a1l * y1l + a2l * y2l
                lo += (a1h * e1 + a2h * e2) << 2
                lo += ((a1l * e1) >> 12) + ((a2l * e2) >> 12)
                m += lo >> 14
                r = lo & 0x3FFF
                e2 = e1
                e1 = m & 0xFFF
                w = (h << 2) + (m >> 12)
                y = w + (e1 >> 11)
                if y > 0x3FFFFFF:
                    y = 0x3FFFFFF
                    w = y
                    e1 = 0
                elif y < -0x3FFFFFF:
                    y = -0x3FFFFFF
                    w = y
                    e1 = 0
                buf[i] = y
                x2h = x1h
                x2l = x1l
                x1h = xh
                x1l = xl
                y2h = y1h
                y2l = y1l
                y1h = w >> 14
                y1l = w & 0x3FFF
                i += 2
            state[s] = (x1h << 14) + x1l
            state[s + 1] = (x2h << 14) + x2l
            state[s + 2] = (y1h << 14) + y1l
            state[s + 3] = (y2h << 14) + y2l
            state[s + 4] = e1
            state[s + 5] = e2
            state[s + 6] = r


def _split(v):
    return v >> 14, v & 0x3FFF


def biquad_run_reference(buf, frames, coefs, state, order, count):
    """Plain-Python twin of biquad_run over array('i') buffers."""
    n = frames * 2
    for k in range(count):
        slot = order[k]
        c = slot * 5
        (b0h, b0l), (b1h, b1l), (b2h, b2l) = (
            _split(coefs[c]),
            _split(coefs[c + 1]),
            _split(coefs[c + 2]),
        )
        (a1h, a1l), (a2h, a2l) = _split(coefs[c + 3]), _split(coefs[c + 4])
        for ch in range(2):
            s = (slot * 2 + ch) * STATE_PER
            x1h, x1l = _split(state[s])
            x2h, x2l = _split(state[s + 1])
            y1h, y1l = _split(state[s + 2])
            y2h, y2l = _split(state[s + 3])
            e1, e2, r = state[s + 4], state[s + 5], state[s + 6]
            for i in range(ch, n, 2):
                xh, xl = _split(buf[i])
                h = b0h * xh + b1h * x1h + b2h * x2h + a1h * y1h + a2h * y2h
                m = b0h * xl + b0l * xh + b1h * x1l + b1l * x1h + b2h * x2l + b2l * x2h
                m += a1h * y1l + a1l * y1h + a2h * y2l + a2l * y2h
                lo = r + b0l * xl + b1l * x1l + b2l * x2l + a1l * y1l + a2l * y2l
                lo += (a1h * e1 + a2h * e2) << 2  # the history's fraction, times a1 and a2
                lo += ((a1l * e1) >> 12) + ((a2l * e2) >> 12)
                m += lo >> 14  # fraction saving: what is left below 2**14 carries over
                r = lo & 0x3FFF
                e2, e1 = e1, m & 0xFFF
                w = (h << 2) + (m >> 12)  # floor of the exact value: the history
                y = w + (e1 >> 11)  # rounded: the output
                if not -LIMIT <= y <= LIMIT:
                    y = w = max(-LIMIT, min(LIMIT, y))
                    e1 = 0
                buf[i] = y
                x2h, x2l, x1h, x1l = x1h, x1l, xh, xl
                y2h, y2l = y1h, y1l
                y1h, y1l = _split(w)
            state[s] = (x1h << 14) + x1l
            state[s + 1] = (x2h << 14) + x2l
            state[s + 2] = (y1h << 14) + y1l
            state[s + 3] = (y2h << 14) + y2l
            state[s + 4] = e1
            state[s + 5] = e2
            state[s + 6] = r


@micropython.viper
def coef_delta(step: ptr32, cur: ptr32, target: ptr32, count: int, shift: int):
    """step = (target - cur) / 2**(shift+1), per coefficient. Halving first keeps the difference
    inside 32 bits. Adding it 2**(shift+1) times walks cur linearly to target: a click-free
    filter change, and stable all the way (the stability triangle of (a1, a2) is convex)."""
    for i in range(count):
        c = ((cur[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        t = ((target[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        step[i] = ((t >> 1) - (c >> 1)) >> shift


@micropython.viper
def coef_add(cur: ptr32, step: ptr32, count: int):
    for i in range(count):
        c = ((cur[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        d = ((step[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        cur[i] = c + d


def coef_delta_reference(step, cur, target, count, shift):
    for i in range(count):
        step[i] = ((target[i] >> 1) - (cur[i] >> 1)) >> shift


def coef_add_reference(cur, step, count):
    for i in range(count):
        cur[i] += step[i]


@micropython.viper
def coef_copy(dst: ptr32, src: ptr32, count: int):
    for i in range(count):
        dst[i] = src[i]
