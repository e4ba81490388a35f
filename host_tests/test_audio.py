"""Audio engine: the callback allocates nothing; output starts silent and fades in."""

import micropython

from sim.simboard import SimBoard, peak
from uamp import app as app_module
from uamp.audio import FRAMES


def test_callback_allocates_nothing_for_many_buffers():
    board = SimBoard().boot()
    board.run_ms(app_module.CLOCKS_SETTLE_MS + app_module.AMP_SETTLE_MS + 50)  # unmuted, ramping
    engine = board.app.engine
    before = engine.buffers
    buffers = 2000
    board.i2s.clear_capture()
    micropython.heap_lock()
    try:
        # The simulated DMA consumes frames and runs the firmware callback once per buffer.
        board.i2s.play(buffers * FRAMES)
    finally:
        micropython.heap_unlock()
    assert engine.buffers - before == buffers
    assert board.i2s.underrun_frames == 0


def test_output_starts_silent_then_fades_in():
    board = SimBoard().boot()
    board.run_ms(app_module.CLOCKS_SETTLE_MS)
    assert peak(board.samples()) == 0  # nothing but silence while clocks settle
    board.run_ms(app_module.AMP_SETTLE_MS + 400)
    left = board.samples(0)
    right = board.samples(1)
    assert left == right
    # A -6 dBFS tone at unity digital gain peaks at 16423; the fade reaches it gradually.
    assert 16300 <= peak(left[-4800:]) <= 16423
    first_sound = next(i for i, s in enumerate(left) if s != 0)
    assert peak(left[first_sound : first_sound + FRAMES]) < 1200  # first buffer: 1/32 gain


def test_tone_is_1khz():
    board = SimBoard().boot()
    board.run_ms(800)
    left = board.samples(0)[-48000 // 10 :]  # last 100 ms
    rising = sum(1 for i in range(1, len(left)) if left[i - 1] < 0 <= left[i])
    assert rising in (99, 100, 101)
