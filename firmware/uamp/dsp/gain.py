"""Digital gain on interleaved int16 samples, in place.

Gain is Q15: 32768 is unity (0 dB), 0 is silence; values above unity are not allowed, so the
result never clips. The product x * gain stays within +-2**30, safe in a 32-bit viper int.
Rounding: add half an LSB, then shift right (floor), identical in both twins.
"""

import micropython

UNITY = 32768


@micropython.viper
def apply_gain(buf: ptr16, count: int, gain: int):
    for i in range(count):
        x = buf[i]
        if x & 0x8000:  # viper ptr16 loads are unsigned: sign-extend
            x -= 0x10000
        buf[i] = (x * gain + 0x4000) >> 15


def apply_gain_reference(samples, count, gain):
    """Plain-Python twin of apply_gain over an array('h')."""
    for i in range(count):
        samples[i] = (samples[i] * gain + 0x4000) >> 15
