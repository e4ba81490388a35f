"""Standby from the front panel on both shipped boards (a long press of the mute button): the
app's shutdown (fade, DAC muted, amp off) and wake (the power-up sequence again, a clean ramp
back), checked on the pins, the chip models and the captured I2S output."""

from panel_rig import BOARDS, PICO, analog_db, led, level_db, running

from sim.simboard import peak
from uamp import app as app_module
from uamp.ui import panel as panel_module


def _amp(board):
    return board.pin(board.profile["amp_enable"]).level()


def _standby(board):
    board.hold("mute", 900)  # a long press of the mute button (both shipped profiles)
    board.run_ms(500)  # the fade-out, then the amp goes off


def test_standby_button_shuts_the_amp_down_and_the_knob_push_wakes_it():
    for name in BOARDS:
        board = running(name)
        app = board.app
        board.turn(-4)  # -32 dB: below the power-on level, so wake comes back here
        board.run_ms(300)
        before = level_db(board)
        assert abs(before - -32.0) <= 0.1, (name, before)
        _standby(board)
        assert app.state == app_module.OFF and app.panel.mode == panel_module.STANDBY
        assert _amp(board) == 0 and board.dac.muted() and board.volume_ic.gain_db(0) is None
        assert not board.display.on and board.screen().lit() == 0
        assert level_db(board) is None, name
        blinks = set()
        for _ in range(8):  # the LED blinks slowly in standby
            board.run_ms(250)
            blinks.add(led(board))
        assert blinks == {0, 1}
        board.turn(6)  # the knob and the mute button do nothing while off
        board.press("mute")
        assert app.state == app_module.OFF and app.volume.target_db == -32.0
        assert _amp(board) == 0 and board.dac.muted()

        # Wake with the knob push: amp on only after the clocks settle, DAC unmuted after the
        # amp, then the output ramps up from silence to the old level, never above it.
        board.press("push", after_ms=0)
        order = []
        for _ in range(app_module.CLOCKS_SETTLE_MS + app_module.AMP_SETTLE_MS + 100):
            board.run_ms(1)
            now = (_amp(board), 0 if board.dac.muted() else 1)
            if not order or order[-1] != now:
                order.append(now)
        assert order == [(0, 0), (1, 0), (1, 1)], (name, order)
        ramp = [level_db(board, 10) for _ in range(30)]
        heard = [db for db in ramp if db is not None]
        assert heard and heard[0] < before - 6, (name, ramp[:4])  # starts quiet...
        assert max(heard) <= before + 0.5, (name, max(heard))  # ...never louder than before
        assert abs(level_db(board) - before) <= 0.1
        assert app.panel.mode == panel_module.MAIN and board.display.on
        assert board.settle_screen().lit() > 100 and app.volume.fault is None


def test_standby_button_also_wakes_and_a_muted_amp_stays_muted():
    board = running(PICO)
    app = board.app
    board.press("mute")
    assert app.volume.muted and led(board) == 1
    _standby(board)
    assert app.state == app_module.OFF
    board.hold("mute", 900)  # the standby button wakes too
    board.run_ms(1000)
    assert app.state == app_module.RUNNING and _amp(board) == 1 and not board.dac.muted()
    # Muted before standby: muted after it, and nothing was heard in between.
    assert app.volume.muted and board.volume_ic.gain_db(0) is None and led(board) == 1
    board.i2s.clear_capture()
    board.run_ms(200)
    assert peak(board.samples(0)) == 0 or analog_db(board, 0) is None
    board.press("mute")
    board.run_ms(500)
    assert abs(level_db(board) - app.power_on_db) <= 0.1


def test_standby_closes_the_menu_and_wake_shows_the_main_screen():
    board = running(PICO)
    app = board.app
    board.press("push")
    assert app.panel.mode == panel_module.MENU
    _standby(board)
    assert app.panel.menu is None and app.state == app_module.OFF
    board.press("push")
    board.run_ms(600)
    assert app.panel.mode == panel_module.MAIN and app.state == app_module.RUNNING


def test_shutdown_by_someone_else_blanks_the_panel_and_the_push_wakes():
    board = running(PICO)
    app = board.app
    app.shutdown()  # as the console or a power-loss handler would
    board.run_ms(500)
    assert app.panel.mode == panel_module.STANDBY and not board.display.on
    board.press("push")
    board.run_ms(600)
    assert app.state == app_module.RUNNING and app.panel.mode == panel_module.MAIN
    assert board.display.on and _amp(board) == 1


def test_standby_while_the_amp_is_busy_is_refused_with_a_note():
    board = running(PICO)
    app = board.app
    app.quiet_change(lambda: None)  # a sample-rate change in progress
    app.panel._do("standby", board.clock.ticks_ms())
    assert app.panel.mode == panel_module.MAIN and "not running" in app.panel.note
    board.run_ms(600)
    assert app.state == app_module.RUNNING and _amp(board) == 1


def test_standby_without_a_display_shows_on_the_led():
    board = running(PICO, lambda p: p.pop("display"))
    app = board.app
    _standby(board)
    assert app.state == app_module.OFF and _amp(board) == 0
    lit = []
    for _ in range(20):  # slow blink: 500 ms on, 500 ms off
        board.run_ms(100)
        lit.append(led(board))
    assert 0 in lit and 1 in lit and lit.count(1) >= 8
    board.press("push")
    board.run_ms(600)
    assert app.state == app_module.RUNNING and _amp(board) == 1 and led(board) == 0


def _json(board):
    import json

    return json.loads(board.send("status --json\r"))


def test_standby_shows_on_the_console_and_refuses_level_and_mute_commands():
    board = running(PICO)
    app = board.app
    board.send("vol -32\r")
    board.send("mute off\r")
    board.run_ms(300)
    assert _json(board)["standby"] is False
    _standby(board)
    status = board.send("status\r")
    assert "standby: amp off" in status and "vol -32.0 dB" in status and "mute off" in status
    s = _json(board)
    assert s["standby"] is True and s["mute"] is False and s["volume_db"] == -32.0
    gains = (board.volume_ic.gain_db(0), board.volume_ic.gain_db(1))
    for line in ("vol -10", "vol up 3", "mute off", "mute on", "bal 2"):
        out = board.send(line + "\r")
        assert out.startswith("error: in standby") and out.count("\r\n") == 1, (line, out)
    board.run_ms(300)
    assert (board.volume_ic.gain_db(0), board.volume_ic.gain_db(1)) == gains  # chip untouched
    assert app.volume.target_db == -32.0 and _amp(board) == 0
    assert board.send("vol\r") == "vol -32.0 dB\r\n"  # showing is fine
    board.press("push")  # wake: back to the remembered level, unmuted as before
    board.run_ms(1500)
    assert app.state == app_module.RUNNING and app.volume.current_db == -32.0
    assert _json(board)["standby"] is False and not app.volume.muted


def test_console_standby_command_keeps_the_users_mute_across_the_wake():
    board = running(PICO)
    app = board.app
    board.send("vol -35\r")
    board.send("mute on\r")
    board.run_ms(300)
    assert board.send("standby\r") == "standby off\r\n"
    assert board.send("standby on\r") == "standby on (fading out, amp off)\r\n"
    board.run_ms(500)
    assert app.state == app_module.OFF and app.panel.mode == panel_module.STANDBY
    assert _amp(board) == 0 and _json(board)["mute"] is True
    assert board.send("standby off\r") == "standby off (waking)\r\n"
    board.run_ms(1500)
    assert app.state == app_module.RUNNING and app.panel.mode == panel_module.MAIN
    assert app.volume.muted and app.volume.target_db == -35.0  # muted, as the user left it
    assert _amp(board) == 1
    out = board.send("standby off\r")  # already awake: shows, changes nothing
    assert out == "standby off\r\n"
