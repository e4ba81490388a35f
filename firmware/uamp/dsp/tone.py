"""Test-signal sources writing Q23 stereo into the work buffer: sine, log sweep, noise.

Sine: a 24-bit phase accumulator reads a 2048-entry table with linear interpolation (the table
has one extra entry so idx + 1 never wraps). Interpolation error is (2 pi / 2048)**2 / 8, about
-118 dB, below what the quality tests measure. Differences between neighbours are < 2**15 and
the fraction has 13 bits, so the product stays below 2**28.
The 24-bit phase wraps with a mask, so it behaves the same in a 32-bit board int and a 64-bit
host int; 48000 Hz / 2**24 gives 0.003 Hz frequency resolution.
"""

import math
from array import array

import micropython

TABLE_BITS = 11
TABLE_SIZE = 1 << TABLE_BITS
PHASE_BITS = 24
PHASE_MASK = (1 << PHASE_BITS) - 1
FULL_SCALE = 1 << 23  # Q23


def make_table(level_dbfs, table=None):
    """One sine period (+1 guard entry) of Q23 samples at the given peak level."""
    if type(level_dbfs) not in (int, float) or not -120 <= level_dbfs <= 0:
        raise ValueError("level must be between -120 and 0 dBFS")
    peak = (FULL_SCALE - 1) * 10 ** (level_dbfs / 20)
    if table is None:
        table = array("i", bytes(4 * (TABLE_SIZE + 1)))
    for i in range(TABLE_SIZE + 1):
        table[i] = int(round(peak * math.sin(2 * math.pi * i / TABLE_SIZE)))
    return table


def phase_step(freq_hz, rate):
    if type(freq_hz) not in (int, float) or not 0 < freq_hz < rate / 2:
        raise ValueError("frequency must be between 0 and %d Hz" % (rate // 2))
    return int(round(freq_hz * (1 << PHASE_BITS) / rate))


@micropython.viper
def sine_fill(buf: ptr32, frames: int, table: ptr32, phase: int, step: int) -> int:
    """Write `frames` stereo frames (same sample both channels); returns the next phase."""
    for i in range(frames):
        idx = phase >> 13
        frac = phase & 0x1FFF
        a = ((table[idx] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        b = ((table[idx + 1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        v = a + (((b - a) * frac + 0x1000) >> 13)
        buf[2 * i] = v
        buf[2 * i + 1] = v
        phase = (phase + step) & 0xFFFFFF
    return phase


def sine_fill_reference(buf, frames, table, phase, step):
    for i in range(frames):
        idx, frac = phase >> 13, phase & 0x1FFF
        a, b = table[idx], table[idx + 1]
        v = a + (((b - a) * frac + 0x1000) >> 13)
        buf[2 * i] = v
        buf[2 * i + 1] = v
        phase = (phase + step) & PHASE_MASK
    return phase


# --- noise: LCG mod 2**30 (as in dsp/output.py), the top 24 bits as a uniform Q23 sample ---
# Pink noise: white noise through three one-pole low passes in parallel (P. Kellet's economy
# filter, poles 0.99765 / 0.963 / 0.57 in Q15), about -3 dB per octave from 40 Hz to 10 kHz.
# Every product is split at 15 bits against a Q15 factor (< 2**31).
# state: [rng, level (Q15), pink on (0/1), s0, s1, s2]


@micropython.viper
def noise_fill(buf: ptr32, frames: int, state: ptr32):
    rng = int(state[0])
    level = int(state[1])
    pink = int(state[2])
    s0 = ((state[3] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    s1 = ((state[4] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    s2 = ((state[5] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    for i in range(frames):
        rng = (rng * 214013 + 2531011) & 0x3FFFFFFF
        w = (rng >> 6) - 0x800000
        if pink:
            w = w >> 3  # the filter gain is about 8: keep the sum inside full scale
            s0 = (
                (s0 >> 15) * 32691
                + (((s0 & 0x7FFF) * 32691) >> 15)
                + (w >> 15) * 3245
                + (((w & 0x7FFF) * 3245) >> 15)
            )
            s1 = (
                (s1 >> 15) * 31556
                + (((s1 & 0x7FFF) * 31556) >> 15)
                + (w >> 15) * 9716
                + (((w & 0x7FFF) * 9716) >> 15)
            )
            s2 = (
                (s2 >> 15) * 18678
                + (((s2 & 0x7FFF) * 18678) >> 15)
                + (w >> 15) * 34494
                + (((w & 0x7FFF) * 34494) >> 15)
            )
            w = s0 + s1 + s2 + (w >> 15) * 6056 + (((w & 0x7FFF) * 6056) >> 15)
            if w > 0x7FFFFF:
                w = 0x7FFFFF
            elif w < -0x7FFFFF:
                w = -0x7FFFFF
        v = (w >> 15) * level + (((w & 0x7FFF) * level) >> 15)
        buf[2 * i] = v
        buf[2 * i + 1] = v
    state[0] = rng
    state[3] = s0
    state[4] = s1
    state[5] = s2


def noise_fill_reference(buf, frames, state):
    rng, level, pink, s0, s1, s2 = state[0:6]
    for i in range(frames):
        rng = (rng * 214013 + 2531011) & 0x3FFFFFFF
        w = (rng >> 6) - 0x800000
        if pink:
            w = w >> 3
            s0 = (
                (s0 >> 15) * 32691
                + (((s0 & 0x7FFF) * 32691) >> 15)
                + (w >> 15) * 3245
                + (((w & 0x7FFF) * 3245) >> 15)
            )
            s1 = (
                (s1 >> 15) * 31556
                + (((s1 & 0x7FFF) * 31556) >> 15)
                + (w >> 15) * 9716
                + (((w & 0x7FFF) * 9716) >> 15)
            )
            s2 = (
                (s2 >> 15) * 18678
                + (((s2 & 0x7FFF) * 18678) >> 15)
                + (w >> 15) * 34494
                + (((w & 0x7FFF) * 34494) >> 15)
            )
            w = max(
                -0x7FFFFF,
                min(0x7FFFFF, s0 + s1 + s2 + (w >> 15) * 6056 + (((w & 0x7FFF) * 6056) >> 15)),
            )
        v = (w >> 15) * level + (((w & 0x7FFF) * level) >> 15)
        buf[2 * i] = v
        buf[2 * i + 1] = v
    state[0], state[3], state[4], state[5] = rng, s0, s1, s2


@micropython.viper
def fill_zero(buf: ptr32, count: int):
    for i in range(count):
        buf[i] = 0
