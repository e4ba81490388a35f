"""Gain ramp, crossfeed and 16-bit dithered output in hand-written Thumb for RP2040 (Cortex-M0+).

The same integer math as `gain_ramp` and `delay_peak` (uamp/dsp/gain.py), `crossfeed_run`
(crossfeed.py) and `to_int16` (output.py); host_tests/test_kernels_emu.py runs them on the
armv6m emulator against the plain-Python twins. Like biquad_m0.py, the source is a string
(stages_m0_thumb.py) compiled on an ARM board by `load()`; elsewhere the engine runs the
viper kernels. r12 (a scratch register in the ARM calling convention) holds the loop's end
address or a spilled sample.

gain_m0(r0 = address of the channel's first Q23 sample, r1 = frames, r2 = address of that
channel's gain in the 4-word gain state [gL, gR, dL, dR]): one channel per call.
crossfeed_m0(r0 = work address, r1 = address of the crossfeed state (crossfeed.py: word 5 is
the loop's end address, words 6-7 the ring's write frame and delay, the ring from word 8),
r2 = frames).
crossfade_m0(r0 = work address, r1 = address of the other buffer, r2 = frames, r3 = address of
the mix state [t, dt]): `gain.crossfade`.
to_int16_m0(r0 = output address, r1 = work address, r2 = frames, r3 = output state address):
state words 0-5 as for to_int16, then the constants 214013, 2531011, 32767, -32768.
delay_peak_m0(r0 = work address, r1 = delay line address, r2 = words, r3 = address of the
limiter state): `gain.delay_peak`.
"""

OUT_CONSTANTS = (214013, 2531011, 32767, -32768)  # LCG a, c; int16 limits (state words 6-9)


def load():
    """{name: function} of the Thumb kernels on an ARM board, else None."""
    from uamp.dsp.biquad_m0 import compile_thumb

    return compile_thumb("stages_m0_thumb")
