"""Screen redraws never starve the audio.

The simulator gives firmware code no duration, so the test measures what can delay the I2S
refill on a board: while the panel redraws as fast as it will (knob spinning, menu scrolling),
it adds up per app tick the time the SSD1306 transfers hold the I2C bus (the one thing the
MicroPython scheduler cannot interrupt) and compares the worst tick with the time the I2S ring
buffer (profile i2s.ibuf) can play on its own. The simulated I2S meanwhile must not underrun.
Prints the figures."""

from sim.simboard import SimBoard
from uamp.ui.panel import Panel


def test_redraws_never_cause_an_underrun():
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_until(lambda: board.app.state == 2, 2000)
    board.send("hp add studio 250 97 mw\r")
    board.send("hp use studio\r")  # the SPL line is drawn too
    app = board.app
    oled = board.display
    per_tick = []
    real_tick = app.tick

    def measured_tick():
        before = oled.busy_us
        real_tick()
        per_tick.append(oled.busy_us - before)

    app.tick = measured_tick
    underruns_before = board.i2s.underrun_frames
    engine_underruns = getattr(app.engine, "underruns", None)
    redraws_before = app.panel.redraws
    for _ in range(6):  # main screen: every detent changes the big number
        board.turn(8, ms_per_edge=5)
        board.turn(-8, ms_per_edge=5)
    board.press("push")
    for _ in range(4):  # menu: every detent moves the selection
        board.turn(10, ms_per_edge=5)
        board.turn(-10, ms_per_edge=5)
    board.hold("push", 900)
    redraws = app.panel.redraws - redraws_before
    cfg = board.profile["i2s"]
    headroom_ms = cfg["ibuf"] / board.i2s.frame_bytes / cfg["rate"] * 1000
    worst_ms = max(per_tick) / 1000
    frame_ms = 8 * oled.longest_us / 1000
    print(
        "redraws %d in %d ticks; worst tick holds I2C %.1f ms (%d pages/tick), full frame "
        "%.1f ms; I2S ring buffer plays %.1f ms alone; underrun frames %d"
        % (
            redraws,
            len(per_tick),
            worst_ms,
            Panel.PAGES_PER_TICK,
            frame_ms,
            headroom_ms,
            board.i2s.underrun_frames - underruns_before,
        )
    )
    assert redraws >= 60
    assert board.i2s.underrun_frames == underruns_before
    if engine_underruns is not None:
        assert app.engine.underruns == engine_underruns
    assert worst_ms <= 10.0
    assert worst_ms * 4 <= headroom_ms
