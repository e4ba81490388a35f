"""Per-channel digital gain (the volume controller's trim) on interleaved stereo int16, in place.

Same arithmetic as dsp/gain.py (Q15, 32768 = unity, round half up after the shift), with one
gain for the left samples and another for the right: balance and the trim that makes a coarse
analog step exact need the two channels apart.
"""

import micropython


@micropython.viper
def apply_trim(buf: ptr16, frames: int, left: int, right: int):
    i = 0
    end = frames * 2
    while i < end:
        x = buf[i]
        if x & 0x8000:  # viper ptr16 loads are unsigned: sign-extend
            x -= 0x10000
        buf[i] = (x * left + 0x4000) >> 15
        x = buf[i + 1]
        if x & 0x8000:
            x -= 0x10000
        buf[i + 1] = (x * right + 0x4000) >> 15
        i += 2


def apply_trim_reference(samples, frames, left, right):
    """Plain-Python twin of apply_trim over an array('h')."""
    for i in range(frames):
        samples[2 * i] = (samples[2 * i] * left + 0x4000) >> 15
        samples[2 * i + 1] = (samples[2 * i + 1] * right + 0x4000) >> 15
