"""Console: line editing, every command (on seam fakes and on the real parts), errors that change
nothing, Ctrl-C passing through."""

import json

from fake_parts import Rig

from sim.simboard import SimBoard
from uamp import commands, console

STATUS_FIELDS = [
    "audio_faults",
    "balance_db",
    "clip_count",
    "crossfeed",
    "eq",
    "gain",
    "headphone",
    "input",
    "mute",
    "rate",
    "spl_db",
    "standby",
    "underruns",
    "uptime",
    "volume_db",
]


def snapshot(rig):
    """Everything a command could change."""
    app = rig.app
    s = app.console.commands.status()
    s.pop("uptime")
    s["bands"] = app.engine.eq_bands()
    s["limit"] = app.user_limit_db
    s["cap"] = app.volume.max_db
    s["bass"] = app.engine.bass_db
    s["profiles"] = json.dumps(app.settings.values["headphones"])
    s["eq_user"] = json.dumps(app.settings.values["eq_user"])
    return s


def test_line_endings_and_backspace():
    rig = Rig().boot()
    assert rig.send("vol -20\r") == "vol -20.0 dB\r\n"
    assert rig.send("vol -21\n") == "vol -21.0 dB\r\n"
    assert rig.send("vol -22\r\n") == "vol -22.0 dB\r\n"  # CR LF is one line, not two
    assert rig.send("vol -2\x0825\r") == "vol -25.0 dB\r\n"
    assert rig.send("vol -9\x7f\x7f\x7f\x7f\x7f\x7fmute on\r") == "mute on\r\n"
    assert rig.send("vol -40\x15vol\r") == "vol -25.0 dB\r\n"  # Ctrl-U dropped the line
    assert rig.send("\r\n\r\n   \r") == ""


def test_history_with_arrow_keys():
    rig = Rig().boot()
    rig.send("vol -20\r")
    rig.send("vol -30\r")
    assert rig.send("\x1b[A\x1b[A\r") == "vol -20.0 dB\r\n"
    # After running it, the newest entry is 'vol -20' again; up, up, down = 'vol -20'.
    assert rig.send("\x1b[A\x1b[A\x1b[B\r") == "vol -20.0 dB\r\n"
    assert rig.send("\x1b[A\x1b[B\x1b[B\r") == ""  # back down to an empty line
    assert rig.send("\x1b[1;5C\x1b[Dvol\r") == "vol -20.0 dB\r\n"  # other keys are ignored


def test_arrow_keys_in_application_cursor_mode():
    # SS3 arrows (ESC O A/B): what many terminals send after an application sets DECCKM
    rig = Rig().boot()
    rig.send("vol -20\r")
    rig.send("vol -30\r")
    assert rig.send("\x1bOA\x1bOA\r") == "vol -20.0 dB\r\n"
    # up, down: an empty line again; right is ignored
    assert rig.send("\x1bOA\x1bOB\x1bOCvol\r") == "vol -20.0 dB\r\n"


def test_echo_mode_echoes_and_redraws():
    rig = Rig().boot()
    rig.app.console.echo = True
    out = rig.send("vl\x08ol\r")
    assert out.startswith("vl\x08 \x08ol\r\nvol ")
    assert out.endswith("\r\n> ")


def test_overlong_line_is_refused_whole():
    rig = Rig().boot()
    before = snapshot(rig)
    line = "vol -40" + " " * console.MAX_LINE + "0"
    assert rig.send(line + "\r") == "error: line longer than 80 characters, ignored\r\n"
    assert snapshot(rig) == before


def test_status_json_has_exactly_the_listed_fields():
    rig = Rig().boot()
    line = rig.send("status --json\r")
    assert line.endswith("\r\n") and line.count("\r\n") == 1
    status = json.loads(line)
    assert sorted(status) == STATUS_FIELDS
    assert status["volume_db"] == -30.0 and status["mute"] is False
    assert status["gain"] == "low" and status["input"] == "tone"
    assert status["eq"] == {"enabled": False, "preset": "flat"}
    assert status["headphone"] is None and status["spl_db"] is None
    rig.run_ms(5000)
    assert json.loads(rig.send("status --json\r"))["uptime"] == 5


def test_status_human_names_every_field():
    text = Rig().boot().send("status\r")
    for word in ("vol", "mute", "gain", "bal", "input", "eq", "xfeed", "hp", "clips", "underruns"):
        assert word in text


def test_volume_commands():
    rig = Rig().boot()
    vol = rig.app.volume
    assert rig.send("vol -20\r") == "vol -20.0 dB\r\n" and vol.target_db == -20
    assert rig.send("vol up 3\r") == "vol -17.0 dB\r\n"
    assert rig.send("vol down\r") == "vol -18.0 dB\r\n"
    assert rig.send("vol -18.5dB\r") == "vol -18.5 dB\r\n"
    assert rig.send("mute on\r") == "mute on\r\n" and vol.muted
    assert rig.send("mute toggle\r") == "mute off\r\n" and not vol.muted
    assert rig.send("gain high\r").startswith("gain high") and vol.gain_mode == "high"
    assert vol.target_db == -30.5  # the volume moved down by the mode's 12 dB: same output
    rig.send("vol -18.5\r")
    assert rig.send("bal 2.5\r") == "bal 2.5 dB\r\n" and vol.balance_db == 2.5
    assert rig.send("limit -25\r").startswith("limit -25.0 dB") and vol.max_db == -25
    assert vol.target_db == -25  # the cap pulled the level down
    assert rig.send("vol 0\r") == "vol -25.0 dB (capped by max -25.0)\r\n"
    assert rig.send("limit off\r").startswith("limit off") and vol.max_db == 0


def test_engine_commands():
    rig = Rig().boot()
    eng = rig.app.engine
    assert rig.send("input usb\r").startswith("input usb") and eng.input_name == "usb"
    assert rig.send("bass 4\r") == "bass 4.0 dB\r\n" and eng.bass_db == 4
    assert rig.send("xfeed 2\r") == "xfeed on (level 2)\r\n" and eng.crossfeed == 2
    assert rig.send("xfeed off\r") == "xfeed off\r\n" and eng.crossfeed == 0
    assert rig.send("xfeed on\r") == "xfeed on (level 2)\r\n"  # back to the last level
    assert rig.send("eq on\r").startswith("eq on") and eng.eq_enabled
    out = rig.send("eq band 2 lowshelf 120 -3 0.7\r")
    assert "2: lowshelf 120 Hz -3.0 dB Q 0.70" in out
    assert eng.bands[1] == ["lowshelf", 120.0, -3.0, 0.7]
    assert "saved (5 bands)" in rig.send("eq save mine\r")
    assert rig.send("eq preset harman\r").startswith("eq on (preset harman)")
    assert eng.bands[1][0] == "peak"
    rig.send("eq preset mine\r")
    assert eng.bands[1] == ["lowshelf", 120.0, -3.0, 0.7]
    assert rig.send("eq preset\r") == "presets: flat harman\r\nsaved: mine\r\n"


def test_help_and_version():
    rig = Rig().boot()
    text = rig.send("help\r")
    for name in rig.app.console.commands.table:
        assert name in text
    assert rig.send("version\r").startswith("uamp ")


# Lines that must be refused, one error line each, nothing changed.
BAD_LINES = [
    "vol loud",
    "vol nan",
    "vol inf",
    "vol 1e3",
    "vol 1_0",
    "vol -",
    "vol 1 2",
    "vol up x",
    "vol up -3",
    "vol 99",
    "mute maybe",
    "gain turbo",
    "bal 50",
    "bal 13",  # the volume controller refuses it (its range is narrower)
    "bal",
    "input aux9",
    "eq band 9 peak 1000 0 1",
    "eq band 1 notch 1000 0 1",
    "eq band 1.5 peak 1000 0 1",
    "eq band 1 peak 30000 0 1",
    "eq band 1 peak 1000 0",
    "eq preset nosuch",
    "eq save Bad!",
    "eq frob",
    "bass 20",
    "xfeed 7",
    "xfeed 1.5",
    "hp use nosuch",
    "hp add x 0 100 mw",
    "hp add x 32 100 dbm",
    "hp add x 32 100 mw max",
    "hp add Upper 32 100 mw",
    "hp del nosuch",
    "limit -",
    "limit high",
    "status --xml",
    "save now",
    "frobnicate",
    "help me please now and then again and more",
]


def test_bad_lines_get_one_error_and_change_nothing():
    rig = Rig().boot()
    rig.send("vol -20\r")
    before = snapshot(rig)
    for line in BAD_LINES:
        if line == "bal":
            continue
        out = rig.send(line + "\r")
        assert out.startswith("error: ") and out.count("\r\n") == 1, (line, out)
        assert snapshot(rig) == before, line


def test_unsupported_parts_answer_clearly():
    """On the real parts of today, a command whose part lacks the name says so."""
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_ms(400)
    if not hasattr(board.app.volume, "set_balance"):
        assert board.send("bal 3\r") == "error: 'bal' is not supported by this build\r\n"
    if not hasattr(board.app.engine, "set_bass"):
        assert board.send("bass 3\r") == "error: 'bass' is not supported by this build\r\n"


def test_commands_on_the_real_parts():
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_until(lambda: board.app.volume.current_db == -30, 5000)
    status = json.loads(board.send("status --json\r"))
    assert sorted(status) == STATUS_FIELDS
    assert status["volume_db"] == -30 and status["mute"] is False
    assert board.send("mute on\r") == "mute on\r\n"
    # the mute fades, then the PGA2311 itself mutes
    board.run_until(lambda: board.volume_ic.gain_db(0) is None, 1000)
    board.send("mute off\r")
    board.send("limit -24\r")
    assert board.send("vol -10\r") == "vol -24.0 dB (capped by max -24.0)\r\n"
    board.run_ms(500)
    assert board.volume_ic.gain_db(0) == -24.0


def test_keyboard_interrupt_reaches_the_caller():
    """Ctrl-C must reach the REPL: the console catches errors, never KeyboardInterrupt."""
    rig = Rig().boot()

    def interrupted(_db):
        raise KeyboardInterrupt

    rig.app.volume.set_db = interrupted
    try:
        rig.send("vol -10\r")
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("KeyboardInterrupt was swallowed")


def test_firmware_never_disables_ctrl_c():
    import os

    root = __file__.replace("\\", "/").rsplit("/", 2)[0] + "/firmware"
    for folder in (root, root + "/uamp"):
        for name in os.listdir(folder):
            if name.endswith(".py"):
                with open(folder + "/" + name) as f:
                    assert "kbd_intr" not in f.read(), name


def test_a_failing_part_does_not_kill_the_console():
    rig = Rig().boot()

    def broken(_on):
        raise RuntimeError("boom")

    rig.app.engine.set_eq_enabled = broken
    assert rig.send("eq on\r").startswith("error: internal")
    assert rig.send("vol\r") == "vol -30.0 dB\r\n"


def test_parse_number_rejects_what_float_would_take():
    for word in ("nan", "inf", "-inf", "1e3", "1_0", "0x10", "", "+", ".", "1.2.3", "--1"):
        try:
            commands.parse_number(word)
        except ValueError:
            continue
        raise AssertionError(word)
    assert commands.parse_number("-3.5dB") == -3.5
    assert commands.parse_number("+6") == 6.0


def _pico_with_gain_relay():
    from sim.simboard import profile_path
    from uamp import profile as profiles

    profile = profiles.load(profile_path("pico-pcm5102a-pga2311"))
    profile["gain"] = {"high_db": 10, "relay": 20}
    return profiles.validate(profile)


def test_volume_commands_on_the_real_controller():
    from sim.flashfs import FlashFS

    board = SimBoard(board_profile=_pico_with_gain_relay()).boot()
    board.run_until(lambda: board.app.volume.current_db == -30, 5000)
    board.send("vol -20\r")
    assert board.send("bal 3\r") == "bal 3.0 dB\r\n"
    assert board.send("bal 13\r").startswith("error: balance must be")
    assert board.send("gain high\r").startswith("gain high (modes: low high)")
    assert board.send("limit -26\r").startswith("limit -26.0 dB")
    board.run_ms(1000)
    left, right = board.volume_ic.gain_db(0), board.volume_ic.gain_db(1)
    assert right - left == 3.0  # positive balance: right louder
    # the limit takes -20 to -26 at once; the mode change, done on the next ticks, then moves
    # the volume down by the relay's 10 dB so the output level stays
    assert board.app.volume.target_db == -36
    board.send("save\r")
    again = SimBoard(board_profile=_pico_with_gain_relay(), flash=FlashFS(board.flash.image()))
    again.boot()
    again.run_ms(2000)
    vol = again.app.volume
    assert vol.balance_db == 3.0 and vol.gain_mode == "high" and vol.max_db == -26
    assert vol.target_db == -36  # the saved level, below the power-on cap of -30
    assert vol.mode_gain_db == 10  # the relay's gain, after the volume stage


def test_engine_commands_on_the_real_engine():
    from sim.flashfs import FlashFS

    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_until(lambda: board.app.volume.current_db == -30, 5000)
    eng = board.app.engine
    preset = eng.eq_presets[-1]
    assert board.send("input white\r").startswith("input white") and eng.input_name == "white"
    assert board.send("eq preset %s\r" % preset).startswith("eq on (preset %s)" % preset)
    assert eng.eq_enabled  # a chosen preset is heard, as from the panel's menu
    assert "2: peak 2500 Hz +3.0 dB Q 1.40" in board.send("eq band 2 peak 2500 3 1.4\r")
    assert board.send("eq save mine\r").startswith("eq preset 'mine' saved")
    assert board.send("bass 4\r") == "bass 4.0 dB\r\n" and eng.bass_db == 4
    assert board.send("xfeed 1\r") == "xfeed on (level 1)\r\n" and eng.crossfeed == 1
    before = json.loads(board.send("status --json\r"))
    for bad in ("bass 20", "eq band 9 peak 1000 0 1", "eq band 1 peak 30000 0 1", "xfeed 9"):
        out = board.send(bad + "\r")
        assert out.startswith("error:") and out.count("\r\n") == 1, (bad, out)
    after = json.loads(board.send("status --json\r"))
    before.pop("uptime")
    after.pop("uptime")
    assert before == after
    band = eng.eq_bands()[1]
    board.send("save\r")
    again = SimBoard("pico-pcm5102a-pga2311", flash=FlashFS(board.flash.image())).boot()
    again.run_ms(500)
    e2 = again.app.engine
    assert e2.input_name == "white" and e2.eq_enabled and e2.bass_db == 4 and e2.crossfeed == 1
    assert e2.eq_bands()[1] == band
    assert "mine" in again.send("eq preset\r")


def test_status_shows_a_chip_fault():
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_ms(400)
    assert "fault" not in board.send("status\r")
    board.app.volume.fail(OSError(5))
    out = board.send("status\r")
    assert "fault: volume chip" in out and json.loads(board.send("status --json\r"))["mute"]
