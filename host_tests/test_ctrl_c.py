"""Ctrl-C on the board (App.serve/App.stop, what firmware/main.py runs): the amp goes quiet in
hardware at once, but the settings written are the user's, never the fade's mute or the
power-up ramp's starting level; one line instead of a traceback."""

from sim.flashfs import FlashFS
from sim.simboard import SimBoard
from uamp import app as app_module


def _interrupt():
    raise KeyboardInterrupt


def _reboot(board):
    again = SimBoard(board.profile["name"], flash=FlashFS(board.flash.image())).boot()
    again.run_ms(1500)
    return again


def _ctrl_c(board):
    start = len(board.serial_out)
    assert board.app.serve(_interrupt) is True
    return "".join(board.serial_out[start:])


def test_ctrl_c_keeps_the_users_unmute_and_level_and_goes_quiet():
    board = SimBoard().boot()
    board.run_ms(1500)
    board.send("vol -40\r")
    board.send("mute off\r")
    board.run_ms(3000)  # saved by the debounce: the file says unmuted
    out = _ctrl_c(board)
    assert out == "\r\nuamp stopped (Ctrl-C); Ctrl-D restarts\r\n"
    assert board.dac.muted() and board.volume_ic.gain_db(0) is None  # quiet at once
    assert board.pin(board.profile["amp_enable"]).level() == 0
    again = _reboot(board)
    assert "mute off" in again.send("status\r")
    assert again.app.volume.target_db == -40.0


def test_ctrl_c_right_after_boot_saves_nothing_of_the_ramp():
    board = SimBoard().boot()
    board.run_ms(1500)
    board.send("vol -45\r")
    board.send("mute off\r")
    board.app.settings.save()
    early = SimBoard(flash=FlashFS(board.flash.image())).boot()
    early.run_ms(200)  # still powering up: the volume sits at the ramp's start, muted
    assert early.app.state != app_module.RUNNING
    _ctrl_c(early)
    again = _reboot(early)
    status = again.send("status\r")
    assert "vol -45.0 dB" in status and "mute off" in status, status


def test_ctrl_c_during_a_rate_change_saves_the_users_mute():
    board = SimBoard().boot()
    board.run_ms(1500)
    board.send("mute off\r")
    board.send("rate 44100\r")  # fades out (muted) for the change
    board.run_ms(20)
    assert board.app.state == app_module.CHANGING
    _ctrl_c(board)
    assert "mute off" in _reboot(board).send("status\r")


def test_other_errors_still_stop_the_amp_and_go_up():
    board = SimBoard().boot()
    board.run_ms(1500)
    board.send("mute off\r")

    def broken():
        raise RuntimeError("boom")

    try:
        board.app.serve(broken)
        raise AssertionError("the error must go on up")
    except RuntimeError:
        pass
    assert board.dac.muted() and board.volume_ic.gain_db(0) is None


def test_ctrl_c_arriving_as_a_character_stops_the_firmware_too():
    """Where stdin passes Ctrl-C through as a character (a pipe, the virtual board under load),
    the console input stops the firmware as the board's runtime would; other input is typed."""
    board = SimBoard().boot()
    board.run_ms(1500)
    board.app.console_input("vol -40\r")
    assert board.app.volume.target_db == -40.0

    def typed_ctrl_c():
        board.app.console_input("\x03")

    start = len(board.serial_out)
    assert board.app.serve(typed_ctrl_c) is True
    assert "uamp stopped (Ctrl-C)" in "".join(board.serial_out[start:])
    assert board.dac.muted()
