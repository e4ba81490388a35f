"""Issue 14: the defects found by attacking the console, settings, bus and profiles, one test
each (each failed before its fix). The seeded fuzzer (test_fuzz_seeded.py) covers the same
ground with random inputs; these pin down the cases by name."""

import json

from sim.flashfs import FlashFS
from sim.ringlog import PIN_HISTORY, SERIAL_LOG, RingLog
from sim.simboard import SimBoard, profile_path
from support import FakeAsyncio, raises
from uamp import app as app_module
from uamp import profile as profiles
from uamp import settings

PICO = "pico-pcm5102a-pga2311"
ESP32 = "esp32-pcm5122-tpa6130a2"


def _running(name=PICO, flash=None):
    board = SimBoard(name, flash=flash).boot()
    volume = board.app.volume
    board.run_until(lambda: board.app.state == app_module.RUNNING, 2000)
    board.run_until(lambda: volume.current_db == volume.target_db and not volume.muted, 3000)
    return board


def _usable(board, name="after"):
    """The app answers, unmutes, and a sample-rate change goes through."""
    app = board.app
    board.send("mute off\r")
    board.run_ms(1500)
    assert app.state == app_module.RUNNING and app.volume.fault is None, (name, app.state)
    assert not app.volume.muted and not app.volume.hardware_muted, name
    rate = 44100 if app.engine.rate != 44100 else 48000
    assert "error" not in board.send("rate %d\r" % rate), name
    board.run_ms(1500)
    assert app.engine.rate == rate and board.i2s.rate == rate and board.i2s.active, name
    assert app.state == app_module.RUNNING and not app.volume.muted, name


# --- 1. a byte that is not UTF-8 on the serial port -----------------------------------------


class _Stop(Exception):
    pass


class _Stream:
    """stdin: hands out `chunks` one read at a time, then stops the task. A chunk that is an
    exception is raised (a text stream meeting a byte that is not UTF-8)."""

    def __init__(self, chunks):
        self.chunks = list(chunks)

    def read(self, n):
        if not self.chunks:
            raise _Stop()
        chunk = self.chunks.pop(0)
        if isinstance(chunk, Exception):
            raise chunk
        return chunk


class _BytesStdin:
    def __init__(self, chunks):
        self.buffer = _Stream(chunks)


def _run_console_task(board, stdin):
    task = board.app._console_task(FakeAsyncio, stdin)
    try:
        while True:
            task.send(None)
    except _Stop:
        pass


def test_a_byte_that_is_not_utf8_does_not_end_the_console():
    board = _running()
    chunks = [bytes([b]) for b in b"\xff\r" + b"vol -20\r" + b"\xc3\r" + b"mute on\r"]
    start = len(board.serial_out)
    _run_console_task(board, _BytesStdin(chunks))
    out = "".join(board.serial_out[start:])
    assert out.count("error: character U+00FF") == 1, out
    assert "vol -20.0 dB" in out and "mute on" in out, out
    assert board.app.volume.target_db == -20 and board.app.volume.muted


def test_a_text_stdin_that_raises_unicode_error_does_not_end_the_console():
    board = _running()
    chunks = [UnicodeError("bad byte"), "\r"] + list("vol -24\r")
    start = len(board.serial_out)
    _run_console_task(board, _Stream(chunks))
    out = "".join(board.serial_out[start:])
    assert "error: character" in out and "vol -24.0 dB" in out, out


# --- 2. a quiet change whose action fails ---------------------------------------------------


def test_a_rate_the_eq_cannot_play_is_refused_up_front():
    board = _running()
    board.send("eq band 1 lowpass 23000 0 0.7\r")
    out = board.send("rate 44100\r")
    assert out.startswith("error: EQ band 1 (lowpass 23000 Hz)") and "22050" in out, out
    assert board.app.state == app_module.RUNNING and board.app.engine.rate == 48000
    board.run_ms(500)
    assert not board.app.volume.muted and board.app.volume.fault is None
    board.send("eq band 1 lowpass 20000 0 0.7\r")
    _usable(board)


def test_a_change_that_fails_leaves_the_app_usable():
    board = _running()

    def refused():
        raise ValueError("the new clock did not come up")

    board.app.quiet_change(refused)
    board.run_ms(500)
    app = board.app
    assert app.state == app_module.RUNNING and app.change_action is None
    assert app.volume.muted and app.volume.fault == "change: the new clock did not come up"
    assert board.dac.muted()
    # Refused while the fault stands (it would only fade a silent output), then it works.
    assert "'mute off' retries" in board.send("rate 44100\r")
    _usable(board)


def test_an_engine_that_refuses_the_rate_keeps_port_and_engine_together():
    board = _running()
    engine = board.app.engine
    real = engine.set_rate

    def refuse_44100(rate, i2s):
        if rate == 44100:
            raise ValueError("sweep does not fit")
        real(rate, i2s)

    engine.set_rate = refuse_44100
    board.send("rate 44100\r")
    board.run_ms(800)
    assert engine.rate == 48000 and board.i2s.rate == 48000 and board.i2s.active
    assert board.app.volume.fault == "change: sweep does not fit"
    engine.set_rate = real
    _usable(board)


def test_a_nack_during_standby_on_turns_the_amp_off_and_standby_off_recovers():
    # In the fade, at its end (the DAC mute); the volume chip in the fade (it then missed
    # writes, which the wake must not send to it while its amp supply is still off).
    for part, at_ms in (("dac", 0), ("dac", 310), ("volume_ic", 34)):
        board = _running(ESP32)
        amp = board.pin(board.profile["amp_enable"])
        board.send("standby on\r")
        board.run_ms(at_ms)
        getattr(board, part).fault = "timeout" if part == "volume_ic" else "nack"
        board.run_ms(240)
        getattr(board, part).fault = None
        board.run_ms(360)
        assert board.app.state == app_module.OFF and amp.level() == 0, at_ms
        assert board.app.change_action is None, at_ms
        board.send("standby off\r")
        board.run_ms(2500)
        assert board.app.state == app_module.RUNNING and amp.level() == 1, at_ms
        _usable(board, at_ms)


def test_a_volume_chip_fault_in_the_power_up_ramp_then_standby_then_wake():
    """Found by the seeded fuzzer: the fault stopped the volume's ramp half way; once the
    wake cleared it, the ramp's next write went to a TPA6130A2 whose amp supply (SD) was still
    off, failed, and every power-up after it failed the same way."""
    board = SimBoard(ESP32).boot()
    board.run_until(lambda: board.app.state == app_module.RUNNING, 1000)
    board.run_ms(200)  # still ramping up to the power-on level
    board.send("standby on\r")
    board.run_ms(34)
    board.volume_ic.fault = "timeout"
    board.run_ms(240)
    board.volume_ic.fault = None
    board.run_ms(100)
    assert board.app.state == app_module.OFF
    board.send("standby off\r")
    board.run_ms(1500)
    assert board.app.state == app_module.RUNNING and board.app.volume.fault is None


def test_a_nack_during_a_rate_change_leaves_the_app_usable():
    for at_ms in (150, 300):
        board = _running(ESP32)
        board.send("rate 44100\r")
        board.run_ms(at_ms)
        board.dac.fault = "nack"
        board.run_ms(400)
        board.dac.fault = None
        app = board.app
        assert app.state == app_module.RUNNING and app.volume.fault is not None, at_ms
        assert app.volume.muted and app.volume.trims == (0, 0), at_ms  # silent
        assert board.volume_ic.gain_db(0) is None, at_ms  # the DAC did not answer: the amp
        assert board.i2s.rate == app.engine.rate, at_ms
        _usable(board, at_ms)


# --- 3. saved settings that fit one by one but not together ---------------------------------


def test_a_saved_rate_below_a_saved_eq_band_boots():
    values = settings.defaults()
    values["rate"] = 44100
    values["eq_enabled"] = True
    values["eq_bands"] = [["lowpass", 23000.0, 0.0, 0.7]] + [["peak", 1000.0, 0.0, 1.0]] * 4
    flash = FlashFS({settings.PATH: settings.encode(values)})
    board = _running(flash=flash)
    out = "".join(board.serial_out)
    assert "EQ band 1 (lowpass 23000 Hz) reset to flat" in out, out
    assert board.app.engine.rate == 44100 and board.i2s.rate == 44100
    assert board.app.engine.eq_bands()[0][1] < 22050
    _usable(board)


def test_a_saved_rate_the_engine_refuses_boots_at_the_profile_rate():
    values = settings.defaults()
    values["rate"] = 96000
    flash = FlashFS({settings.PATH: settings.encode(values)})
    board = SimBoard(PICO, flash=flash)
    real = board.app.engine.set_rate

    def refuse(rate, i2s):
        if rate == 96000:
            raise ValueError("no")
        real(rate, i2s)

    board.app.engine.set_rate = refuse
    board.boot()
    board.run_ms(2500)
    assert "rate 96000 Hz not restored (no)" in "".join(board.serial_out)
    assert board.app.state == app_module.RUNNING and board.app.engine.rate == 48000
    assert board.i2s.rate == 48000 and board.i2s.active


# --- 4. ESP32: a short fault while waking from standby --------------------------------------


def _standby(board):
    board.send("standby on\r")
    board.run_ms(600)
    assert board.app.state == app_module.OFF


def test_a_short_fault_during_a_wake_is_retried_by_itself():
    # At the wake itself, clocks settling, amp on (volume chip enabled), DAC unmuting.
    for part, at_ms in (("dac", 0), ("volume_ic", 190), ("dac", 290), ("dac", 305)):
        if True:
            board = _running(ESP32)
            _standby(board)
            board.send("standby off\r")
            board.run_ms(at_ms)
            getattr(board, part).fault = "timeout"
            board.run_ms(30)
            getattr(board, part).fault = None
            board.run_ms(app_module.POWER_RETRY_MS + 1500)
            app = board.app
            name = (part, at_ms)
            assert app.state == app_module.RUNNING and app.volume.fault is None, name
            assert not app.volume.muted and not board.dac.muted(), name


def test_a_fault_at_the_wake_itself_is_retried_by_the_next_wake():
    board = _running(ESP32)
    _standby(board)
    board.dac.fault = "timeout"
    assert "fault: dac" in board.send("standby off\r")
    board.dac.fault = None
    board.run_ms(1000)
    assert board.app.state == app_module.OFF  # still off: the wake did not happen
    board.send("standby off\r")
    board.run_ms(2000)
    assert board.app.state == app_module.RUNNING and board.app.volume.fault is None
    assert not board.app.volume.muted


def test_mute_off_after_a_lasting_fault_during_power_up_starts_it_over():
    board = _running(ESP32)
    _standby(board)
    board.volume_ic.fault = "nack"
    board.send("standby off\r")
    board.run_ms((app_module.POWER_RETRIES + 1) * (app_module.POWER_RETRY_MS + 300))
    assert board.app.volume.fault is not None and board.app.state == app_module.BOOTING
    assert board.pin(board.profile["amp_enable"]).level() == 0 or board.app.volume.muted
    board.volume_ic.fault = None
    board.send("mute off\r")
    board.run_ms(2000)
    assert board.app.state == app_module.RUNNING and board.app.volume.fault is None
    assert not board.app.volume.muted


def test_standby_on_during_a_faulted_power_up_turns_the_amp_off():
    board = _running(ESP32)
    _standby(board)
    board.volume_ic.fault = "nack"
    board.send("standby off\r")
    board.run_ms(500)
    assert board.app.volume.fault is not None and board.app.state == app_module.BOOTING
    assert "standby on" in board.send("standby on\r")
    assert board.app.state == app_module.OFF
    assert board.pin(board.profile["amp_enable"]).level() == 0
    board.volume_ic.fault = None
    board.send("standby off\r")
    board.run_ms(1500)
    assert board.app.state == app_module.RUNNING and board.app.volume.fault is None


# --- 5. a lowered cap survives a power cut at once ------------------------------------------


def _reboot(board):
    """Power cut now: a new board on the flash as it is."""
    return _running(flash=FlashFS(board.flash.image()))


def test_a_lowered_limit_is_written_at_once():
    board = _running()
    board.send("limit -30\r")
    board.run_ms(20)  # well inside the save's debounce
    again = _reboot(board)
    assert again.app.user_limit_db == -30 and again.app.volume.max_db == -30


def test_a_new_headphone_is_written_at_once():
    board = _running()
    board.send("hp add iem 16 125 mw\r")
    board.run_ms(3000)  # saved (debounced): a profile is not a cap until it is used
    board.send("hp use iem\r")
    board.run_ms(20)
    cap = board.app.volume.max_db
    again = _reboot(board)
    assert again.app.headphone is not None and again.app.headphone.name == "iem"
    assert again.app.volume.max_db == cap < 0


def test_a_raised_limit_waits_for_the_debounce():
    board = _running()
    board.send("limit -30\r")
    board.run_ms(20)
    saves = board.app.settings.saves
    board.send("limit -10\r")
    board.run_ms(20)
    assert board.app.settings.saves == saves  # louder is not urgent: one write later
    board.run_ms(3000)
    assert board.app.settings.saves == saves + 1


def test_limit_minus_zero_shows_zero():
    board = _running()
    assert board.send("limit -0\r").startswith("limit 0.0 dB")


# --- 6, 7, 8. board profiles ----------------------------------------------------------------


def _profile():
    with open(profile_path(ESP32)) as f:
        return json.loads(f.read())


def test_a_profile_that_is_not_utf8_is_a_profile_error():
    path = "/tmp/uamp-test-profile-not-utf8.json"
    with open(path, "wb") as f:
        f.write(b'{"name": "caf\xe9", "mcu": "esp32"}')
    e = raises(profiles.ProfileError, profiles.load, path)
    assert "not UTF-8" in str(e), e


def test_type_keys_of_the_wrong_json_type_name_the_key():
    for path, value in (
        (("mcu",), ["esp32"]),
        (("mcu",), {"a": 1}),
        (("dac", "type"), ["pcm5122"]),
        (("volume", "type"), {"x": 1}),
        (("dac", "type"), 5122),
    ):
        p = _profile()
        target = p
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        e = raises(profiles.ProfileError, profiles.validate, p, "x")
        assert ".".join(path) + ":" in str(e), (path, e)


def test_integers_must_be_integers():
    for key, value in (
        ("bits", 16.0),
        ("rate", 44100.0),
        ("bits", True),
        ("id", 0.0),
        ("ibuf", 4096.0),
        ("sck", 26.0),
    ):
        p = _profile()
        p["i2s"][key] = value
        e = raises(profiles.ProfileError, profiles.validate, p, "x")
        assert "i2s.%s" % key in str(e), (key, e)
    p = _profile()
    p["limits"]["max_db"] = True  # a number field: true is not 1
    assert "limits.max_db" in str(raises(profiles.ProfileError, profiles.validate, p, "x"))


# --- 9, 10. console characters --------------------------------------------------------------


def test_a_line_with_a_character_that_is_not_printable_ascii_is_an_error():
    board = _running()
    for line, wanted in (
        ("bal \u22126", "U+2212"),  # Unicode minus: would have set +6 dB
        ("vol -2\x000", "U+0000"),  # would have set -20
        ("vol -1\x070", "U+0007"),
        ("mute\ton", "U+0009"),
        ("vol -\xe92", "U+00E9"),
    ):
        before = (board.app.volume.balance_db, board.app.volume.target_db, board.app.volume.muted)
        out = board.send(line + "\r")
        assert out.startswith("error: character %s" % wanted), (line, out)
        assert out.count("\r\n") == 1, out
        after = (board.app.volume.balance_db, board.app.volume.target_db, board.app.volume.muted)
        assert after == before, line
    assert board.send("vol -20\r") == "vol -20.0 dB\r\n"  # the next line is clean


def test_enter_after_an_unfinished_escape_still_ends_the_line():
    board = _running()
    for junk in ("\x1b", "\x1b[", "\x1b[1;", "\x1b[12"):
        assert board.send("vol -21" + junk + "\r") == "vol -21.0 dB\r\n", repr(junk)
        assert board.send("vol -22\r") == "vol -22.0 dB\r\n", repr(junk)  # not glued
    assert board.send("\x1b\x1b[A\r") == "vol -22.0 dB\r\n"  # ESC ESC [ A: the last line


# --- 11. saved EQ presets -------------------------------------------------------------------


def test_saved_eq_presets_are_checked_one_by_one():
    good = [["peak", 1000.0, 3.0, 1.0]] * 5
    values = settings.defaults()
    values["eq_user"] = {
        "mine": good,
        "loud": [["peak", 1000.0, 99.0, 1.0]] * 5,
        "My Preset": good,
        "flat": good,  # a built-in preset's name: `eq preset flat` would never reach it
        "odd": [["notch", 1000.0, 0.0, 1.0]],
        "wide": [["peak", 1000.0, 0.0, 0.0]],
        "high": [["peak", 90000.0, 0.0, 1.0]],
    }
    flash = FlashFS({settings.PATH: settings.encode(values)})
    board = _running(flash=flash)
    out = "".join(board.serial_out)
    for name in ("loud", "My Preset", "flat", "odd", "wide", "high"):
        assert "settings: eq_user: '%s' dropped" % name in out, (name, out)
    assert sorted(board.app.settings.values["eq_user"]) == ["mine"]
    assert "eq on" in board.send("eq preset mine\r")
    assert "built-in preset" in board.send("eq save flat\r")


# --- the simulator's logs stay bounded ------------------------------------------------------


def test_a_ring_log_keeps_the_newest_entries_in_bounded_memory():
    log = RingLog(100)
    assert log == [] and len(log) == 0 and log[0:] == []
    for i in range(1050):
        log.append(i)
        assert len(log.items) < 200
    assert len(log) == 1050 and log[-1] == 1049 and log[1049] == 1049
    assert log[1040:] == list(range(1040, 1050)) and log[-3:] == [1047, 1048, 1049]
    assert log[0:] == list(log) and list(log)[0] >= 1050 - 200
    assert raises(IndexError, lambda: log[0])
    log.clear()
    assert log == [] and len(log) == 1050 and log[1050:] == []


def test_the_simulator_logs_are_ring_logs_and_replies_still_read_right():
    board = _running(ESP32)
    assert isinstance(board.serial_out, RingLog) and board.serial_out.cap == SERIAL_LOG
    assert isinstance(board.pin(board.profile["amp_enable"]).history, RingLog)
    assert isinstance(board.world.i2c_bus(0).transactions, RingLog)
    assert isinstance(board.dac.writes, RingLog) and isinstance(board.volume_ic.writes, RingLog)
    pico = SimBoard(PICO)
    assert isinstance(pico.display.commands, RingLog)
    pin = board.pin(34)
    for i in range(3 * PIN_HISTORY + 1):
        pin.drive(i & 1)
    assert len(pin.history.items) < 2 * PIN_HISTORY and pin.history[-1][1] == 0
    for _ in range(2 * SERIAL_LOG):
        board.send("vol\r")  # one write a reply (a cheap one: 20000 of them)
    assert len(board.serial_out.items) < 2 * SERIAL_LOG and board.serial_out.dropped > 0
    assert board.send("vol -21\r") == "vol -21.0 dB\r\n"
