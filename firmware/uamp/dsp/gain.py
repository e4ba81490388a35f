"""Digital gain on interleaved int16 samples, in place.

Gain is Q15: 32768 is unity (0 dB), 0 is silence; values above unity are not allowed, so the
result never clips. The product x * gain stays within +-2**30, safe in a 32-bit viper int.
Rounding: add half an LSB, then shift right (floor), identical in both twins.
"""

from array import array

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


# --- stereo gain ramp on the Q23 work buffer ---
# Gain is Q24 (GAIN_ONE = unity) and moves linearly, sample by sample, from state[ch] by
# state[2 + ch] per frame. x (|x| < 2**26) and g (<= 2**24) are split in 12-bit halves so every
# product stays below 2**27: x*g / 2**24 = xh*gh + (xh*gl + xl*gh + (xl*gl >> 12)) / 2**12,
# rounded to nearest. Resolution 2**-24 of full scale: a -48 dB step is exact to 1e-5 dB.
GAIN_ONE = 1 << 24


@micropython.viper
def gain_ramp(buf: ptr32, frames: int, state: ptr32):
    for ch in range(2):
        g = int(state[ch])
        d = ((state[2 + ch] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        i = ch
        n = frames * 2
        while i < n:
            g += d
            gh = g >> 12
            gl = g & 0xFFF
            x = ((buf[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
            xh = x >> 12
            xl = x & 0xFFF
            buf[i] = xh * gh + ((xh * gl + xl * gh + ((xl * gl) >> 12) + 0x800) >> 12)
            i += 2
        state[ch] = g


def gain_ramp_reference(buf, frames, state):
    for ch in range(2):
        g = state[ch]
        d = state[2 + ch]
        for i in range(ch, frames * 2, 2):
            g += d
            gh, gl = g >> 12, g & 0xFFF
            x = buf[i]
            xh, xl = x >> 12, x & 0xFFF
            buf[i] = xh * gh + ((xh * gl + xl * gh + ((xl * gl) >> 12) + 0x800) >> 12)
        state[ch] = g


def mul_q24(a, b):
    """a * b / 2**24 rounded, for 0 <= a, b <= GAIN_ONE, with every product below 2**25 (small
    ints on the boards: the audio callback calls it, and a long int would allocate)."""
    ah = a >> 12  # one name a line: a 4-tuple assignment would allocate
    al = a & 0xFFF
    bh = b >> 12
    bl = b & 0xFFF
    return ah * bh + ((ah * bl + al * bh + ((al * bl) >> 12) + 0x800) >> 12)


# --- crossfade of two Q23 buffers: buf += t * (other - buf), t ramping per sample ---
# t is Q24 in state[0] (used as Q15), moving by state[1] per frame, before each frame as in
# gain_ramp: t = 0 leaves buf, t = GAIN_ONE gives exactly `other`. Used while an EQ section
# changes: its old and new outputs are mixed, so the change has no step (no zipper).
# Products: |other - buf| < 2**27, split at 15 bits against the Q15 t: all below 2**30.


@micropython.viper
def crossfade(buf: ptr32, other: ptr32, frames: int, state: ptr32):
    t = int(state[0])
    dt = ((state[1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    n = frames * 2
    i = 0
    while i < n:
        t += dt
        tq = t >> 9
        a = ((buf[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        d = (((other[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000) - a
        buf[i] = a + (d >> 15) * tq + (((d & 0x7FFF) * tq + 0x4000) >> 15)
        a = ((buf[i + 1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        d = (((other[i + 1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000) - a
        buf[i + 1] = a + (d >> 15) * tq + (((d & 0x7FFF) * tq + 0x4000) >> 15)
        i += 2
    state[0] = t


def crossfade_reference(buf, other, frames, state):
    t, dt = state[0], state[1]
    for i in range(0, frames * 2, 2):
        t += dt
        tq = t >> 9
        for j in (i, i + 1):
            a = buf[j]
            d = other[j] - a
            buf[j] = a + (d >> 15) * tq + (((d & 0x7FFF) * tq + 0x4000) >> 15)
    state[0] = t


# --- look-ahead for the limiter: a one-buffer delay line and the peak of what enters it ---
# Swaps buf[i] and delay[i] (count int32 words), so buf then holds the block that entered the
# delay one buffer ago, and delay the one just made; state[0] = the largest |sample| of the new
# block (samples wrapped to 30 bits as in every kernel here: at most 2**29). The engine's gain
# stage then knows the next block's peak before it plays the current one.


@micropython.viper
def delay_peak(buf: ptr32, delay: ptr32, count: int, state: ptr32):
    peak = 0
    for i in range(count):
        x = ((buf[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        buf[i] = delay[i]
        delay[i] = x
        if x < 0:
            x = -x
        if x > peak:
            peak = x
    state[0] = peak


def delay_peak_reference(buf, delay, count, state):
    peak = 0
    for i in range(count):
        x = ((buf[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        buf[i] = delay[i]
        delay[i] = x
        peak = max(peak, abs(x))
    state[0] = peak


# Largest output sample the limiter lets through (Q23): 16-bit words round to nearest and add
# up to +-255 of dither (output.py), so anything up to 2**23 - 384 never clamps; the gain's own
# rounding adds at most 1. 4 units of 16-bit LSB below full scale: -0.001 dB.
LIMIT_CEILING = (1 << 23) - 1024


def limit_gain(peak):
    """The largest Q24 gain (at most GAIN_ONE) that keeps a sample of magnitude `peak` (Q23,
    0..2**29) at or under LIMIT_CEILING; rounded down, with small ints only (the callback calls
    it): peak is divided by 2**12 rounded up, the quotient scaled by 2**6 twice (0.004 dB)."""
    if peak <= LIMIT_CEILING:
        return GAIN_ONE
    return min(GAIN_ONE, ((LIMIT_CEILING << 6) // ((peak >> 12) + 1)) << 6)


# --- the limiter: the gain cap, per buffer, from the peaks of the block playing and the next ---
# state: [peak of the block entering the delay (delay_peak), cap of the block leaving it (Q24),
# gain cap now (Q24), hold buffers left, buffers limited (the engine counts), release step
# (Q24 fraction of the cap per buffer), hold (buffers), the gain this buffer's and the next
# block's peaks allow (Q24: below the volume's gain, the signal would have clipped)]
HOLD_S = 0.5  # the cap holds this long after the last peak that needed it (a 2 Hz envelope)
RELEASE_DB_PER_S = 6.0  # then it rises this fast: 12 dB back in 2 s


def limiter_state(rate, frames):
    per_buffer = frames / rate
    release = int(GAIN_ONE * (10 ** (RELEASE_DB_PER_S * per_buffer / 20) - 1))
    hold = int(HOLD_S / per_buffer + 0.5)
    return array("i", [0, GAIN_ONE, GAIN_ONE, 0, 0, release, hold, GAIN_ONE])


def limit_step(state):
    """The gain cap for the buffer about to play, into state[2]: at most the gain that keeps
    this block and the next under full scale (the ramp ends there, so it is safe at both
    ends and, being a straight line, everywhere between), held while peaks keep needing it,
    then released by state[5] a buffer. Small ints only: called from the audio callback."""
    if state[2] == GAIN_ONE and state[0] <= LIMIT_CEILING:
        return  # not limiting, nor needed next: everything stays at unity (the usual case)
    cap_next = limit_gain(state[0])
    cap = state[1]
    if cap_next < cap:
        cap = cap_next
    state[1] = cap_next
    state[7] = cap
    lim = state[2]
    if cap <= lim:
        if cap < GAIN_ONE:
            state[3] = state[6]  # needed now: hold
        lim = cap
    elif state[3] > 0:
        state[3] -= 1
    else:
        lim += mul_q24(lim, state[5])
        if lim > cap:
            lim = cap
    state[2] = lim
