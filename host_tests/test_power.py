"""Power-up, shutdown, quiet changes and faults on both simulated boards, measured end to end:
the captured I2S output plus the analog gain the simulated chips report."""

import math

from sim import machine
from sim.simboard import SimBoard, peak, profile_path
from support import raises
from uamp import app as app_module
from uamp import profile as profiles
from uamp.app import App, ChipError
from uamp.audio import TONE_DBFS
from uamp.board import Board

PICO = "pico-pcm5102a-pga2311"
ESP32 = "esp32-pcm5122-tpa6130a2"
BOARDS = (PICO, ESP32)
TONE_PEAK = 32767 * 10 ** (TONE_DBFS / 20)


def _analog_db(board, channel):
    """Gain after the DAC's digital input: DAC + volume IC + gain relay, from the models."""
    dac = board.dac.gain_db(channel)
    ic = 0.0 if board.volume_ic is None else board.volume_ic.gain_db(channel)
    if dac is None or ic is None:
        return None
    gain = board.profile.get("gain") or {}
    relay = gain.get("relay")
    relay_db = gain["high_db"] if relay is not None and board.pin(relay).level() else 0
    return dac + ic + relay_db


def _measure(board, ms=100):
    """Output level (left, right) in dB relative to the tone at full digital gain: the tone's
    amplitude (RMS x sqrt 2 over whole periods, so the output's dither does not bias it the way
    it biases a peak) captured over the next `ms` (the capture holds 2 s, so it is cleared
    first) plus the analog gain the models report. None for a silent channel."""
    board.i2s.clear_capture()
    board.run_ms(ms)
    levels = []
    for channel in (0, 1):
        level = _amplitude(board.samples(channel))
        analog = _analog_db(board, channel)
        if level == 0 or analog is None:
            levels.append(None)
        else:
            levels.append(20 * math.log10(level / TONE_PEAK) + analog)
    return levels


def _amplitude(samples):
    if peak(samples) == 0:
        return 0
    return math.sqrt(2 * sum(s * s for s in samples) / len(samples))


def _measured_db(board, channel):
    return _measure(board)[channel]


def _silent(board):
    return _measure(board, 50) == [None, None]


def _settle(board, limit_ms=5000):
    """Until the ramp has reached the target (a TPA6130A2 step up waits for the engine to
    play the lower trim first, so a long rise takes a while), plus the audio's latency."""
    volume = board.app.volume
    board.run_until(lambda: volume.current_db == volume.target_db and not volume.waiting, limit_ms)
    board.run_ms(50)


def _running(name, ms=2500):
    board = SimBoard(name).boot()
    board.run_until(lambda: board.app.state == app_module.RUNNING, 1000)
    board.run_until(lambda: board.app.volume.current_db == board.app.power_on_db, ms)
    board.run_ms(300)
    return board


def test_power_up_order_on_both_boards():
    for name in BOARDS:
        board = SimBoard(name).boot()
        amp = board.pin(board.profile["amp_enable"])
        board.run_ms(app_module.CLOCKS_SETTLE_MS - 10)
        assert amp.level() == 0 and board.dac.muted() and board.volume_ic.gain_db(0) is None
        assert peak(board.samples(0)) == 0
        board.run_ms(20)
        assert amp.level() == 1 and board.dac.muted(), name  # amp first, DAC still muted
        board.run_ms(app_module.AMP_SETTLE_MS)
        assert not board.dac.muted(), name
        amp_on = amp.history[-1][0]
        xsmt_or_mute_off = board.clock.now_us  # the DAC unmuted after the amp came on
        assert amp_on < xsmt_or_mute_off


def test_power_on_level_is_the_smaller_of_saved_and_cap():
    for saved, expected in ((-45.0, -45.0), (-3.0, -30.0), (None, -30.0)):
        board = SimBoard(PICO)
        board.app.saved_db = saved
        board.boot()
        board.run_ms(2500)
        assert board.app.volume.target_db == expected
        assert board.volume_ic.gain_db(0) == expected


def test_both_boards_play_the_tone_at_the_commanded_level():
    for name in BOARDS:
        board = _running(name)
        for level in (-30.0, -20.0, -33.5, -7.5):
            assert board.send("vol %s\r" % level) == "vol %.1f dB\r\n" % level
            _settle(board)
            left, right = _measure(board)
            print("%s vol %.1f: measured L %.3f R %.3f dB" % (name, level, left, right))
            assert abs(left - level) <= 0.05 and abs(right - level) <= 0.05, (name, level)


def _pico_with_relay_modes():
    """The Pico profile with a 12 dB gain relay on GPIO 8 for the high mode."""
    profile = profiles.load(profile_path(PICO))
    profile["gain"] = {"high_db": 12, "relay": 8}
    return profiles.validate(profile, "pico with gain relay")


def _esp32_with_ic_range_modes():
    """The ESP32 profile with low/high modes the TPA6130A2 supplies from its own range."""
    profile = profiles.load(profile_path(ESP32))
    profile["gain"] = {"high_db": 6}
    return profiles.validate(profile, "esp32 with gain modes")


def test_gain_mode_switch_keeps_the_output_level():
    for name, board_profile in (
        (PICO, _pico_with_relay_modes()),
        (ESP32, _esp32_with_ic_range_modes()),
    ):
        board = SimBoard(name, board_profile).boot()
        board.run_ms(2500)
        board.send("vol -12\r")
        _settle(board)
        before = _measured_db(board, 0)
        board.app.volume.set_gain_mode("high")
        board.run_ms(20)
        after = _measured_db(board, 0)
        assert abs(after - before) <= 0.5, (name, before, after)
        high = board.profile["gain"]["high_db"]
        assert board.app.volume.target_db == -12.0 - high  # the volume moved, not the output
        if name == PICO:
            assert board.pin(8).level() == 1 and board.volume_ic.gain_db(0) == -24.0
        board.app.volume.set_gain_mode("low")
        board.run_ms(20)
        assert abs(_measured_db(board, 0) - before) <= 0.5 and board.app.volume.target_db == -12


def test_volume_chip_fault_mutes_and_reports():
    board = _running(ESP32)
    board.volume_ic.fault = "nack"
    board.send("vol -10\r")
    board.run_ms(300)
    assert "fault: volume chip" in "".join(board.serial_out)
    assert board.app.volume.fault is not None and board.dac.muted()
    assert _silent(board)
    board.volume_ic.fault = None
    board.app.volume.mute(False)
    board.run_ms(1500)
    assert board.app.volume.fault is None and abs(_measured_db(board, 0) - -10.0) <= 0.05


def test_stuck_bus_silences_the_output():
    board = _running(ESP32)
    board.world.i2c_bus(0).stuck = True
    board.send("vol -25\r")
    board.run_ms(300)
    assert board.app.volume.fault is not None
    assert _silent(board)


def test_missing_dac_stops_the_boot_with_the_amp_off():
    board = SimBoard(ESP32)
    profile = board.profile
    world = machine.reset_world()  # the same board with nothing on the I2C bus
    e = raises(ChipError, App, profile, Board(profile, world.clock), world.clock, print)
    assert "pcm5122" in str(e)
    assert world.pin(profile["amp_enable"]).level() == 0


def _quiet_state(board):
    return board.dac.muted(), board.volume_ic.gain_db(0), board.app.volume.trims


def test_quiet_change_runs_with_the_output_silent():
    for name in BOARDS:
        board = _running(name)
        seen = []
        board.app.quiet_change(lambda b=board, s=seen: s.append(_quiet_state(b)))
        board.run_ms(500)
        assert seen == [(True, None, (0, 0))], name
        assert board.app.state == app_module.RUNNING and not board.dac.muted()
        board.run_ms(500)
        assert abs(_measured_db(board, 0) - board.app.power_on_db) <= 0.05


def test_shutdown_fades_then_mutes_then_amp_off():
    for name in BOARDS:
        board = _running(name)
        board.app.shutdown()
        board.run_ms(500)
        amp = board.pin(board.profile["amp_enable"])
        assert amp.level() == 0 and board.dac.muted() and board.volume_ic.gain_db(0) is None
        assert board.app.state == app_module.OFF
        if name == ESP32:
            assert not board.volume_ic.enabled(0) and not board.dac.enabled()  # DAC standby


def test_wake_after_shutdown_powers_up_in_order_to_the_old_level():
    for name in BOARDS:
        board = _running(name)
        board.send("vol -40\r")
        board.run_ms(300)
        board.app.shutdown()
        board.run_ms(500)
        raises(ValueError, board.app.quiet_change, print)  # off: nothing to change quietly
        board.app.wake()
        amp = board.pin(board.profile["amp_enable"])
        assert amp.level() == 0 and board.dac.muted()
        board.run_ms(app_module.CLOCKS_SETTLE_MS + app_module.AMP_SETTLE_MS + 1000)
        assert amp.level() == 1 and not board.dac.muted() and board.app.volume.fault is None
        assert abs(_measured_db(board, 0) - -40.0) <= 0.05, name


def test_dac_fault_during_a_change_mutes_and_reports():
    board = _running(ESP32)
    board.dac.fault = "timeout"
    board.app.quiet_change(print)
    board.run_ms(500)
    assert board.app.volume.fault.startswith("dac: ") and _silent(board)
    assert "fault: dac" in "".join(board.serial_out)


def test_bad_saved_level_falls_back_to_the_power_on_cap():
    board = SimBoard(PICO)
    board.app.saved_db = "garbage"
    board.boot()
    board.run_ms(2500)
    assert board.volume_ic.gain_db(0) == board.app.power_on_db


def test_gain_mode_gain_sits_on_the_grid():
    profile = _pico_with_relay_modes()
    profile["gain"]["high_db"] = 12.5
    profiles.validate(profile, "x")
    profile["gain"]["high_db"] = 12.3
    assert "0.5 dB grid" in str(raises(profiles.ProfileError, profiles.validate, profile, "x"))


def test_pcm5102a_pins_follow_slas859():
    from sim.chips.pcm5102a import PCM5102AModel
    from uamp.drivers.pcm5102a import PCM5102A

    world = machine.reset_world()
    chip = PCM5102AModel(world, xsmt=19, flt=20, demp=21)
    pins = [machine.Pin(n, machine.Pin.OUT, value=1) for n in (19, 20, 21)]
    dac = PCM5102A(pins[0], flt=pins[1], demp=pins[2])
    assert chip.muted() and chip.filter() == "normal" and not chip.deemphasis()  # all low
    dac.mute(False)
    dac.set_filter("low-latency")
    dac.set_deemphasis(True)
    assert not chip.muted() and chip.filter() == "low-latency" and chip.deemphasis()
    raises(ValueError, dac.set_filter, "slow")
    assert chip.filter() == "low-latency"
    dac.set_rate(44100)
    assert chip.deemphasis()  # SLAS859: de-emphasis is for 44.1 kHz
    dac.set_rate(48000)
    assert not chip.deemphasis()
    bare = PCM5102A(machine.Pin(22, machine.Pin.OUT))
    raises(ValueError, bare.set_filter, "normal")  # FLT not wired: say so, change nothing


def test_amp_chip_that_never_answers_keeps_the_board_muted():
    board = SimBoard(ESP32)
    board.volume_ic.fault = "nack"
    board.boot()
    board.run_ms(1500)
    assert board.app.volume.fault.startswith("volume chip: ")
    assert "fault: volume chip" in "".join(board.serial_out)
    assert board.app.state == app_module.BOOTING and board.dac.muted() and _silent(board)


def test_digital_only_board_plays_at_the_commanded_level():
    profile = profiles.load(profile_path(PICO))
    profile["volume"] = {"type": "digital"}
    del profile["spi"]
    board = SimBoard(PICO, profiles.validate(profile, "pico, digital volume")).boot()
    board.run_ms(2500)
    for level in (-20.0, -45.5):
        board.send("vol %s\r" % level)
        board.run_ms(800)
        left, right = _measure(board)
        assert abs(left - level) <= 0.05 and abs(right - level) <= 0.05, (level, left, right)
    assert board.app.volume.min_db == -60.0


def _clear_capture(port):
    """Clear the capture; returns the port's frame count its first captured frame plays at
    (the capture is recorded when the firmware writes, after what is queued)."""
    port.clear_capture()
    return port.frames_played + port.queued // port.frame_bytes


def _trace(board, ms, old_port, old_offset):
    """Per 1 ms: (port, output level of the left channel in dB or None when silent), from the
    frames the port played in that ms and the analog gain the models reported meanwhile."""
    rows = []
    for _ in range(ms):
        port = board.i2s
        offset = old_offset if port is old_port else 0  # a new port captures from its start
        analog = _analog_db(board, 0)
        start = port.frames_played - offset
        board.run_ms(1)
        total = 0
        for i in range(start, port.frames_played - offset):
            s = port.capture[4 * i] | (port.capture[4 * i + 1] << 8)
            total += (s - 65536 if s & 0x8000 else s) ** 2
        level = None
        if total and analog is not None:
            amplitude = math.sqrt(2 * total / (port.frames_played - offset - start))
            level = 20 * math.log10(amplitude / TONE_PEAK) + analog
        rows.append((port, level))
    return rows


def test_sample_rate_change_is_silent_then_ramps_back():
    for name in BOARDS:
        board = _running(name)
        old_port = board.i2s
        offset = _clear_capture(old_port)
        seen = []
        change = board.app._change_rate
        board.app._change_rate = lambda rate, b=board, s=seen, c=change: (
            s.append(_quiet_state(b)),
            c(rate),
        )
        board.app.set_sample_rate(44100)
        rows = _trace(board, 1000, old_port, offset)
        new_port = board.i2s
        assert seen == [(True, None, (0, 0))], name  # DAC muted, amp muted, trims at zero
        assert new_port is not old_port and not old_port.active and new_port.rate == 44100
        assert board.app.engine.rate == 44100 and board.app.state == app_module.RUNNING
        switch = next(i for i in range(len(rows)) if rows[i][0] is new_port)
        before = [level for _port, level in rows[:switch]]
        after = [level for _port, level in rows[switch:]]
        # Fade out to silence before the change, silence across it, then a ramp from deep down.
        assert before[10] is not None and before[-5:] == [None] * 5, name
        assert after[:5] == [None] * 5, name
        first = next(level for level in after if level is not None)
        assert first <= board.app.power_on_db - 30, (name, first)
        audible = [level for level in after if level is not None]
        # No jump: the level moves by at most the engine's ramp step (1/16 of full scale).
        steps = [abs(10 ** (b / 20) - 10 ** (a / 20)) for a, b in zip(audible, audible[1:])]
        assert max(steps) <= 1 / 16, (name, max(steps))
        left, right = _measure(board)  # 100 whole periods of the tone at 44.1 kHz
        assert abs(left - board.app.power_on_db) <= 0.05 and abs(right - left) <= 0.01, name
        print("%s at 44.1 kHz: fade-in from %.1f dB, then %.3f dB" % (name, first, left))


def test_bad_sample_rate_changes_nothing():
    board = _running(ESP32)
    port = board.i2s
    for bad in (32000, "44100", None):
        raises(ValueError, board.app.set_sample_rate, bad)
    assert board.app.state == app_module.RUNNING and board.i2s is port and port.active
    board.app.engine.inputs += ("wav",)  # as open_wav leaves it: a WAV keeps its own rate
    raises(ValueError, board.app.set_sample_rate, 44100)
    assert board.app.state == app_module.RUNNING and board.i2s is port
    board.app.shutdown()
    board.run_ms(500)
    raises(ValueError, board.app.set_sample_rate, 48000)  # off: nothing to change
    assert board.i2s is port


def test_a_change_that_fails_leaves_the_board_muted_and_reported():
    board = _running(PICO)

    def refused():
        raise ValueError("the new clock did not come up")

    board.app.quiet_change(refused)
    board.run_ms(500)
    assert board.app.volume.fault == "change: the new clock did not come up"
    assert board.dac.muted() and _silent(board)
