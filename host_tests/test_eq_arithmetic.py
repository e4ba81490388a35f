"""The EQ's arithmetic on the real engine (issue 12), CPython with numpy: a tone through a low,
narrow band gets no DC, and after a small low-frequency signal the EQ output follows its exact
response down and then stays at exact zero. The figures come from `tools/analyze.py figures`.
The kernels' own cases (both interpreters, the armv6m core): test_kernels*.py."""

SKIP_ON_MICROPYTHON = "numpy measurements run on CPython only"

from offline import biquad_dc_lsb, silent_tail  # noqa: E402


def test_a_tone_through_a_low_narrow_band_gets_no_dc():
    """Floored low products made -87 LSB of DC at the EQ output (-22 LSB at the DAC after the
    12 dB of headroom); now it is the output rounding's own mean, a few hundredths of an LSB."""
    eq_dc, out_dc = biquad_dc_lsb(("peak", 20, 12.0, 5.0))
    assert abs(eq_dc) < 0.1 and abs(out_dc) < 0.1, (eq_dc, out_dc)


def test_a_silent_tail_ends_at_exact_zero_unmuted_words_carry_only_the_pattern():
    """The tail used to stick at -36 LSB (the DAC saw -9 LSB, words -2305/-2303): now the EQ
    output is within 0.6 LSB of its coefficients run exactly, exact zero from within 50 ms of
    that exact response falling below 0.5 LSB, the 32-bit words then only the unmuted +-1
    (output.py: no exact digital silence while unmuted, for the DACs' auto-mute), and muted
    they are exact zero."""
    zero_ms, exact_ms, worst, unmuted, muted = silent_tail(
        lambda engine: engine.set_eq_band(1, "peak", 20, 12.0, 5.0)
    )
    assert zero_ms is not None and zero_ms <= exact_ms + 50, (zero_ms, exact_ms)
    assert worst < 0.6, worst
    assert unmuted == [-1, 1] and muted == [0], (unmuted, muted)
