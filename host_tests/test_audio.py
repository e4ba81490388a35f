"""Audio engine: allocation-free callback, fade-in, click-free changes, validation, underruns."""

from array import array

import micropython

from sim.simboard import SimBoard, peak
from support import raises
from uamp import app as app_module
from uamp.audio import FRAMES


def _running_board(**profile_changes):
    board = SimBoard()
    if profile_changes:
        board = SimBoard(board_profile=_profile(**profile_changes))
    board.boot()
    board.run_ms(app_module.CLOCKS_SETTLE_MS + app_module.AMP_SETTLE_MS + 50)  # unmuted
    volume = board.app.volume
    board.run_until(lambda: volume.current_db == volume.target_db)  # the knob stays put
    return board


def _profile(**i2s):
    from sim.simboard import profile_path
    from uamp import profile as profiles

    p = profiles.load(profile_path("pico-pcm5102a-pga2311"))
    p["i2s"].update(i2s)
    return p


def _run_locked(board, buffers):
    engine = board.app.engine
    before = engine.buffers
    board.i2s.clear_capture()
    micropython.heap_lock()
    try:
        # The simulated DMA consumes frames and runs the firmware callback once per buffer.
        board.i2s.play(buffers * FRAMES)
    finally:
        micropython.heap_unlock()
    assert engine.buffers - before == buffers
    assert board.i2s.underrun_frames == 0


def test_callback_allocates_nothing_for_many_buffers():
    board = _running_board()
    engine = board.app.engine
    # the whole chain busy: EQ ramping in, bass, crossfeed fading in, trim ramping
    engine.set_eq_enabled(True)  # saved settings start with the EQ off
    engine.load_eq_preset("warm")
    engine.set_bass(6)
    engine.set_crossfeed(2)
    engine.set_trim(20000, 30000)
    _run_locked(board, 1000)
    assert engine.active == 5  # bass + the preset's four non-flat bands
    engine.select_input("pink")  # input switch: fade out, swap, fade in
    engine.set_eq_enabled(False)  # ramp to identity, sections dropped
    _run_locked(board, 1000)
    assert engine.active == 1  # only the bass shelf still runs


def test_32bit_output_allocates_nothing_and_plays_24_bits():
    board = _running_board(bits=32)
    board.app.engine.set_bass(6)
    _run_locked(board, 300)
    left = board.samples(0)[-4800:]
    # the -6 dBFS tone, bass shelf far below it, pre-gain -6 dB: about -12 dBFS, 24-bit words
    assert 0.24 * 2**31 < peak(left) < 0.26 * 2**31
    # Q23 << 8, and +-1 by frame while unmuted (never exact zero: output.py)
    assert all(s & 0xFF in (0x01, 0xFF) for s in left)
    assert len(set(s >> 8 & 0xFF for s in left)) > 200  # and the bits below 16 are in use


def test_output_starts_silent_then_fades_in():
    board = SimBoard().boot()
    board.run_ms(app_module.CLOCKS_SETTLE_MS)
    assert peak(board.samples()) == 0  # muted: digital silence, no dither either
    board.run_ms(app_module.AMP_SETTLE_MS + 400)
    left = board.samples(0)
    right = board.samples(1)
    assert max(abs(a - b) for a, b in zip(left, right)) <= 2  # same tone, own dither
    # A -6 dBFS tone at unity digital gain peaks at 16423 (+-1 LSB of dither).
    assert 16300 <= peak(left[-4800:]) <= 16425
    first_sound = next(i for i, s in enumerate(left) if s != 0)
    assert peak(left[first_sound : first_sound + FRAMES]) < 1100  # first buffer: < 1/16


def test_tone_is_1khz():
    board = SimBoard().boot()
    board.run_ms(800)
    left = board.samples(0)[-48000 // 10 :]  # last 100 ms
    rising = sum(1 for i in range(1, len(left)) if left[i - 1] < 0 <= left[i])
    assert rising in (99, 100, 101)


def test_invalid_settings_raise_and_keep_previous():
    engine = _running_board().app.engine
    engine.set_eq_band(2, "peak", 1000, 3.0, 1.0)
    engine.set_bass(4)
    before = (engine.eq_bands(), engine.bass_db, engine.crossfeed, engine.input_name)
    for call, args in (
        (engine.set_eq_band, (2, "peak", 0, 3.0, 1.0)),  # f = 0
        (engine.set_eq_band, (2, "peak", 24000, 3.0, 1.0)),  # f = fs/2
        (engine.set_eq_band, (2, "peak", 1000, 3.0, 0)),  # Q = 0
        (engine.set_eq_band, (2, "peak", 1000, 30.0, 1.0)),  # gain out of range
        (engine.set_eq_band, (2, "notch", 1000, 3.0, 1.0)),  # unknown shape
        (engine.set_eq_band, (5, "peak", 1000, 3.0, 1.0)),  # no such band
        (engine.set_bass, (20,)),
        (engine.set_crossfeed, (9,)),
        (engine.set_trim, (40000, 0)),
        (engine.select_input, ("radio",)),
        (engine.load_eq_preset, ("loud",)),
    ):
        e = raises(ValueError, call, *args)
        assert str(e)  # a message fit for a user
    assert (engine.eq_bands(), engine.bass_db, engine.crossfeed, engine.input_name) == before


def test_eq_settings_round_trip_and_presets():
    engine = _running_board().app.engine
    assert "flat" in engine.eq_presets
    engine.load_eq_preset("vocal")
    assert engine.eq_preset == "vocal"
    engine.set_eq_band(0, "lowshelf", 120, 2.0, 0.7)
    assert engine.eq_preset is None
    assert engine.eq_bands()[0] == ("lowshelf", 120, 2.0, 0.7)
    engine.set_eq_enabled(False)
    assert not engine.eq_enabled


def test_eq_boost_gets_headroom_and_does_not_clip():
    board = _running_board()
    engine = board.app.engine
    engine.set_tone(30, -0.5)  # well inside the shelf: close to the full +12 dB
    engine.set_bass(12)
    board.i2s.clear_capture()
    board.run_ms(400)
    assert engine.pregain < (1 << 24) // 3  # about -12 dB of pre-gain
    assert engine.clip_count == 0
    left = board.samples(0)[-4800:]
    assert 27000 < peak(left) < 32767  # the boost is there, the pre-gain took it back


def test_select_input_fades_out_and_in():
    board = _running_board()
    engine = board.app.engine
    board.run_ms(300)
    engine.select_input("silence")
    board.i2s.clear_capture()
    board.run_ms(300)
    assert engine.input_name == "silence"
    tail = board.samples(0)[-4800:]
    assert peak(tail) <= 2  # silence plus dither
    left = board.samples(0)
    steps = max(abs(left[i] - left[i - 1]) for i in range(1, len(left)))
    assert steps <= 2200  # a 1 kHz -6 dBFS sine moves at most 2150 per sample: no click


def test_peak_levels_and_trim_per_channel():
    board = _running_board()
    engine = board.app.engine
    engine.set_trim(32768, 16384)
    board.i2s.clear_capture()
    board.run_ms(300)
    engine.peak_levels()
    board.run_ms(50)
    left, right = engine.peak_levels()
    assert 16300 <= left <= 16425
    assert 8150 <= right <= 8215  # -6 dB on the right channel only


def test_a_little_late_is_covered_by_the_ring_buffer():
    board = _running_board()
    board.run_ms(100)
    board.i2s.late_frames = 4 * FRAMES  # 21 ms late: a board's 8 KB ring still plays
    board.run_ms(100)
    assert board.app.engine.underruns == 0


def test_late_callback_counts_underrun_and_ramps_back():
    board = _running_board()
    engine = board.app.engine
    board.run_ms(300)
    board.i2s.clear_capture()
    # The DSP misses its slot by more than the driver's ring buffer (ibuf 8192 bytes = 2048
    # frames) can cover: the DMA plays silence meanwhile.
    board.i2s.late_frames = 10 * FRAMES
    board.run_ms(250)
    assert engine.underruns == 1
    left = board.samples(0)
    gap = next(i for i in range(len(left)) if left[i : i + 500] == array("h", bytes(1000)))
    back = next(i for i in range(gap, len(left)) if abs(left[i]) > 2)
    assert back - gap >= 10 * FRAMES
    assert peak(left[back : back + 64]) < 2000  # comes back ramped from silence, no garbage
    assert 16300 <= peak(left[-480:]) <= 16425  # and fully


def test_i2s_input_passes_through():
    import math

    p = _profile()
    p["i2s_in"] = {"id": 1, "sck": 26, "ws": 27, "sd": 28, "ibuf": 8192}
    board = SimBoard(board_profile=p).boot()
    board.run_ms(app_module.CLOCKS_SETTLE_MS + app_module.AMP_SETTLE_MS + 50)
    volume = board.app.volume
    board.run_until(lambda: volume.current_db == volume.target_db)
    period = [int(12000 * math.sin(2 * math.pi * i / 48)) for i in range(48)]  # 1 kHz
    words = array("i", [0] * 96)
    for i, v in enumerate(period):
        words[2 * i] = v << 16  # 32-bit I2S words: the sample in the top bits
        words[2 * i + 1] = -v << 16
    board.world.i2s_ports[1].rx_source = bytes(words)
    engine = board.app.engine
    assert "i2s" in engine.inputs
    engine.select_input("i2s")
    board.i2s.clear_capture()
    board.run_ms(300)
    left = board.samples(0)[-960:]
    right = board.samples(1)[-960:]
    offset = min(
        range(48), key=lambda k: sum(abs(left[j] - period[(j + k) % 48]) for j in range(48))
    )
    for i in range(960):
        assert abs(left[i] - period[(i + offset) % 48]) <= 2  # the input, +-dither
        assert abs(right[i] + period[(i + offset) % 48]) <= 2
    _run_locked(board, 50)  # the receiver path allocates nothing either


def _kernel3(a, b, c):  # stands in for a Thumb kernel: the Python around it is under test
    pass


def _kernel4(a, b, c, d):
    pass


def _rp2040_board():
    """A running board whose engine takes its RP2040 branch, with stand-in kernels."""
    from array import array as arr

    from uamp.dsp import biquad_m0

    board = _running_board()
    engine = board.app.engine
    engine._thumb = _kernel3
    engine._work_address = 0x20001000  # what uctypes.addressof gives on a board: a small int
    engine._block = arr("i", bytes(4 * biquad_m0.BLOCK_WORDS))
    engine._gain_m0 = engine._xf_m0 = _kernel3
    engine._int16_m0 = _kernel4
    engine._work_addr, engine._gain_addr, engine._xf_addr = 0x20001000, 0x20002000, 0x20003000
    engine._out_addr = (0x20004000, 0x20005000)
    engine._out_state_addr = 0x20006000
    engine._xbuf_address = engine._xbuf_addr = 0x20007000  # the EQ crossfade's copy
    engine._cf_m0 = _kernel4
    engine._mix_addr = 0x20008000
    engine.set_eq_enabled(True)
    engine.load_eq_preset("warm")
    engine.set_crossfeed(1)
    engine.set_trim(20000, 30000)
    return board


def test_rp2040_code_path_allocates_nothing():
    """The callback's RP2040 branch (Thumb kernels called with buffer addresses) allocates
    nothing either; the kernels themselves are proven on the armv6m emulator."""
    board = _rp2040_board()
    _run_locked(board, 200)
    assert board.app.engine.active == 4  # the preset's four non-flat bands


_channel_calls = [0, 0]


def _section_kernel(address, frames, blk):  # a Thumb section stand-in that counts channels
    _channel_calls[((address - 0x20001000) // 4) & 1] += 1  # work or crossfade buffer


def test_rp2040_two_core_path_allocates_nothing():
    """With the EQ split over two cores (a real second thread here), the callback's side of
    the hand-over allocates nothing, and every buffer runs each channel's sections once."""
    import _thread

    from uamp.dsp import biquad_m0

    board = _rp2040_board()
    engine = board.app.engine
    engine._thumb = _section_kernel
    cores = biquad_m0.TwoCores(
        _section_kernel,
        engine._work_address,
        engine.coefs,
        engine.eq_state,
        engine.order,
        _thread.allocate_lock,
        _thread.start_new_thread,
    )
    engine._two_cores = cores
    try:
        _run_locked(board, 40)  # the preset's section crossfades (on one core), then settled
        _channel_calls[0] = _channel_calls[1] = 0
        _run_locked(board, 50)
    finally:
        cores.stop()
    assert _channel_calls[0] == _channel_calls[1] == 50 * engine.active
    assert cores.frames == FRAMES and cores.count == engine.active  # set only by cores.run


_failing = [0]


def _kernel_failing_on_core1(address, frames, blk):
    ch = ((address - 0x20001000) // 4) & 1
    if ch == 1 and _failing[0]:
        _failing[0] = 0
        raise RuntimeError("core 1 fault")
    _channel_calls[ch] += 1


def test_two_cores_fall_back_to_one_when_core1_fails():
    """An error on core 1 never leaves the callback waiting: from then on both channels run
    on the caller's core."""
    import _thread

    from uamp.dsp import biquad, biquad_m0

    coefs = array("i", bytes(4 * 5 * 2))
    state = array("i", bytes(4 * biquad.STATE_PER * 2 * 2))
    blk = array("i", bytes(4 * biquad_m0.BLOCK_WORDS))
    order = bytearray([0, 1])
    cores = biquad_m0.TwoCores(
        _kernel_failing_on_core1,
        0x20001000,
        coefs,
        state,
        order,
        _thread.allocate_lock,
        _thread.start_new_thread,
    )
    _channel_calls[0] = _channel_calls[1] = 0
    try:
        cores.run(blk, 4, 2)
        _failing[0] = 1
        cores.run(blk, 4, 2)  # core 1 fails on its first section
        assert not cores.running
        cores.run(blk, 4, 2)
    finally:
        cores.stop()
    assert _channel_calls == [6, 4]
