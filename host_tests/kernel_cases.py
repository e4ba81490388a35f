"""Inputs shared by the kernel tests on CPython, the unix port and the armv6m emulator.

Each case returns (name, kernel args as a list, reference function) with fresh buffers; a test
runs the viper kernel (or its armv6m code) on one copy and the twin on another and compares.
"""

from array import array

from uamp.dsp import biquad, crossfeed, eq, tone
from uamp.dsp import gain as gain_mod

Q23_MIN = -32768 << 8
Q23_MAX = 32767 << 8
EXTREMES = [Q23_MIN, Q23_MAX, Q23_MIN + 256, -256, 0, 256, Q23_MAX - 256, -1, 1]


def lcg_values(count, seed, span):
    """Deterministic pseudo-random ints in [-span, span)."""
    x = seed
    out = []
    for _ in range(count):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append((x >> 4) % (2 * span) - span)
    return out


def stereo_signal(frames, seed=1, span=1 << 23):
    values = list(EXTREMES) + [Q23_MAX, Q23_MIN] * 3
    values += lcg_values(2 * frames - len(values), seed, span)
    return array("i", values[: 2 * frames])


def eq_coefs(rate=48000):
    """Coefficients of a busy, valid cascade: bass shelf, peaks, shelves, a low pass."""
    settings = eq.EqSettings(rate)
    settings.bass_db = 12.0
    settings.bands = [
        ("peak", 60, 12.0, 2.0),
        ("peak", 3000, -12.0, 0.5),
        ("highshelf", 8000, 12.0, 0.7),
        ("lowpass", 18000, 0.0, 0.7),
        ("peak", 25, 6.0, 3.0),  # as low and narrow as the validator allows
    ]
    coefs, _ = settings.compile(settings.designs())
    return coefs


def biquad_case(frames=97, loud=False):
    span = (1 << 26) - 1 if loud else 1 << 23
    buf = stereo_signal(frames, 7, span)
    coefs = eq_coefs()
    state = array("i", bytes(4 * biquad.STATE_PER * 2 * eq.SLOTS))
    order = bytearray([3, 0, 5, 1, 2, 4])
    return [buf, frames, coefs, state, order, 6]


def gain_case(frames=97, start=0, end=gain_mod.GAIN_ONE):
    buf = stereo_signal(frames, 3, (1 << 26) - 1)
    d = (end - start) // frames
    return [buf, frames, array("i", [start, end - d * frames, d, -d])]


def crossfeed_case(frames=97, rate=48000, loud=False, write_at=27):
    """A buffer through the crossfeed while its mix fades in (or, loud, at the strongest
    level held: samples at the EQ's +-2**26 clamp), the ring's write slot near its end so
    the ring wraps within the buffer, its history filled with other values."""
    buf = stereo_signal(frames, 5, (1 << 26) if loud else 1 << 23)
    if loud:
        for i in range(0, 2 * frames, 8):  # full-scale swings against the other channel
            buf[i], buf[i + 1] = (1 << 26) - 1, -(1 << 26) + 1
    state = crossfeed.new_state(rate)
    history = lcg_values(2 * crossfeed.RING, 21, (1 << 26) - 1)
    for i in range(2 * crossfeed.RING):
        state[crossfeed.HEAD + i] = history[i]
    state[0], state[1], state[6] = 1000, -1000, write_at
    if loud:
        state[3] = int(crossfeed.LEVELS[3] * (1 << 24))
    else:
        state[4] = (1 << 24) // 3 // frames
    return [buf, frames, state]


def to_int16_case(frames=97, dither=1):
    buf = stereo_signal(frames, 9, 1 << 24)  # beyond full scale too: clips are counted
    return [bytearray(4 * frames), buf, frames, array("i", [99, 17, 0, 0, 0, dither])]


def to_int32_case(frames=97, unmuted=0):
    buf = stereo_signal(frames, 11, 1 << 24)
    buf[2] = -(1 << 23)  # negative full scale in an odd frame: the pattern must not wrap it
    return [bytearray(8 * frames), buf, frames, array("i", [0, 0, 0, 0, 0, unmuted])]


def sine_case(frames=97, freq=997, rate=44100):
    table = tone.make_table(0.0)
    step = tone.phase_step(freq, rate)
    return [array("i", bytes(8 * frames)), frames, table, tone.PHASE_MASK - 5 * step, step]


def noise_case(frames=97, pink=1):
    return [array("i", bytes(8 * frames)), frames, array("i", [4242, 30000, pink, 5, -5, 77])]


def crossfade_case(frames=97, start=0, end=gain_mod.GAIN_ONE):
    """Two loud buffers (differences near 2**27) mixed from `start` to `end`."""
    buf = stereo_signal(frames, 13, (1 << 26) - 1)
    other = array("i", [-v for v in stereo_signal(frames, 17, (1 << 26) - 1)])
    d = (end - start) // frames
    return [buf, other, frames, array("i", [end - d * frames, d])]


# --- the biquad's arithmetic: DC and the silent tail (issue 12) ---
BAND_SLOT = 1  # the one EQ band of these cases sits in slot 1, as band 1 of the engine
# (band, tone Hz, amplitude in Q23 LSB): a small low-frequency signal for 0.1 s, then digital
# silence. With the low products floored each one stuck at a constant (-36 LSB for the first)
# or kept ticking; with them fraction-saved but 2*e1 - e2 fed back, the first three kept
# emitting an idle tone (+-1 pulses, still there after 0.95 s).
TAIL_FRAMES = 60000
TAIL_CASES = (
    (("peak", 20, 12.0, 5.0), 25, 100),
    (("peak", 250, 6.0, 5.0), 25, 100),
    (("peak", 350, -12.0, 0.7), 25, 3),
    (("peak", 30, 12.0, 10.0), 25, 3),
    (("lowshelf", 100, 12.0, 0.7), 25, 3),  # the bass shelf at +12 dB
)


def one_band(kind, freq_hz, gain_db, q, rate=48000):
    """The cascade's coefficients with one band the validator accepts, fitted as the engine
    fits it, in BAND_SLOT; every other slot the identity."""
    coefs = array("i", bytes(4 * 5 * eq.SLOTS))
    for slot in range(eq.SLOTS):
        biquad.identity(coefs, slot * 5)
    eq.EqSettings.check_band(kind, freq_hz, gain_db, q, rate)
    parts = biquad.design_parts(kind, freq_hz, gain_db, q, rate)
    eq.fit(parts, freq_hz, q, rate, coefs, BAND_SLOT * 5)
    return coefs


def sine_then_silence(frames, freq_hz, amplitude, tone_frames=None, rate=48000):
    """Q23 samples: a sine of `amplitude` for tone_frames (all of them if None), then zeros."""
    import math

    end = frames if tone_frames is None else tone_frames
    w = 2 * math.pi * freq_hz / rate
    return [int(round(amplitude * math.sin(w * i))) if i < end else 0 for i in range(frames)]


def run_in_buffers(run, left, coefs, frames_per_buffer=256):
    """`left` on the left channel and -left on the right through the band, buffer by buffer
    with the state carried, as the engine runs it; run(buf, frames, coefs, state, order,
    count) is the kernel. Returns (left out, right out, state)."""
    state = array("i", bytes(4 * biquad.STATE_PER * 2 * eq.SLOTS))
    order = bytearray([BAND_SLOT])
    out_left = array("i", bytes(4 * len(left)))
    out_right = array("i", bytes(4 * len(left)))
    buf = array("i", bytes(8 * frames_per_buffer))
    for at in range(0, len(left), frames_per_buffer):
        n = min(frames_per_buffer, len(left) - at)
        for i in range(n):
            buf[2 * i] = left[at + i]
            buf[2 * i + 1] = -left[at + i]
        run(buf, n, coefs, state, order, 1)
        for i in range(n):
            out_left[at + i] = buf[2 * i]
            out_right[at + i] = buf[2 * i + 1]
    return out_left, out_right, state


def exact(coefs, xs, slot=BAND_SLOT):
    """The band's integer coefficients run in floating point: what the kernel approximates."""
    b0, b1, b2, a1, a2 = biquad.unquantize(coefs, slot * 5)
    x1 = x2 = y1 = y2 = 0.0
    out = array("d", bytes(8 * len(xs)))
    for i in range(len(xs)):
        x = xs[i]
        y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        out[i] = y
        x2, x1, y2, y1 = x1, x, y1, y
    return out


def error_dc_rms(out, want, start, sign=1):
    """Mean and RMS (Q23 LSB, i.e. 24-bit LSB) of out - sign * want from `start` on."""
    n = len(out) - start
    dc = sum(out[i] - sign * want[i] for i in range(start, len(out))) / n
    power = sum((out[i] - sign * want[i] - dc) ** 2 for i in range(start, len(out))) / n
    return dc, power**0.5


def last_nonzero(out):
    """Index of the last non-zero sample, -1 if none."""
    for i in range(len(out) - 1, -1, -1):
        if out[i]:
            return i
    return -1


def tail_figures(out, want, sign=1, below=0.4):
    """(largest |out - sign * want| in LSB, last non-zero sample of out, first sample from
    which the exact response stays below `below` LSB) of a tail case. The output is the exact
    response rounded, give or take what the arithmetic adds (at most 0.07 LSB over a grid of
    21600 bands and signals): below 0.4 LSB it must round to zero."""
    worst = max(abs(out[i] - sign * want[i]) for i in range(len(out)))
    quiet = len(want)
    while quiet > 0 and abs(want[quiet - 1]) < below:
        quiet -= 1
    return worst, last_nonzero(out), quiet
