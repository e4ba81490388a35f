"""Headphone crossfeed: each ear also hears the other channel, low-passed, delayed, mixed in.

What a speaker at 30 degrees does to the far ear, in its simplest published form: the head
shadows the treble (a one-pole low pass around 700 Hz) and the sound arrives about 0.3 ms later
(the interaural time difference at 30 degrees). With lp the low pass and z^-D the delay:

    out_L = L + a * (z^-D lp(R) - lp(L)),  out_R = R + a * (z^-D lp(L) - lp(R))

The direct path L - a lp(L) is a high shelf: 1 - a in the bass, unity in the treble. It is the
complement of the cross path, so a centre (mono) image adds up to unity at DC and keeps all its
treble (a plain L + a (lp(R) - L) mix loses 20 log(1 - a) there, -3.7 dB at level 3); between
the two, the delayed cross path makes the dip any pair of speakers makes for a phantom centre
(docs/sound-path.md has the measured response). lp += k * (x - lp); the mix `a` ramps linearly
per sample (Q24 in state, used as Q15), so switching crossfeed on/off or changing its level is
click-free. Both lp outputs go into a ring of RING frames; the cross path reads them D frames
back (D = round(0.3 ms * rate): 13, 14 and 29 frames at 44.1, 48 and 96 kHz).

32-bit viper ints (boards): samples and lp values are < 2**26 (the EQ clamps there), their
differences < 2**27, split at 15 bits against Q15 factors: every product is < 2**30.
state (STATE_WORDS ints): [lp_left, lp_right, k (Q15), a (Q24), a step per frame (Q24),
Thumb scratch, ring write frame (0..RING-1), D (frames)] + RING frames of (lp_left, lp_right).
"""

import math
from array import array

import micropython

# Level -> mix a. The cross path is 20 log(a / (1 - a)) below the direct path in the bass:
# -15, -9.5 and -5.4 dB.
LEVELS = (0.0, 0.15, 0.25, 0.35)
# One corner for every level: a corner that changes while the cross path sounds is a click
# (level 3 at 650 Hz: -97 dBFS above 4 kHz going to it or from it, a volume ramp -110).
CORNER_HZ = 700
DELAY_S = 0.0003  # interaural time difference for a speaker at 30 degrees
RING = 32  # frames of lp history: a power of two (the kernels mask with 31), > the 29 at 96 kHz
HEAD = 8  # state words before the ring
STATE_WORDS = HEAD + 2 * RING  # 288 bytes


def lowpass_k(corner_hz, rate):
    """Q15 one-pole coefficient 1 - exp(-2 pi fc / fs)."""
    return int(round((1 - math.exp(-2 * math.pi * corner_hz / rate)) * 32768))


def delay_frames(rate):
    """The cross path's delay in whole frames (within half a frame of DELAY_S)."""
    return int(round(DELAY_S * rate))


def new_state(rate):
    """A crossfeed state for `rate`, mix 0 (off), history cleared."""
    state = array("i", bytes(4 * STATE_WORDS))
    set_rate(state, rate)
    return state


def set_rate(state, rate):
    """Low pass and delay for `rate` (while the output is silent), history cleared."""
    state[2] = lowpass_k(CORNER_HZ, rate)
    state[7] = delay_frames(rate)
    clear(state)


def clear(state):
    """Forget the history (the input switched while silent)."""
    prime(state, 0, 0)


def prime(state, left, right):
    """History as if (left, right) had played for ever: the callback calls it when the mix
    starts from 0, so the stale history of the last time crossfeed was on never sounds.
    Allocates nothing."""
    state[0] = left
    state[1] = right
    for i in range(HEAD, STATE_WORDS, 2):
        state[i] = left
        state[i + 1] = right


@micropython.viper
def crossfeed_run(buf: ptr32, frames: int, state: ptr32):
    lpl = ((state[0] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    lpr = ((state[1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    k = int(state[2])
    a = int(state[3])
    da = ((state[4] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    w = int(state[6])
    back = int(state[7])
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
        j = 8 + (w << 1)
        state[j] = lpl
        state[j + 1] = lpr
        j = 8 + (((w - back) & 31) << 1)
        d = ((state[j + 1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000 - lpl
        buf[i] = left + (d >> 15) * aq + (((d & 0x7FFF) * aq + 0x4000) >> 15)
        d = ((state[j] + 0x20000000) & 0x3FFFFFFF) - 0x20000000 - lpr
        buf[i + 1] = right + (d >> 15) * aq + (((d & 0x7FFF) * aq + 0x4000) >> 15)
        w = (w + 1) & 31
        i += 2
    state[0] = lpl
    state[1] = lpr
    state[3] = a
    state[6] = w


def crossfeed_run_reference(buf, frames, state):
    lpl, lpr, k, a, da = state[0], state[1], state[2], state[3], state[4]
    w, back = state[6], state[7]
    for i in range(0, frames * 2, 2):
        a += da
        aq = a >> 9
        left, right = buf[i], buf[i + 1]
        d = left - lpl
        lpl += (d >> 15) * k + (((d & 0x7FFF) * k) >> 15)
        d = right - lpr
        lpr += (d >> 15) * k + (((d & 0x7FFF) * k) >> 15)
        state[HEAD + 2 * w] = lpl
        state[HEAD + 2 * w + 1] = lpr
        r = HEAD + 2 * ((w - back) % RING)  # D frames back: the other ear's lp, delayed
        d = state[r + 1] - lpl
        buf[i] = left + (d >> 15) * aq + (((d & 0x7FFF) * aq + 0x4000) >> 15)
        d = state[r] - lpr
        buf[i + 1] = right + (d >> 15) * aq + (((d & 0x7FFF) * aq + 0x4000) >> 15)
        w = (w + 1) % RING
    state[0], state[1], state[3], state[6] = lpl, lpr, a, w
