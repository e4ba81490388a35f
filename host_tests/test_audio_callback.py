"""The audio callback runs with the heap locked and fails safe (uamp/audio.py _on_buffer_done).

On the rp2 port the heap lock keeps every bytecode frame of the refill on the C stack (no
gc_alloc per call); under it anything that allocates raises MemoryError. Whatever the callback
raises, the output goes silent (never a half-filled buffer), the fault is counted and shown by
`status`, and audio goes on without the lock. Ctrl-C that lands in the callback stops the
firmware from the main loop, as one in the main loop does.
"""

import micropython

from sim.simboard import SimBoard, peak
from uamp import app as app_module
from uamp.audio import FRAMES


def _running_board():
    board = SimBoard().boot()
    board.run_ms(app_module.CLOCKS_SETTLE_MS + app_module.AMP_SETTLE_MS + 50)
    board.send("vol -20\r")
    board.send("mute off\r")
    volume = board.app.volume
    board.run_until(lambda: volume.current_db == volume.target_db)
    board.run_ms(200)  # the engine's fade is in
    return board


def _play(board, buffers):
    board.i2s.clear_capture()
    board.i2s.play(buffers * FRAMES)
    return board.samples(0)


def _watch_the_lock(engine):
    """A list that gets, for every buffer the engine fills, whether its heap was locked (a
    probe in the crossfeed stage, which runs each buffer)."""
    seen = []
    run_crossfeed = engine._run_crossfeed

    def probe(work, frames):
        try:
            bytearray(64)
            seen.append(getattr(micropython, "_heap_locked", 0) > 0)  # CPython: the stub counts
        except MemoryError:
            seen.append(True)  # MicroPython: the lock is real
        run_crossfeed(work, frames)

    engine._run_crossfeed = probe
    return seen


def test_the_refill_runs_with_the_heap_locked():
    board = _running_board()
    seen = _watch_the_lock(board.app.engine)
    _play(board, 4)
    assert seen and all(seen)


def test_a_fault_in_the_callback_plays_silence_and_audio_goes_on_unlocked():
    board = _running_board()
    engine = board.app.engine
    assert peak(_play(board, 8)) > 5000  # the tone at -20 dB
    run_crossfeed = engine._run_crossfeed
    failures = [2]  # two buffers fail (the first locked, the next unlocked): both silent

    def failing(work, frames):
        if failures[0]:
            failures[0] -= 1
            raise MemoryError("memory allocation failed, heap is locked")
        run_crossfeed(work, frames)

    engine._run_crossfeed = failing
    left = _play(board, 12)
    assert engine.faults == 2 and engine.fault == "MemoryError"
    assert engine._lock is not micropython.heap_lock  # on without the lock
    # never garbage: after the fault, silence (the queued buffer was zeroed), then the tone
    # comes back ramped up from zero
    start = next(i for i in range(len(left)) if not any(left[i : i + 2 * FRAMES]))
    back = next(i for i in range(start, len(left)) if abs(left[i]) > 2)
    assert peak(left[back : back + 32]) < 2000
    assert peak(left[-FRAMES:]) > 5000
    assert engine.buffers > 0 and board.i2s.underrun_frames == 0  # the port never ran dry
    out = board.send("status --json\r")
    assert '"audio_faults": 2' in out
    board.run_ms(20)
    said = "".join(board.serial_out[-5:])
    assert "audio: the callback failed (MemoryError, 2 so far)" in said
    assert "audio faults 2 (last MemoryError)" in board.send("status\r")


def test_switching_back_to_the_tone_allocates_nothing_in_the_callback():
    """The tone's phase step is an int computed on the control side: a float in the callback
    would raise MemoryError under the lock (MicroPython) and be a fault."""
    board = _running_board()
    engine = board.app.engine
    engine.select_input("pink")
    _play(board, 40)
    engine.set_tone(440)
    engine.select_input("tone")
    board.i2s.clear_capture()
    micropython.heap_lock()  # the whole switch, as the unix port can see it
    try:
        board.i2s.play(40 * FRAMES)
    finally:
        micropython.heap_unlock()
    assert engine.faults == 0 and engine.input_name == "tone"
    assert engine.step == engine._tone_step and peak(board.samples(0)[-FRAMES:]) > 5000


def test_set_tone_reuses_two_tables():
    board = _running_board()
    engine = board.app.engine
    first = engine.table
    engine.set_tone(500)
    second = engine.table
    engine.set_tone(700, -12.0)
    assert engine.table is first and second is not first  # swapped, not built anew
    engine.set_tone(800)
    assert engine.table is second


def test_ctrl_c_in_the_callback_stops_the_firmware_from_the_main_loop():
    board = _running_board()
    engine = board.app.engine
    run_crossfeed = engine._run_crossfeed
    hits = [1]

    def interrupted(work, frames):
        if hits[0]:
            hits[0] -= 1
            raise KeyboardInterrupt
        run_crossfeed(work, frames)

    engine._run_crossfeed = interrupted
    left = _play(board, 6)
    assert engine.interrupted and engine.faults == 0
    assert peak(left[-2 * FRAMES :]) == 0  # silent at once, until the firmware stops
    start = len(board.serial_out)
    assert board.app.serve(lambda: board.run_ms(50)) is True  # App.tick raises it
    assert "".join(board.serial_out[start:]) == "\r\nuamp stopped (Ctrl-C); Ctrl-D restarts\r\n"
    assert board.dac.muted() and board.volume_ic.gain_db(0) is None
    assert board.i2s.handler is None  # no more refills: the REPL gets the core


def test_a_deep_stack_runs_the_refill_unlocked():
    """The locked frames live on the C stack: when the scheduler runs the callback deep in the
    main loop's calls, the refill runs without the lock (its frames from the heap)."""
    from uamp import audio

    board = _running_board()
    engine = board.app.engine
    seen = _watch_the_lock(engine)
    stack_use = audio._stack_use
    audio._stack_use = lambda: audio.LOCK_STACK_BELOW + 1
    try:
        left = _play(board, 4)
    finally:
        audio._stack_use = stack_use
    assert seen and not any(seen)
    assert engine.faults == 0 and peak(left) > 5000
