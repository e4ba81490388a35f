"""Test-tone generator: a sine table read by a 24-bit phase accumulator.

The 24-bit phase wraps with a mask, so it behaves the same in a 32-bit board int and a 64-bit
host int; 48000 Hz / 2**24 gives 0.003 Hz frequency resolution.
"""

import math
from array import array

import micropython

TABLE_BITS = 10
TABLE_SIZE = 1 << TABLE_BITS
PHASE_BITS = 24
PHASE_MASK = (1 << PHASE_BITS) - 1


def make_table(level_dbfs):
    """One sine period of TABLE_SIZE int16 samples at the given peak level."""
    peak = 32767 * 10 ** (level_dbfs / 20)
    table = array("h", [0] * TABLE_SIZE)
    for i in range(TABLE_SIZE):
        table[i] = int(round(peak * math.sin(2 * math.pi * i / TABLE_SIZE)))
    return table


def phase_step(freq_hz, rate):
    return int(round(freq_hz * (1 << PHASE_BITS) / rate))


@micropython.viper
def tone_fill(buf: ptr16, frames: int, table: ptr16, phase: int, step: int) -> int:
    """Write `frames` stereo frames (same sample both channels); returns the next phase."""
    for i in range(frames):
        v = table[phase >> 14]  # 24-bit phase, 10-bit table index
        buf[2 * i] = v
        buf[2 * i + 1] = v
        phase = (phase + step) & 0xFFFFFF
    return phase


def tone_fill_reference(samples, frames, table, phase, step):
    """Plain-Python twin of tone_fill over array('h') buffers."""
    for i in range(frames):
        v = table[phase >> (PHASE_BITS - TABLE_BITS)]
        samples[2 * i] = v
        samples[2 * i + 1] = v
        phase = (phase + step) & PHASE_MASK
    return phase
