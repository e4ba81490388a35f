"""The armv6m machine code of every viper kernel (mpy-cross -march=armv6m), run on a 32-bit
Cortex-M0 emulator (unicorn), bit for bit against the plain-Python twins. This is what proves
the kernels on a board, where viper ints are 32 bits and overflow wraps silently."""

SKIP_ON_MICROPYTHON = "needs unicorn and mpy-cross (CPython only)"

import kernel_cases as cases  # noqa: E402
from emu import runner  # noqa: E402

from uamp.dsp import biquad, crossfeed, output, pcm, tone  # noqa: E402
from uamp.dsp import gain as gain_mod  # noqa: E402


def test_biquad_cascade_on_armv6m():
    out = runner.compare(
        "uamp.dsp.biquad", "biquad_run", biquad.biquad_run_reference, cases.biquad_case(61)
    )
    assert max(out[0]) > 1 << 23
    runner.compare(
        "uamp.dsp.biquad",
        "biquad_run",
        biquad.biquad_run_reference,
        cases.biquad_case(61, loud=True),
    )


def test_coefficient_ramp_on_armv6m():
    from array import array

    cur = cases.eq_coefs()
    target = array("i", [(1 << 26) if i % 5 == 0 else 0 for i in range(len(cur))])
    step = array("i", bytes(4 * len(cur)))
    runner.compare(
        "uamp.dsp.biquad",
        "coef_delta",
        biquad.coef_delta_reference,
        [step, cur, target, len(cur), 3],
        1,
    )
    biquad.coef_delta_reference(step, cur, target, len(cur), 3)
    runner.compare("uamp.dsp.biquad", "coef_add", biquad.coef_add_reference, [cur, step, len(cur)])


def test_gain_on_armv6m():
    for start, end in ((0, gain_mod.GAIN_ONE), (gain_mod.GAIN_ONE, 3)):
        runner.compare(
            "uamp.dsp.gain",
            "gain_ramp",
            gain_mod.gain_ramp_reference,
            cases.gain_case(61, start, end),
            1,
        )


def test_crossfade_on_armv6m():
    for start, end in ((0, gain_mod.GAIN_ONE), (gain_mod.GAIN_ONE, 0)):
        runner.compare(
            "uamp.dsp.gain",
            "crossfade",
            gain_mod.crossfade_reference,
            cases.crossfade_case(61, start, end),
            1,
        )


def test_crossfeed_on_armv6m():
    for rate in (44100, 96000):
        for loud in (False, True):
            runner.compare(
                "uamp.dsp.crossfeed",
                "crossfeed_run",
                crossfeed.crossfeed_run_reference,
                cases.crossfeed_case(61, rate, loud),
            )


def test_output_on_armv6m():
    for dither in (0, 1):
        out = runner.compare(
            "uamp.dsp.output",
            "to_int16",
            output.to_int16_reference,
            cases.to_int16_case(61, dither),
        )
        assert out[3][2] > 0
    for unmuted in (0, 1):
        runner.compare(
            "uamp.dsp.output",
            "to_int32",
            output.to_int32_reference,
            cases.to_int32_case(61, unmuted),
        )


def test_sources_on_armv6m():
    runner.compare("uamp.dsp.tone", "sine_fill", tone.sine_fill_reference, cases.sine_case(61))
    for pink in (0, 1):
        runner.compare(
            "uamp.dsp.tone", "noise_fill", tone.noise_fill_reference, cases.noise_case(61, pink)
        )


def test_pcm_on_armv6m():
    from array import array

    raw = bytearray(b % 256 for b in range(3, 3 + 8 * 30))
    for width, channels in ((2, 2), (3, 1), (4, 2)):
        runner.compare(
            "uamp.dsp.pcm",
            "pcm_to_q23",
            pcm.pcm_to_q23_reference,
            [array("i", bytes(8 * 30)), raw, 30, width, channels],
            1,
        )


def test_every_kernel_is_self_contained():
    """No kernel calls into the runtime (that would also be slow on the board)."""
    for module in (
        "uamp.dsp.biquad",
        "uamp.dsp.gain",
        "uamp.dsp.crossfeed",
        "uamp.dsp.output",
        "uamp.dsp.tone",
        "uamp.dsp.pcm",
    ):
        cpu = runner.core(module)
        assert cpu.entry, module


def test_a_wrapping_kernel_is_caught():
    """The harness can fail: math that needs more than 32 bits differs on the core."""
    from array import array

    buf = array("i", [1 << 28, -(1 << 28)] * 4)
    state = array("i", [1 << 29, 1 << 29, 0, 0])  # gain 32: xh * gh needs 34 bits
    cpu = runner.core("uamp.dsp.gain")
    _, (emu_buf, _, _) = runner.run_on_core(cpu, "gain_ramp", [buf, 4, state])
    exact = list(buf)  # Python ints: the exact product, no wrap
    gain_mod.gain_ramp_reference(exact, 4, list(state))
    assert list(emu_buf) != exact


def test_benchmark_c_build_is_the_same_math():
    """tools/bench.py compares viper with a C build: that C must compute what the twins do."""
    import sys

    sys.path.insert(0, str(runner.BUILD.parents[1] / "tools"))
    sys.path.insert(0, str(runner.BUILD.parents[1] / "tools" / "bench"))
    import shutil

    import bench

    if shutil.which("cc") is None and shutil.which("gcc") is None:
        return  # no C compiler on this machine: the benchmark skips its C column too
    rows = bench.run_c(0.001)  # raises SystemExit if any output bit differs
    assert rows["chain"] > 0


def _thumb_cascade(case):
    from array import array

    from uamp.dsp import biquad_m0

    buf, frames, coefs, state, order, count = case
    thumb = runner.ThumbBiquad()
    address = thumb.load(buf)
    blk = array("i", bytes(4 * biquad_m0.BLOCK_WORDS))
    biquad_m0.run_cascade(thumb, address, blk, frames, coefs, state, order, count)
    return thumb.read(), state


def test_thumb_biquad_matches_reference():
    """The hand-written Thumb kernel (RP2040) against the twin, on the same cascade cases."""
    for loud in (False, True):
        case = cases.biquad_case(62, loud=loud)  # the Thumb loop takes frames in pairs
        ref = [runner._copy(a) for a in case]
        for _ in range(2):  # two buffers: the state carries over
            buf, state = _thumb_cascade(case)
            biquad.biquad_run_reference(*ref)
            assert buf == ref[0]
            assert state == ref[3]
            case[0] = buf


def test_thumb_gain_matches_reference():
    for start, end in ((0, gain_mod.GAIN_ONE), (gain_mod.GAIN_ONE, 3), (1 << 20, 1 << 20)):
        buf, frames, state = cases.gain_case(61, start, end)
        calls = [(("buf", 0, 0), frames, ("buf", 1, 0)), (("buf", 0, 4), frames, ("buf", 1, 4))]
        (got_buf, got_state), _ = runner.run_thumb("stages_m0", "gain_m0", [buf, state], calls)
        gain_mod.gain_ramp_reference(buf, frames, state)
        assert got_buf == buf
        assert got_state == state


def test_thumb_crossfade_matches_reference():
    for start, end in ((0, gain_mod.GAIN_ONE), (gain_mod.GAIN_ONE, 0), (5, 1 << 23)):
        buf, other, frames, state = cases.crossfade_case(61, start, end)
        call = [(("buf", 0, 0), ("buf", 1, 0), frames, ("buf", 2, 0))]
        (got_buf, got_other, got_state), _ = runner.run_thumb(
            "stages_m0", "crossfade_m0", [buf, other, state], call
        )
        gain_mod.crossfade_reference(buf, other, frames, state)
        assert got_buf == buf
        assert got_state == state


def test_thumb_int16_output_matches_reference():
    from array import array

    from uamp.dsp import stages_m0

    for dither in (0, 1):
        out, buf, frames, state = cases.to_int16_case(61, dither)
        state = array("i", list(state) + list(stages_m0.OUT_CONSTANTS))
        call = [(("buf", 0, 0), ("buf", 1, 0), frames, ("buf", 2, 0))]
        for _ in range(2):  # state carries over
            (got_out, got_buf, got_state), _ = runner.run_thumb(
                "stages_m0", "to_int16_m0", [out, buf, state], call
            )
            output.to_int16_reference(out, buf, frames, state)
            assert got_out == out
            assert got_state == state
            assert state[2] > 0  # clips counted


def test_thumb_crossfeed_matches_reference():
    """Every rate's delay, fading in and held loud, the ring wrapping: state and ring too."""
    for rate in (44100, 48000, 96000):
        for loud in (False, True):
            buf, frames, state = cases.crossfeed_case(61, rate, loud)
            call = [(("buf", 0, 0), ("buf", 1, 0), frames)]
            for _ in range(2):
                (got_buf, got_state), _ = runner.run_thumb(
                    "stages_m0", "crossfeed_m0", [buf, state], call
                )
                crossfeed.crossfeed_run_reference(buf, frames, state)
                assert got_buf == buf
                got_state[5] = state[5]  # the kernel's scratch word (its end address)
                assert got_state == state
                buf = got_buf


def test_thumb_loaders_fall_back_to_viper(monkeypatch):
    """Off RP2040, or when the firmware cannot compile inline asm, the engine runs viper."""
    import sys

    from uamp.dsp import biquad_m0, stages_m0

    assert biquad_m0.load() is None and stages_m0.load() is None  # not an rp2 board
    monkeypatch.setattr(sys, "platform", "rp2")  # an rp2 "board" whose compiler has no asm
    assert biquad_m0.load() is None and stages_m0.load() is None


def test_thumb_block_packing_on_armv6m():
    """pack_block/unpack_block's armv6m code against the same code run as plain Python."""
    from array import array

    from uamp.dsp import biquad_m0

    coefs = cases.eq_coefs()
    per = biquad.STATE_PER
    state = array("i", cases.lcg_values(per * 12, 5, 1 << 26))
    for i in range(4, len(state), per):  # the residuals' ranges: e 12 bits, r 14 bits
        state[i] = abs(state[i]) & 0xFFF
        state[i + 1] = abs(state[i + 1]) & 0xFFF
        state[i + 2] = abs(state[i + 2]) & 0x3FFF
    blk = array("i", bytes(4 * biquad_m0.BLOCK_WORDS))
    for slot, ch in ((0, 0), (3, 1), (5, 1)):
        out = runner.compare(
            "uamp.dsp.biquad_m0",
            "pack_block",
            biquad_m0.pack_block,
            [blk, coefs, state, slot, ch],
            1,
        )
        assert out[0] != blk
        runner.compare(
            "uamp.dsp.biquad_m0",
            "unpack_block",
            biquad_m0.unpack_block,
            [out[0], state, slot, ch],
            1,
        )


class _SharedThumb:
    """One emulated Thumb kernel called from two threads: unicorn is not thread-safe, so a
    lock serializes the calls; it records which thread ran which channel."""

    def __init__(self, thumb, address):
        import threading

        self.thumb = thumb
        self.address = address
        self.lock = threading.Lock()
        self.threads = ([], [])

    def __call__(self, address, frames, blk):
        import threading

        with self.lock:
            self.threads[(address - self.address) // 4].append(threading.get_ident())
            self.thumb(address, frames, blk)


def test_thumb_biquad_on_two_cores_matches_reference():
    """TwoCores (the right channel on core 1) gives run_cascade's result, buffer after buffer,
    and really runs the right channel on the other thread."""
    import _thread
    import threading
    from array import array

    from uamp.dsp import biquad_m0

    case = cases.biquad_case(62, loud=True)
    ref = [runner._copy(a) for a in case]
    buf, frames, coefs, state, order, count = case
    thumb = runner.ThumbBiquad()
    shared = _SharedThumb(thumb, thumb.load(buf))
    cores = biquad_m0.TwoCores(
        shared,
        shared.address,
        coefs,
        state,
        order,
        _thread.allocate_lock,
        _thread.start_new_thread,
    )
    blk = array("i", bytes(4 * biquad_m0.BLOCK_WORDS))
    try:
        for _ in range(3):  # the state carries over from buffer to buffer
            cores.run(blk, frames, count)
            biquad.biquad_run_reference(*ref)
            assert thumb.read() == ref[0]
            assert state == ref[3]
    finally:
        cores.stop()
    left, right = shared.threads
    assert len(left) == len(right) == 3 * count
    assert set(left) == {threading.get_ident()}
    assert threading.get_ident() not in set(right)


def test_two_cores_only_when_core1_starts(monkeypatch):
    """Off RP2040, or when core 1 cannot be started, the cascade stays on one core."""
    import sys
    import types

    from uamp.dsp import biquad_m0

    args = (None, 0, None, None, None)
    assert biquad_m0.two_cores(*args) is None  # not an rp2 board

    def busy(_function, _args):
        raise OSError("core1 in use")

    fake = types.SimpleNamespace(allocate_lock=__import__("_thread").allocate_lock)
    fake.start_new_thread = busy
    monkeypatch.setattr(sys, "platform", "rp2")
    monkeypatch.setitem(sys.modules, "_thread", fake)
    assert biquad_m0.two_cores(*args) is None


def _viper_on_armv6m(buf, frames, coefs, state, order, count):
    """biquad_run's armv6m code as a kernel for cases.run_in_buffers (32-bit ints)."""
    cpu = runner.core("uamp.dsp.biquad")
    _, after = runner.run_on_core(cpu, "biquad_run", [buf, frames, coefs, state, order, count])
    buf[:] = after[0]
    state[:] = after[3]


def _thumb_on_armv6m():
    """The Thumb cascade (run_cascade with the emulated biquad_m0) as such a kernel."""
    from array import array

    from uamp.dsp import biquad_m0

    thumb = runner.ThumbBiquad()
    blk = array("i", bytes(4 * biquad_m0.BLOCK_WORDS))

    def run(buf, frames, coefs, state, order, count):
        address = thumb.load(buf)
        biquad_m0.run_cascade(thumb, address, blk, frames, coefs, state, order, count)
        buf[:] = thumb.read()
        thumb.cpu.data_top = address  # the next buffer reuses the emulated RAM

    return run


def test_biquad_dc_and_silent_tail_on_armv6m():
    """test_kernels' DC and tail cases on the 32-bit core: the viper kernel's armv6m code and
    the Thumb cascade (RP2040) give the twin's output bit for bit, so the board adds no DC
    either and its silent tails reach exact zero."""
    coefs = cases.one_band("peak", 20, 12.0, 5.0)
    x = cases.sine_then_silence(8160 + 16320, 1000, 1 << 22)
    want = cases.run_in_buffers(biquad.biquad_run_reference, x, coefs)
    for run in (_viper_on_armv6m, _thumb_on_armv6m()):
        assert cases.run_in_buffers(run, x, coefs) == want
    dc, rms = cases.error_dc_rms(want[0], cases.exact(coefs, x), 8160)
    assert abs(dc) < 0.05 and rms < 0.35, (dc, rms)
    for band, freq, amplitude in cases.TAIL_CASES:
        coefs = cases.one_band(*band)
        x = cases.sine_then_silence(cases.TAIL_FRAMES, freq, amplitude, 4800)
        want = cases.run_in_buffers(biquad.biquad_run_reference, x, coefs)
        for run in (_viper_on_armv6m, _thumb_on_armv6m()):
            assert cases.run_in_buffers(run, x, coefs) == want, band
        worst, last, quiet = cases.tail_figures(want[0], cases.exact(coefs, x))
        assert worst < 0.6 and last < quiet + 480 < cases.TAIL_FRAMES, (band, worst, last)
