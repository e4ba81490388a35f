"""Final stage: Q23 work buffer -> I2S words, with TPDF dither, clip counter and peak meter.

16-bit words are shorter than the internal Q23 precision, so they get TPDF dither of +-1 LSB:
the difference of two successive uniform 8-bit draws (high-passed TPDF, one draw per sample).
The generator is an LCG mod 2**30 (a = 214013, c = 2531011: full period by Hull-Dobell); the
product wraps on a 32-bit core and not on a 64-bit host, but the mask makes both agree.
32-bit words hold the whole Q23 sample (<< 8): nothing to dither. While the output is not
muted (the dither flag) their lowest bit carries +-1, alternating frame by frame (-187 dBFS
at fs/2, no DC), so unmuted silence is never exact digital zero: the DACs' zero-data detect
(PCM5102A SLAS859C 9.3.2.3, PCM5122 SLAS763C 8.3.2.3) would mute after 1024 zero samples and
unmute abruptly on the next sound. (16-bit words have the dither for that.) A DAC that
truncates the word to 24 bits still sees -1 LSB every other frame.
Samples beyond full scale are clamped and counted.
state: [rng, previous draw, clip count, peak left, peak right, dither on (0/1)]
"""

import micropython


@micropython.viper
def to_int16(out: ptr16, buf: ptr32, frames: int, state: ptr32):
    rng = int(state[0])
    prev = int(state[1])
    clips = int(state[2])
    peak_l = int(state[3])
    peak_r = int(state[4])
    dither = int(state[5])
    n = frames * 2
    for i in range(n):
        x = ((buf[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        if dither:
            rng = (rng * 214013 + 2531011) & 0x3FFFFFFF
            r = rng >> 22
            x += r - prev
            prev = r
        y = (x + 128) >> 8
        if y > 32767:
            y = 32767
            clips += 1
        elif y < -32768:
            y = -32768
            clips += 1
        out[i] = y
        if y < 0:
            y = -y
        if i & 1:
            if y > peak_r:
                peak_r = y
        elif y > peak_l:
            peak_l = y
    state[0] = rng
    state[1] = prev
    state[2] = clips
    state[3] = peak_l
    state[4] = peak_r


@micropython.viper
def to_int32(out: ptr32, buf: ptr32, frames: int, state: ptr32):
    clips = int(state[2])
    peak_l = int(state[3])
    peak_r = int(state[4])
    unmuted = int(state[5])
    n = frames * 2
    for i in range(n):
        x = ((buf[i] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
        if x > 0x7FFFFF:
            x = 0x7FFFFF
            clips += 1
        elif x < -0x800000:
            x = -0x800000
            clips += 1
        word = x << 8
        if unmuted:
            if i & 2 and x > -0x800000:  # odd frames down, even up (full scale: up only)
                word -= 1
            else:
                word += 1
        out[i] = word
        y = x >> 8
        if y < 0:
            y = -y
        if i & 1:
            if y > peak_r:
                peak_r = y
        elif y > peak_l:
            peak_l = y
    state[2] = clips
    state[3] = peak_l
    state[4] = peak_r


def to_int16_reference(out, buf, frames, state):
    """Twin of to_int16: out is a bytearray (little-endian words), buf and state array('i')."""
    rng, prev, clips, peak_l, peak_r, dither = state[0:6]
    for i in range(frames * 2):
        x = buf[i]
        if dither:
            rng = (rng * 214013 + 2531011) & 0x3FFFFFFF
            r = rng >> 22
            x += r - prev
            prev = r
        y = (x + 128) >> 8
        if y > 32767 or y < -32768:
            y = max(-32768, min(32767, y))
            clips += 1
        _store(out, i, 2, y)
        if i & 1:
            peak_r = max(peak_r, abs(y))
        else:
            peak_l = max(peak_l, abs(y))
    state[0], state[1], state[2], state[3], state[4] = rng, prev, clips, peak_l, peak_r


def to_int32_reference(out, buf, frames, state):
    clips, peak_l, peak_r, unmuted = state[2], state[3], state[4], state[5]
    for i in range(frames * 2):
        x = buf[i]
        if x > 0x7FFFFF or x < -0x800000:
            x = max(-0x800000, min(0x7FFFFF, x))
            clips += 1
        word = x << 8
        if unmuted:
            word += -1 if (i >> 1) % 2 and x > -0x800000 else 1
        _store(out, i, 4, word)
        if i & 1:
            peak_r = max(peak_r, abs(x >> 8))
        else:
            peak_l = max(peak_l, abs(x >> 8))
    state[2], state[3], state[4] = clips, peak_l, peak_r


def _store(out, index, width, value):
    for k in range(width):
        out[index * width + k] = (value >> (8 * k)) & 0xFF
