"""The thin end-to-end slice on the simulated Pico: boot, knob, console."""

from sim.simboard import SimBoard
from uamp import app as app_module


def _running_board():
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_until(lambda: board.app.volume.current_db == board.app.power_on_db, 5000)
    # ZCEN is high: the last ramp step waits for the tone's next zero crossing.
    board.run_until(lambda: board.volume_ic.gain_db(0) == board.app.power_on_db, 20)
    return board


def test_power_up_sequence_is_muted_until_stable():
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    profile = board.profile
    amp = board.pin(profile["amp_enable"])
    assert amp.level() == 0 and board.dac.muted() and board.volume_ic.gain_db(0) is None
    board.run_ms(app_module.CLOCKS_SETTLE_MS - 10)
    assert amp.level() == 0 and board.dac.muted()
    board.run_ms(20)
    assert amp.level() == 1 and board.dac.muted()  # amp on first, DAC still muted
    board.run_ms(app_module.AMP_SETTLE_MS)
    assert not board.dac.muted()
    # From here the gain words climb in 0.5 dB steps, never jumping. ZCEN is high, so the gain
    # in effect follows at the input's zero crossings: it may take two words at once when no
    # crossing came within a tick (the DAC's first ms after unmute), never more than it was sent.
    chip = board.volume_ic
    last = chip.latched_codes()
    assert chip.gain_db(0) is not None and chip.gain_db(0) <= -90
    for _ in range(200):
        board.run_ms(app_module.TICK_MS)
        now = chip.latched_codes()
        assert now[0] - last[0] <= 1 and now[1] - last[1] <= 1  # one code is 0.5 dB
        assert chip.codes[0] <= now[0] and chip.codes[1] <= now[1]
        last = now
    board.run_ms(20)
    assert chip.gain_db(0) == profile["limits"]["power_on_db"]
    assert chip.gain_db(1) == chip.gain_db(0)


def test_encoder_turn_changes_pga2311_word():
    board = _running_board()
    start = board.volume_ic.gain_db(0)
    board.turn(4)
    board.run_ms(100)
    assert board.volume_ic.gain_db(0) == start + 2.0
    board.turn(-10)
    board.run_ms(100)
    assert board.volume_ic.gain_db(0) == start - 3.0
    assert board.volume_ic.protocol_errors == []


def test_console_vol_sets_and_reports():
    board = _running_board()
    assert board.send("vol -20\r") == "vol -20.0 dB\r\n"
    board.run_ms(500)
    assert board.volume_ic.gain_db(0) == -20.0
    assert board.volume_ic.gain_db(1) == -20.0
    assert board.send("vol\n") == "vol -20.0 dB\r\n"


def test_console_rejects_garbage_and_changes_nothing():
    board = _running_board()
    before = board.app.volume.target_db
    assert board.send("vol loud\r").startswith("error: not a number")
    assert board.send("vol 1 2\r").startswith("error: usage")
    assert board.send("frobnicate\r").startswith("error: unknown command")
    assert board.app.volume.target_db == before


def test_volume_never_exceeds_cap():
    board = _running_board()
    cap = board.profile["limits"]["max_db"]
    assert board.send("vol 30\r") == "error: volume must be -95.5..%g, got 30\r\n" % cap
    assert board.send("vol %g\r" % cap) == "vol %.1f dB\r\n" % cap
    board.turn(40)
    board.run_ms(2000)
    assert board.volume_ic.gain_db(0) == cap
