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
