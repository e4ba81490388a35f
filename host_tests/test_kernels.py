"""Viper kernels against their plain-Python twins, bit for bit, extremes included."""

from support import as_int16, int16_buffer
from uamp.dsp import gain, tone

EXTREMES = [-32768, -32767, -16384, -1, 0, 1, 16383, 32766, 32767]


def _ramp_signal():
    values = list(EXTREMES)
    x = 12345
    for _ in range(503):  # odd length: no accidental alignment with anything
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF  # deterministic LCG
        values.append((x >> 8) % 65536 - 32768)
    return values


def test_apply_gain_matches_reference():
    signal = _ramp_signal()
    for g in (0, 1, 2, 3, 1000, 16384, 23170, 32767, gain.UNITY):
        buf, ref = int16_buffer(signal)
        gain.apply_gain(buf, len(signal), g)
        gain.apply_gain_reference(ref, len(signal), g)
        assert as_int16(buf) == ref, "gain %d" % g


def test_apply_gain_extremes():
    buf, _ = int16_buffer([-32768, 32767, -1, 1])
    gain.apply_gain(buf, 4, gain.UNITY)
    assert list(as_int16(buf)) == [-32768, 32767, -1, 1]  # unity is exact
    gain.apply_gain(buf, 4, 0)
    assert list(as_int16(buf)) == [0, 0, 0, 0]
    buf, _ = int16_buffer([-32768, 32767, 3, -3])
    gain.apply_gain(buf, 4, gain.UNITY // 2)
    assert list(as_int16(buf)) == [-16384, 16384, 2, -1]  # round half up after the shift


def test_apply_gain_touches_only_count_samples():
    buf, _ = int16_buffer([1000, 1000, 1000])
    gain.apply_gain(buf, 2, 0)
    assert list(as_int16(buf)) == [0, 0, 1000]


def test_tone_fill_matches_reference():
    table = tone.make_table(-1.0)
    for freq, rate in ((1000, 48000), (997, 44100), (19000, 96000)):
        step = tone.phase_step(freq, rate)
        buf, ref = int16_buffer([0] * 2 * 300)
        phase = ref_phase = tone.PHASE_MASK - 5 * step  # start near the wrap
        for _ in range(3):
            phase = tone.tone_fill(buf, 300, table, phase, step)
            ref_phase = tone.tone_fill_reference(ref, 300, table, ref_phase, step)
            assert phase == ref_phase
            assert as_int16(buf) == ref


def test_tone_table_level():
    table = tone.make_table(0.0)
    assert max(table) == 32767 and min(table) == -32767
    table = tone.make_table(-6.0)
    assert abs(max(table) - 16423) <= 1  # 32767 * 10**(-6/20)


def test_apply_trim_matches_reference():
    from uamp.dsp import trim

    signal = _ramp_signal()[:512]
    for left, right in ((0, gain.UNITY), (gain.UNITY, 0), (1, 32767), (23170, 16384), (3, 3)):
        buf, ref = int16_buffer(signal)
        trim.apply_trim(buf, len(signal) // 2, left, right)
        trim.apply_trim_reference(ref, len(signal) // 2, left, right)
        assert as_int16(buf) == ref, "trim %d/%d" % (left, right)


def test_apply_trim_keeps_channels_apart():
    from uamp.dsp import trim

    buf, _ = int16_buffer([-32768, -32768, 32767, 32767])
    trim.apply_trim(buf, 2, gain.UNITY, 0)
    assert list(as_int16(buf)) == [-32768, 0, 32767, 0]
