"""Viper kernels against their plain-Python twins, bit for bit, extremes included.

Runs on CPython (the viper stand-in) and on the MicroPython unix port (real viper, 64-bit ints);
test_kernels_emu.py runs the same cases as armv6m machine code on a 32-bit core emulator.
"""

from array import array

import kernel_cases as cases

from support import as_int16, int16_buffer
from uamp.dsp import biquad, crossfeed, eq, output, pcm, tone
from uamp.dsp import gain as gain_mod

EXTREMES = [-32768, -32767, -16384, -1, 0, 1, 16383, 32766, 32767]


def _copy(args):
    out = []
    for a in args:
        if isinstance(a, array):
            out.append(array("i", a))  # every array in the cases is int32
        elif isinstance(a, bytearray):
            out.append(bytearray(a))
        else:
            out.append(a)
    return out


def _same(kernel, reference, args, repeats=3):
    """Run kernel and twin `repeats` times on the same buffers (state carries over)."""
    mine = _copy(args)
    ref = _copy(args)
    for _ in range(repeats):
        got = kernel(*mine)
        want = reference(*ref)
        assert got == want, (got, want)
        for a, b in zip(mine, ref):
            assert a == b
    return mine


def test_biquad_cascade_matches_reference():
    out = _same(biquad.biquad_run, biquad.biquad_run_reference, cases.biquad_case())
    assert max(out[0]) > 1 << 23  # the bass boost really drove it past full scale


def test_biquad_loud_input_stays_in_range():
    out = _same(biquad.biquad_run, biquad.biquad_run_reference, cases.biquad_case(loud=True))
    assert max(abs(v) for v in out[0]) <= biquad.LIMIT


def test_coefficient_ramp_matches_reference():
    cur = cases.eq_coefs()
    target = array("i", bytes(4 * len(cur)))
    for slot in range(eq.SLOTS):
        biquad.identity(target, slot * 5)
    step = array("i", bytes(4 * len(cur)))
    _same(biquad.coef_delta, biquad.coef_delta_reference, [step, cur, target, len(cur), 3], 1)
    biquad.coef_delta(step, cur, target, len(cur), 3)
    _same(biquad.coef_add, biquad.coef_add_reference, [cur, step, len(cur)])
    for _ in range(16):
        biquad.coef_add(cur, step, len(cur))
    for i in range(len(cur)):
        assert abs(cur[i] - target[i]) <= 16  # 16 steps land next to the target


def test_gain_ramp_matches_reference():
    for start, end in ((0, gain_mod.GAIN_ONE), (gain_mod.GAIN_ONE, 3), (1 << 20, 1 << 20)):
        _same(gain_mod.gain_ramp, gain_mod.gain_ramp_reference, cases.gain_case(97, start, end), 1)


def test_unity_gain_is_exact():
    args = cases.gain_case(50, gain_mod.GAIN_ONE, gain_mod.GAIN_ONE)
    before = array("i", args[0])
    gain_mod.gain_ramp(*args)
    assert args[0] == before


def test_crossfeed_matches_reference():
    """Fading in and held loud, the delay of each rate, the ring wrapping within a buffer."""
    for rate in (44100, 48000, 96000):
        for loud in (False, True):
            case = cases.crossfeed_case(rate=rate, loud=loud)
            out = _same(crossfeed.crossfeed_run, crossfeed.crossfeed_run_reference, case)
            assert out[2][7] == crossfeed.delay_frames(rate)
    out = _same(
        crossfeed.crossfeed_run, crossfeed.crossfeed_run_reference, cases.crossfeed_case(), 1
    )
    assert out[2][6] == (27 + 97) % crossfeed.RING  # the write slot moved on, wrapped


def test_crossfeed_delays_the_cross_path():
    """An impulse on the left: the right ear hears nothing for D frames, then the low-passed
    copy; the left ear the impulse at once, minus its low-passed copy (the shelf)."""
    for rate, frames in ((44100, 13), (48000, 14), (96000, 29)):
        assert crossfeed.delay_frames(rate) == frames
        state = crossfeed.new_state(rate)
        state[3] = 1 << 23  # mix 0.5, held
        buf = array("i", bytes(8 * 40))
        buf[0] = 1 << 22
        crossfeed.crossfeed_run(buf, 40, state)
        right = [buf[i] for i in range(1, 80, 2)]
        assert right[:frames] == [0] * frames
        assert right[frames] > 0
        assert buf[0] < 1 << 22 and buf[2] < 0  # the direct path's shelf takes some back


def test_output_kernels_match_reference():
    for dither in (0, 1):
        out = _same(output.to_int16, output.to_int16_reference, cases.to_int16_case(97, dither))
        assert out[3][2] > 0  # clips counted
    for unmuted in (0, 1):
        out = _same(output.to_int32, output.to_int32_reference, cases.to_int32_case(97, unmuted))
        assert out[3][2] > 0


def test_int32_output_is_never_exact_zero_while_unmuted():
    """The DACs' zero-data detect mutes after 1024 zero samples and unmutes abruptly: while
    unmuted, 32-bit silence carries +-1 in the word's lowest bit, alternating by frame, and
    none of it wraps at full scale; muted it is exact zero."""
    buf = array("i", [0, 0, -(1 << 23), 0, (1 << 23) - 1, 5, 0, 0])
    for unmuted, want in (
        (1, [1, 1, -(1 << 31) + 1, -1, 0x7FFFFF00 + 1, (5 << 8) + 1, -1, -1]),
        (0, [0, 0, -(1 << 31), 0, 0x7FFFFF00, 5 << 8, 0, 0]),
    ):  # fmt: skip
        for kernel in (output.to_int32, output.to_int32_reference):
            out = bytearray(32)
            kernel(out, buf, 4, array("i", [0, 0, 0, 0, 0, unmuted]))
            assert list(array("i", out)) == want, (kernel, unmuted)


def test_int16_output_without_dither_rounds_and_clamps():
    buf = array("i", [-32768 << 8, 32767 << 8, 1 << 24, -(1 << 24), 127, 128, -129, 0])
    out = bytearray(16)
    state = array("i", [1, 0, 0, 0, 0, 0])
    output.to_int16(out, buf, 4, state)
    assert list(as_int16(out)) == [-32768, 32767, 32767, -32768, 0, 1, -1, 0]
    assert state[2] == 2 and state[3] == 32768 and state[4] == 32768


def test_sources_match_reference():
    for freq, rate in ((1000, 48000), (997, 44100), (19000, 96000)):
        _same(tone.sine_fill, tone.sine_fill_reference, cases.sine_case(97, freq, rate))
    for pink in (0, 1):
        _same(tone.noise_fill, tone.noise_fill_reference, cases.noise_case(97, pink))


def test_sine_table_level():
    table = tone.make_table(0.0)
    assert max(table) == (1 << 23) - 1 and min(table) == -((1 << 23) - 1)
    assert table[tone.TABLE_SIZE] == table[0] == 0


def test_pcm_conversion_matches_reference():
    raw = bytearray(b % 256 for b in range(7, 7 + 4 * 2 * 40))
    raw[0:2] = b"\x00\x80"  # -32768 as the first 16-bit sample
    for width, channels in ((2, 1), (2, 2), (3, 1), (3, 2), (4, 2)):
        buf = array("i", bytes(8 * 20))
        ref = array("i", bytes(8 * 20))
        pcm.pcm_to_q23(buf, raw, 20, width, channels)
        pcm.pcm_to_q23_reference(ref, raw, 20, width, channels)
        assert buf == ref, (width, channels)
    buf = array("i", bytes(8))
    pcm.pcm_to_q23(buf, raw, 1, 2, 2)
    assert buf[0] == -32768 << 8


def test_apply_gain_matches_reference():
    signal = EXTREMES + cases.lcg_values(503, 12345, 32768)
    for g in (0, 1, 2, 3, 1000, 16384, 23170, 32767, gain_mod.UNITY):
        buf, ref = int16_buffer(signal)
        gain_mod.apply_gain(buf, len(signal), g)
        gain_mod.apply_gain_reference(ref, len(signal), g)
        assert as_int16(buf) == ref, "gain %d" % g


def test_thumb_block_pack_round_trip():
    """pack_block/unpack_block (viper, used around the RP2040 Thumb biquad) move a section's
    coefficients and state into the block, split in 14-bit halves, and back unchanged."""
    from uamp.dsp import biquad_m0

    coefs = cases.eq_coefs()
    per = biquad.STATE_PER
    state = array("i", cases.lcg_values(per * 2 * eq.SLOTS, 99, 1 << 26))
    for i in range(4, len(state), per):
        state[i] = abs(state[i]) & 0xFFF  # error-feedback residuals are 12-bit
        state[i + 1] = abs(state[i + 1]) & 0xFFF
        state[i + 2] = abs(state[i + 2]) & 0x3FFF  # the low products' remainder: 14-bit
    blk = array("i", bytes(4 * biquad_m0.BLOCK_WORDS))
    for slot in range(eq.SLOTS):
        for ch in range(2):
            biquad_m0.pack_block(blk, coefs, state, slot, ch)
            for k in range(5):
                assert (blk[2 * k] << 14) + blk[2 * k + 1] == coefs[slot * 5 + k]
                assert 0 <= blk[2 * k + 1] < 1 << 14
            copy = array("i", state)
            biquad_m0.unpack_block(blk, state, slot, ch)
            assert state == copy


def test_crossfade_matches_reference_and_lands_on_the_other_buffer():
    for start, end in ((0, gain_mod.GAIN_ONE), (gain_mod.GAIN_ONE // 3, gain_mod.GAIN_ONE // 2)):
        _same(
            gain_mod.crossfade,
            gain_mod.crossfade_reference,
            cases.crossfade_case(61, start, end),
            1,
        )
    buf, other, frames, state = cases.crossfade_case(61, gain_mod.GAIN_ONE, gain_mod.GAIN_ONE)
    gain_mod.crossfade(buf, other, frames, state)
    assert buf == other  # all new: exactly the new filter's output
    buf, other, frames, state = cases.crossfade_case(61, 0, 0)
    kept = array("i", buf)
    gain_mod.crossfade(buf, other, frames, state)
    assert buf == kept


def test_mul_q24_is_exact_at_unity_and_rounds():
    one = gain_mod.GAIN_ONE
    assert gain_mod.mul_q24(one, one) == one
    assert gain_mod.mul_q24(one, 12345) == 12345
    for a, b in ((one // 3, one // 7), (4095, 4097), (one - 1, one - 1)):
        assert abs(gain_mod.mul_q24(a, b) - a * b / one) <= 1


DC_FRAMES = 8160 + 16320  # 170 + 340 periods of 1 kHz: the error is measured over the last 340


def test_biquad_adds_no_dc_only_the_output_rounding():
    """A -6 dBFS 1 kHz tone through a 20 Hz +12 dB Q 5 band: the kernel's output differs from
    its own coefficients run in floating point by the final rounding alone (RMS 1/sqrt(12)
    LSB, no DC). Flooring each low product lost 2.5/4096 LSB a sample, which the section's
    1/A(1) of 146000 made -80 LSB of DC."""
    coefs = cases.one_band("peak", 20, 12.0, 5.0)
    x = cases.sine_then_silence(DC_FRAMES, 1000, 1 << 22)
    want = cases.exact(coefs, x)
    got = [
        cases.run_in_buffers(run, x, coefs)
        for run in (biquad.biquad_run, biquad.biquad_run_reference)
    ]
    assert got[0][0] == got[1][0] and got[0][1] == got[1][1] and got[0][2] == got[1][2]
    left, right, _ = got[0]
    dc, rms = cases.error_dc_rms(left, want, 8160)
    assert abs(dc) < 0.05 and rms < 0.35, (dc, rms)
    dc, rms = cases.error_dc_rms(right, want, 8160, -1)
    assert abs(dc) < 0.05 and rms < 0.35, (dc, rms)


def test_biquad_silent_tail_follows_the_exact_filter_to_exact_zero():
    """A small low-frequency signal, then digital silence: the band's output is its coefficients
    run exactly, rounded (within 0.6 LSB all the way), and exact zero from at most 10 ms after
    that exact response has fallen below 0.4 LSB for good (the 32-bit output then carries only
    the deliberate +-1 of its lowest bit, output.py)."""
    for band, freq, amplitude in cases.TAIL_CASES:
        coefs = cases.one_band(*band)
        x = cases.sine_then_silence(cases.TAIL_FRAMES, freq, amplitude, 4800)
        want = cases.exact(coefs, x)
        got = [
            cases.run_in_buffers(run, x, coefs)
            for run in (biquad.biquad_run, biquad.biquad_run_reference)
        ]
        assert got[0] == got[1], band
        left, right, _ = got[0]
        for out, sign in ((left, 1), (right, -1)):
            worst, last, quiet = cases.tail_figures(out, want, sign)
            assert quiet < cases.TAIL_FRAMES - 4800, band  # the case has a silent stretch
            assert worst < 0.6 and last < quiet + 480, (band, worst, last, quiet)
