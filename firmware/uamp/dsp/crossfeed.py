"""Headphone crossfeed: each ear also hears the other channel, low-passed and mixed in.

out_L = L + a * (lp(R) - L), out_R = R + a * (lp(L) - R): a mono bass signal is unchanged (the
mix only moves stereo content), treble stays separated. lp is a one-pole low pass,
lp += k * (x - lp). The mix `a` ramps linearly per sample (Q24 in state, used as Q15), so
switching crossfeed on/off or changing its level is click-free.
Products: differences are < 2**27 and split at 15 bits against Q15 factors: all < 2**30.
state: [lp_left, lp_right, k (Q15), a (Q24), a step per frame (Q24)]
"""

import math

import micropython

# Level -> (mix, low-pass corner Hz). Mixes of about -16/-12/-9 dB of the opposite channel.
LEVELS = ((0.0, 700), (0.15, 700), (0.25, 700), (0.35, 650))


def lowpass_k(corner_hz, rate):
    """Q15 one-pole coefficient 1 - exp(-2 pi fc / fs)."""
    return int(round((1 - math.exp(-2 * math.pi * corner_hz / rate)) * 32768))


@micropython.viper
def crossfeed_run(buf: ptr32, frames: int, state: ptr32):
    lpl = ((state[0] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    lpr = ((state[1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    k = int(state[2])
    a = int(state[3])
    da = ((state[4] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    n = frames * 2
    i = 0
    while i < n:
        a += da
        aq = a >> 9
        left = ((buf[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        right = ((buf[i + 1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        d = left - lpl
        lpl += (d >> 15) * k + (((d & 0x7FFF) * k) >> 15)
        d = right - lpr
        lpr += (d >> 15) * k + (((d & 0x7FFF) * k) >> 15)
        d = lpr - left
        buf[i] = left + (d >> 15) * aq + (((d & 0x7FFF) * aq + 0x4000) >> 15)
        d = lpl - right
        buf[i + 1] = right + (d >> 15) * aq + (((d & 0x7FFF) * aq + 0x4000) >> 15)
        i += 2
    state[0] = lpl
    state[1] = lpr
    state[3] = a


def crossfeed_run_reference(buf, frames, state):
    lpl, lpr, k, a, da = state[0], state[1], state[2], state[3], state[4]
    for i in range(0, frames * 2, 2):
        a += da
        aq = a >> 9
        left, right = buf[i], buf[i + 1]
        d = left - lpl
        lpl += (d >> 15) * k + (((d & 0x7FFF) * k) >> 15)
        d = right - lpr
        lpr += (d >> 15) * k + (((d & 0x7FFF) * k) >> 15)
        d = lpr - left
        buf[i] = left + (d >> 15) * aq + (((d & 0x7FFF) * aq + 0x4000) >> 15)
        d = lpl - right
        buf[i + 1] = right + (d >> 15) * aq + (((d & 0x7FFF) * aq + 0x4000) >> 15)
    state[0], state[1], state[3] = lpl, lpr, a
