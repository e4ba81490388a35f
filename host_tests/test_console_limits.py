"""Console follow-ups (issue 6): a limit under the volume floor is refused; a headphone cap under
the floor holds the amp muted (never raised to the floor); the cap for a gain mode is in force in
the step that switches to it, checked in the audio every millisecond; `vol +N` steps up."""

import json

from fake_parts import Rig
from test_console import snapshot
from test_volume_order import WINDOW, _analog_db, _window_db

from sim.flashfs import FlashFS
from sim.simboard import SimBoard, profile_path
from uamp import headphones, settings
from uamp import profile as profiles
from uamp.settings import PATH

PICO = "pico-pcm5102a-pga2311"
RELAY_PIN = 20
HIGH_DB = 12
# 16 ohm, 130 dB/mW: in the low mode its 64 dB SPL cap sits just above the PGA2311's floor
# (-95.5 dB), in the high mode (+12 dB) below it.
HOT = "hp add hot 16 130 mw max 64\r"


def _one_error(out, start):
    assert out.startswith("error: " + start) and out.count("\r\n") == 1, out


def test_limit_outside_the_volume_range_is_refused_and_changes_nothing():
    rig = Rig().boot()
    rig.send("limit -40\r")
    before = snapshot(rig)
    for line in ("limit -150", "limit -96", "limit 5"):
        _one_error(rig.send(line + "\r"), "limit must be -95.5..0.0 dB")
        assert snapshot(rig) == before and rig.app.user_limit_db == -40, line
    assert rig.send("limit -95.5\r") == "limit -95.5 dB (in force: -95.5 dB)\r\n"
    board = SimBoard(PICO).boot()
    board.run_ms(400)
    _one_error(board.send("limit -150\r"), "limit must be -95.5..0.0 dB")
    assert board.app.user_limit_db is None and board.app.volume.max_db == 0


def test_a_saved_limit_under_the_floor_is_not_restored():
    body = settings.defaults()
    body["limit_db"] = -150.0  # inside the file's range, outside the volume's
    rig = Rig(flash=FlashFS({PATH: settings.encode(body)})).boot()
    assert "settings: limit not restored (limit must be -95.5..0.0 dB)" in "".join(rig.out)
    assert rig.app.user_limit_db is None and rig.app.volume.max_db == 0


def test_headphone_cap_under_the_floor_mutes_and_reports():
    rig = Rig().boot()
    app = rig.app
    vol = app.volume
    rig.send("vol -40\r")
    rig.send("hp add hot 16 150 mw max 40\r")  # 40 dB SPL needs about -134 dB of volume
    out = rig.send("hp use hot\r")
    assert out.startswith("muted: headphone hot needs the volume at or below -134.")
    assert "under its floor -95.5 dB" in out
    assert vol.muted and vol.max_db == vol.min_db  # at the floor, and muted: never raised
    assert "muted: headphone hot" in rig.send("status\r")
    assert json.loads(rig.send("status --json\r"))["mute"] is True
    before = snapshot(rig)
    _one_error(rig.send("mute off\r"), "stays muted: headphone hot")
    assert snapshot(rig) == before
    vol.mute(False)  # a front-panel button: the next tick mutes again, before the ramp
    rig.run_ms(10)
    assert vol.muted
    assert rig.send("hp off\r").startswith("volume cap reachable again: unmuting")
    rig.run_ms(10)
    assert not vol.muted and app.floor_hold is None and vol.max_db == 0
    # Muted by the user during the hold: stays muted after it.
    rig.send("hp use hot\r")
    assert rig.send("mute on\r") == "mute on\r\n"
    assert rig.send("hp off\r").startswith("volume cap reachable again\r\n")
    rig.run_ms(50)
    assert vol.muted


def _relay_board(hp_line=None, seconds=0, name=PICO):
    """A board with two gain modes: the Pico's from a relay (+12 dB), the ESP32's from the top
    of the TPA6130A2's range (+6 dB, no relay)."""
    profile = profiles.load(profile_path(name))
    profile["gain"] = {"high_db": HIGH_DB, "relay": RELAY_PIN} if name == PICO else {"high_db": 6}
    board = SimBoard(board_profile=profiles.validate(profile))
    if seconds:
        board.i2s.capture = bytearray(board.i2s.frame_bytes * 48 * 1000 * seconds)
    board.boot()
    board.run_until(lambda: board.app.volume.current_db == board.app.power_on_db, 5000)
    if hp_line:
        board.send(hp_line)
        board.send("hp use %s\r" % hp_line.split()[2])
        board.run_ms(1500)  # down to the headphone's cap (a ramp, from the power-on level)
    return board


def _spl_trace(board, ms, worst):
    """Run `ms` ms; per 1 ms window, the SPL of a 0 dBFS signal at the headphone, from the
    capture (digital level) plus the chips' analog state and the relay. Keeps the loudest."""
    app = board.app
    relay = board.pin(RELAY_PIN) if board.profile["gain"].get("relay") else None
    for _ in range(ms):
        analog = _analog_db(board, 0)
        if analog is not None and relay is not None:
            analog += HIGH_DB if relay.level() else 0
        start = board.i2s.frames_played
        board.run_ms(1)
        level = _window_db(board, start, analog)
        if level is not None:
            spl, _clip = headphones.spl(app.headphone, app.chain, level, 0.0)
            worst[0] = max(worst[0], spl)
            worst[1] += 1


def test_spl_cap_holds_every_millisecond_across_gain_mode_changes():
    """At the headphone's cap, gain changes both ways (console, then straight on the volume
    controller as the panel does): the cap of the new mode is in force in the switching step,
    so the output never passes the max SPL and stays at the cap (the volume moves by the mode's
    gain; with the cap a tick late, a change to the low mode lost those 12 dB). Both boards."""
    for name in (PICO, "esp32-pcm5122-tpa6130a2"):
        _gain_changes_at_the_cap(name)


def _gain_changes_at_the_cap(name):
    board = _relay_board("hp add iem 16 112 mw max 100\r", seconds=10, name=name)
    assert WINDOW == 48 and board.i2s.rate == 48000
    high_db = board.profile["gain"]["high_db"]
    app = board.app
    vol = app.volume
    worst = [0.0, 0]
    for mode in ("high", "low", "high", "low", "direct high", "direct low"):
        board.send("vol 0\r")  # to the cap of this mode
        _spl_trace(board, 600, worst)
        before = app.spl_db()
        if mode.startswith("direct"):
            vol.set_gain_mode(mode[7:])  # as the panel does: no console, no re-cap call
        else:
            board.send("gain %s\r" % mode)
        _spl_trace(board, 400, worst)
        assert vol.mode_gain_db == (high_db if mode.endswith("high") else 0), (name, mode)
        if name == PICO:
            assert board.pin(RELAY_PIN).level() == mode.endswith("high"), mode
        assert abs(app.spl_db() - before) < 0.01, (name, mode, before, app.spl_db())
    print(
        "%s: gain-mode changes at the 100 dB SPL cap: %d windows, loudest %.3f dB SPL"
        % (name, worst[1], worst[0])
    )
    assert worst[1] > 5000 and 99.0 < worst[0] <= 100.0 + 0.01, worst


def test_cap_under_the_floor_in_one_gain_mode_mutes_before_it_switches():
    board = _relay_board(HOT, seconds=6)
    app = board.app
    vol = app.volume
    low_cap = vol.max_db
    assert vol.min_db < low_cap < vol.min_db + HIGH_DB and not vol.muted
    board.send("vol 0\r")
    worst = [0.0, 0]
    _spl_trace(board, 300, worst)
    board.send("gain high\r")
    _spl_trace(board, 10, worst)
    assert "muted: headphone hot needs the volume at or below" in "".join(board.serial_out)
    assert vol.muted and vol.mode_gain_db == 0  # the relay waits for the mute
    _spl_trace(board, 600, worst)
    assert (
        vol.mode_gain_db == HIGH_DB and vol.hardware_muted and board.volume_ic.gain_db(0) is None
    )
    assert "muted: headphone hot" in board.send("status\r")
    _one_error(board.send("mute off\r"), "stays muted")
    vol.mute(False)  # as the panel's mute button does: the app mutes again
    _spl_trace(board, 50, worst)
    assert vol.muted
    assert board.send("gain low\r").startswith("gain low")
    _spl_trace(board, 1500, worst)
    assert vol.mode_gain_db == 0 and not vol.muted and vol.current_db == low_cap
    assert "volume cap reachable again: unmuting" in "".join(board.serial_out)
    print("cap under the floor in the high mode: loudest %.2f dB SPL (cap 64)" % worst[0])
    assert worst[1] > 500 and worst[0] <= 64.0 + 0.01, worst


def test_vol_plus_n_is_a_step_up_and_minus_n_a_level():
    rig = Rig().boot()
    assert rig.send("vol -20\r") == "vol -20.0 dB\r\n"
    assert rig.send("vol +3\r") == "vol -17.0 dB\r\n"
    assert rig.send("vol +0.5dB\r") == "vol -16.5 dB\r\n"
    assert rig.send("vol -3\r") == "vol -3.0 dB\r\n"  # no sign or minus: a level
    assert rig.send("vol down 3\r") == "vol -6.0 dB\r\n"
    before = snapshot(rig)
    for bad in ("vol +", "vol +x", "vol +61", "vol ++3", "vol +3 4"):
        out = rig.send(bad + "\r")
        assert out.startswith("error: ") and out.count("\r\n") == 1, (bad, out)
        assert snapshot(rig) == before, bad
    text = rig.send("help\r")
    assert "vol [dB | +N | up [N] | down [N]]" in text and "-N is always a level" in text


def test_volume_replies_say_the_real_range_and_when_a_cap_took_the_level():
    from sim.simboard import SimBoard

    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_until(lambda: board.app.volume.current_db == -30, 5000)
    vol = board.app.volume
    floor, top = vol.min_db, board.app.board_max_db
    for bad in ("vol 50", "vol %g" % (top + 0.5), "vol %g" % (floor - 1)):
        out = board.send(bad + "\r")
        assert out == "error: volume must be %g..%g, got %s\r\n" % (floor, top, bad[4:]), out
        assert vol.target_db == -30
    assert board.send("vol %g\r" % top) == "vol %.1f dB\r\n" % top  # the top itself is no cap
    board.send("limit -10\r")
    assert board.send("vol -5\r") == "vol -10.0 dB (capped by max -10.0)\r\n"
    assert vol.target_db == -10
    assert board.send("vol up 6\r") == "vol -10.0 dB (capped by max -10.0)\r\n"
    assert board.send("vol -12\r") == "vol -12.0 dB\r\n"
    board.send("vol %g\r" % floor)
    assert board.send("vol down 3\r") == "vol %.1f dB (the floor)\r\n" % floor
