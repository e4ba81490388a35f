"""`reset` brings every setting back to what a first boot has (EQ, bass, crossfeed, input,
balance, gain mode, limit, headphone, rate, panel fields) and never raises the volume; the
console's EQ commands switch the EQ on as the panel's preset choice does."""

import json

from test_console import _pico_with_gain_relay

from sim.simboard import SimBoard


def _status(board):
    s = json.loads(board.send("status --json\r"))
    s.pop("uptime")
    s.pop("volume_db")
    s.pop("mute")
    s.pop("spl_db")  # follows the volume
    app = board.app
    s["bands"] = app.engine.eq_bands()
    s["bass"] = app.engine.bass_db
    s["limit"] = app.user_limit_db
    s["brightness"] = app.panel.brightness
    s["knob"] = app.panel.accel.cap_db_s
    return s


def _running(board):
    board.boot()
    board.run_until(lambda: board.app.volume.current_db == -30, 5000)
    return board


def test_reset_brings_every_setting_back_and_never_raises_the_volume():
    fresh = _status(_running(SimBoard(board_profile=_pico_with_gain_relay())))
    board = _running(SimBoard(board_profile=_pico_with_gain_relay()))
    for line in (
        "vol -40",
        "eq preset %s" % board.app.engine.eq_presets[-1],
        "eq band 2 peak 2500 3 1.4",
        "bass 4",
        "xfeed 1",
        "input white",
        "bal 3",
        "gain high",
        "limit -20",
        "rate 44100",
    ):
        assert not board.send(line + "\r").startswith("error"), line
        board.run_ms(600)
    board.app.panel.set_brightness(3)
    board.app.panel.set_knob_limit(15)
    assert _status(board) != fresh
    loudest = board.app.volume.current_db + board.app.volume.mode_gain_db
    assert board.send("reset\r").endswith("settings reset to defaults\r\n")
    for _ in range(300):  # 3 s: the rate change's fade, the gain mode switch
        board.run_ms(10)
        level = board.app.volume.current_db + board.app.volume.mode_gain_db
        assert level <= loudest + 0.01, level
    assert _status(board) == fresh


def test_eq_preset_and_band_switch_the_eq_on_and_eq_off_switches_it_off():
    board = _running(SimBoard())
    eng = board.app.engine
    assert not eng.eq_enabled
    assert board.send("eq preset %s\r" % eng.eq_presets[-1]).startswith("eq on")
    assert eng.eq_enabled
    assert board.send("eq off\r").startswith("eq off") and not eng.eq_enabled
    assert board.send("eq band 1 peak 1000 2 1\r").startswith("eq on") and eng.eq_enabled
    board.send("eq off\r")
    board.send("eq save mine\r")
    assert board.send("eq preset mine\r").startswith("eq on") and eng.eq_enabled
