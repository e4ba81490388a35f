"""The order of an analog volume step against the digital trim, so the output never overshoots:
the engine's report of what the audio plays (`trim_excess_db`), then the volume controller's
use of it on both simulated boards, measured from the captured output plus the chips' analog
gain, over the whole range, up and down."""

from support import raises
from uamp.audio import EFFECT_BUFFERS, SILENT_EXCESS_DB, AudioEngine
from uamp.dsp import tone
from uamp.dsp.gain import UNITY


class _Port:
    """Just enough of machine.I2S for the engine: the test runs the callback itself."""

    def irq(self, handler):
        self.handler = handler

    def write(self, buf):
        return len(buf)


def _engine():
    port = _Port()
    engine = AudioEngine(port, 48000)
    engine.set_gain(UNITY)
    engine.start()
    return port, engine


def _buffers(port, count):
    for _ in range(count):
        port.handler(port)


def test_trim_excess_follows_the_audio_not_the_request():
    port, engine = _engine()
    _buffers(port, 40)
    assert engine.trim_excess_db() == 0.0
    engine.set_trim(UNITY // 2, UNITY)  # left 6 dB down: the queued audio is still louder
    assert abs(engine.trim_excess_db() - 6.02) < 0.01
    waited = 0
    while engine.trim_excess_db() > 0:
        _buffers(port, 1)
        waited += 1
    # The ramp takes 8 buffers (1/16 of unity each), then every buffer the port may still
    # hold must have been filled at the lower gain.
    assert 8 + EFFECT_BUFFERS - 2 <= waited <= 8 + EFFECT_BUFFERS + 1, waited
    engine.set_trim(UNITY, UNITY)  # louder: nothing queued is above it
    assert engine.trim_excess_db() == 0.0
    engine.set_trim(0, UNITY)
    assert engine.trim_excess_db() == SILENT_EXCESS_DB


# --- the volume controller on both boards, measured at the output ---
import math  # noqa: E402

from sim.simboard import SimBoard  # noqa: E402
from uamp import app as app_module  # noqa: E402
from uamp.audio import GAIN_STEP, TONE_DBFS  # noqa: E402
from uamp.dsp.gain import GAIN_ONE  # noqa: E402

PICO = "pico-pcm5102a-pga2311"
ESP32 = "esp32-pcm5122-tpa6130a2"
TONE_PEAK = 32767 * 10 ** (TONE_DBFS / 20)
WINDOW = 48  # frames in 1 ms at 48 kHz: one period of the 1 kHz tone, so the RMS is exact
OVER_DB = 0.5
# A trim set at a tick is in the output within two engine buffers (10.7 ms) plus the rest of
# the one playing: the output is compared with the highest level commanded over that time.
LAG_MS = 16
# Largest move of the output between two windows, as a linear fraction of the 0 dB level: what
# the engine's own gain ramp allows in one buffer (1/16 of unity, 0.54 dB at full scale).
STEP_ALLOWANCE = GAIN_STEP / GAIN_ONE


def _board(name, seconds):
    board = SimBoard(name)
    board.i2s.capture = bytearray(board.i2s.frame_bytes * 48 * 1000 * seconds)
    board.boot()
    board.run_until(lambda: board.app.state == app_module.RUNNING, 1000)
    board.run_until(lambda: board.app.volume.current_db == board.app.power_on_db, 3000)
    board.run_ms(300)
    return board


def _analog_db(board, channel):
    dac = board.dac.gain_db(channel)
    ic = board.volume_ic.gain_db(channel)
    return None if dac is None or ic is None else dac + ic


def _window_db(board, start, analog):
    """Level of one channel over WINDOW frames from `start` in the capture (frame k of the
    capture is the k-th frame the port played), plus the analog gain meanwhile."""
    capture = board.i2s.capture
    total = 0
    for i in range(start, start + WINDOW):
        at = 4 * i
        s = capture[at] | (capture[at + 1] << 8)
        total += (s - 65536 if s & 0x8000 else s) ** 2
    if total == 0 or analog is None:
        return None
    return 20 * math.log10(math.sqrt(2 * total / WINDOW) / TONE_PEAK) + analog


def _sweep(board, target, limit_ms):
    """Ramp to `target` and on to rest; per 1 ms window: (commanded, output) for the left
    channel, the output measured from the capture and the chips' analog state."""
    volume = board.app.volume
    board.send("vol %s\r" % target)
    rows = []
    rest = 0
    for _ in range(limit_ms):
        analog = _analog_db(board, 0)  # what plays until the next tick, at the end of this ms
        commanded = volume.current_db
        start = board.i2s.frames_played
        board.run_ms(1)
        rows.append((commanded, _window_db(board, start, analog)))
        rest = rest + 1 if volume.current_db == target and not volume.waiting else 0
        if rest > 100:
            return rows
    raise AssertionError("%s not reached in %d ms" % (target, limit_ms))


def _check(name, rows):
    worst_over = worst_step = worst_db_step = worst_now = 0.0
    last = None
    for i in range(len(rows)):
        level = rows[i][1]
        if level is None:
            last = None
            continue
        commanded = max(row[0] for row in rows[max(0, i - LAG_MS) : i + 1])
        worst_now = max(worst_now, level - rows[i][0])
        worst_over = max(worst_over, level - commanded)
        if last is not None:
            worst_step = max(worst_step, abs(10 ** (level / 20) - 10 ** (last / 20)))
            worst_db_step = max(worst_db_step, abs(level - last))
        last = level
    print(
        "%s: %d windows, output over the commanded level by at most %.3f dB (%.3f dB over the "
        "level commanded right now); largest move between windows %.4f of full scale "
        "(allowance %.4f), %.2f dB"
        % (name, len(rows), worst_over, worst_now, worst_step, STEP_ALLOWANCE, worst_db_step)
    )
    return worst_over, worst_step


def test_whole_range_up_and_down_never_overshoots():
    for name in (ESP32, PICO):
        board = _board(name, 12)
        volume = board.app.volume
        if name == PICO:
            assert board.volume_ic.zero_cross_enabled()  # the PGA2311 path, ZCEN high
        for target in (volume.min_db, volume.max_db, volume.min_db):
            rows = _sweep(board, target, 8000)
            over, step = _check("%s to %.1f" % (name, target), rows)
            assert over <= OVER_DB and step <= STEP_ALLOWANCE, (name, target)
            top = max(level for _commanded, level in rows if level is not None)
            assert top <= volume.cap_db + 0.01, (name, top)  # the cap holds in the audio too


def test_engine_rate_change_recomputes_what_depends_on_the_rate():
    port, engine = _engine()
    engine.set_eq_band(4, "highshelf", 10000, 3.0, 0.7)
    engine.set_crossfeed(2)
    before = (engine.step, engine.xf[2], engine.settings.rate, engine.eq_boost_db)
    new_port = _Port()
    engine.set_rate(44100, new_port)
    assert engine.rate == 44100 and engine.i2s is new_port and new_port.handler is not None
    assert engine.step > before[0] and engine.xf[2] > before[1]  # same Hz, fewer samples
    assert engine.settings.rate == 44100 and engine.eq_bands()[4][2] == 3.0
    assert engine.step == tone.phase_step(engine.tone_hz, 44100)
    for bad in (32000, "48000", None):
        raises(ValueError, engine.set_rate, bad, _Port())
        assert engine.rate == 44100 and engine.i2s is new_port


def test_at_the_cap_an_analog_step_waits_for_the_whole_trim():
    from chip_rigs import LaggingEngine, tpa6130a2_rig

    from uamp.volume import OVERSHOOT_DB, Volume

    # -4.0 dB needs code 45 (-3.5 dB) and a -0.5 dB trim, coming from code 44 (-4.1 dB) at 0 dB
    # of trim: taking the code before the trim is heard would put -3.5 dB out, over the cap.
    for cap in (-4.0, -6.5, 0.0, -12.5, -30.0):
        _world, chip, driver = tpa6130a2_rig()
        engine = LaggingEngine()
        volume = Volume(driver, engine, cap)
        driver.enable(True)
        volume.mute(False)
        volume.set_db(cap - 8)
        worst_cap = worst_commanded = -99.0
        for tick in range(400):
            if tick == 100:
                volume.set_db(cap)
            volume.tick()
            trim = engine.heard_db(0)
            analog = chip.gain_db(0)
            if trim is not None and analog is not None:
                worst_cap = max(worst_cap, analog + trim - cap)
                worst_commanded = max(worst_commanded, analog + trim - volume.current_db)
            engine.play()
        assert volume.current_db == cap and worst_cap <= 1e-9, (cap, worst_cap)
        assert worst_commanded <= OVERSHOOT_DB + 1e-9, (cap, worst_commanded)


def test_a_mute_never_waits_for_an_engine_that_does_not_catch_up():
    from chip_rigs import LaggingEngine, tpa6130a2_rig

    from uamp.volume import Volume

    _world, chip, driver = tpa6130a2_rig()
    engine = LaggingEngine()
    volume = Volume(driver, engine, 0.0)
    driver.enable(True)
    volume.mute(False)
    volume.set_db(-40.0)
    for _ in range(200):
        volume.tick()
        engine.play()
    volume.set_db(-20.0)
    for _ in range(10):
        volume.tick()  # from now on the audio never catches up
    assert volume.waiting and chip.gain_db(0) == -39.5  # held below the next code step
    volume.mute(True)
    for _ in range(40):
        volume.tick()
    assert chip.gain_db(0) is None and chip.muted(0) and engine.trim == (0, 0)
