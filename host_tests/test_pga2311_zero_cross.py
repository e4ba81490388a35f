"""PGA2311 zero-crossing detection (TI SBOS218, "Zero Crossing Detection"): with ZCEN high a
channel's new gain waits for a positive-slope zero crossing of its input (the DAC's output, as
the board's I2S port plays it) or for the 16 ms time-out; with ZCEN low it applies at once."""

from array import array

from sim import machine
from sim.chips.pga2311 import TIMEOUT_US, PGA2311Model
from sim.simboard import SimBoard
from uamp.drivers.pga2311 import PGA2311

RATE = 48000


def _rig():
    world = machine.reset_world()
    chip = PGA2311Model(world, cs=5, mute=6, zcen=7)
    world.spi_bus(0).attach(5, chip)
    spi = machine.SPI(0, baudrate=1000000, polarity=0, phase=0)
    driver = PGA2311(
        spi,
        machine.Pin(5, machine.Pin.OUT, value=1),
        mute=machine.Pin(6, machine.Pin.OUT, value=0),
        zcen=machine.Pin(7, machine.Pin.OUT, value=0),
    )
    driver.mute(False)
    port = machine.I2S(
        0,
        sck=machine.Pin(10),
        ws=machine.Pin(11),
        sd=machine.Pin(12),
        mode=machine.I2S.TX,
        bits=16,
        format=machine.I2S.STEREO,
        rate=RATE,
        ibuf=8192,
    )
    return world, chip, driver, port


def _ms(world, port, ms=1):
    """Time passes with the port playing what was written (silence once that runs out)."""
    for _ in range(ms):
        world.clock.advance_us(1000)
        port.play(RATE // 1000)


def _settled_at(world, chip, driver, port, db):
    driver.set_gain_db(db, db)
    _ms(world, port, TIMEOUT_US // 1000)
    assert chip.gain_db(0) == db and chip.gain_db(1) == db


def _frames(left, right):
    samples = array("h", bytes(4 * len(left)))
    for i in range(len(left)):
        samples[2 * i] = left[i]
        samples[2 * i + 1] = right[i]
    return bytes(samples)


def test_each_channel_changes_at_its_own_positive_going_crossing():
    world, chip, driver, port = _rig()
    assert chip.zero_cross_enabled()
    _settled_at(world, chip, driver, port, -20.0)
    port.write(_frames([900, 5, -3, -800, 0, 700], [-5, 900, 300, -1, -700, 1]))
    driver.set_gain_db(-10.0, -30.0)
    assert chip.pending_db(0) == -10.0 and chip.pending_db(1) == -30.0
    assert chip.latched_codes() == [172, 132]  # N = 192 + 2 * dB
    heard = []
    for _ in range(6):
        port.play(1)
        heard.append((chip.gain_db(0), chip.gain_db(1)))
    # Left: 900 5 -3 -800 0 (up through zero: change) 700. Right: -5 900 (crosses at once) ...
    assert heard == [
        (-20.0, -20.0),
        (-20.0, -30.0),
        (-20.0, -30.0),
        (-20.0, -30.0),
        (-10.0, -30.0),
        (-10.0, -30.0),
    ]
    assert chip.pending_db(0) is None and chip.crossings_applied == 2


def test_falling_crossings_and_silence_wait_for_the_16_ms_time_out():
    world, chip, driver, port = _rig()
    _settled_at(world, chip, driver, port, -20.0)
    timeouts = chip.timeouts_applied
    falls = [500, 200, -200] + [-200] * (RATE // 1000 * 20)  # down through zero, stays there
    port.write(_frames(falls, falls))
    driver.set_gain_db(-19.5, -19.5)
    waited = 0
    while chip.gain_db(0) == -20.0:
        _ms(world, port)
        waited += 1
        assert waited <= 100
    assert waited == TIMEOUT_US // 1000 == 16
    assert chip.gain_db(1) == -19.5 and chip.timeouts_applied == timeouts + 2
    _ms(world, port, 20)  # the -200 level ends in silence: a rise through zero
    assert chip.negative == [False, False] and chip.pending == [None, None]


def test_zcen_low_applies_at_once():
    world, chip, driver, port = _rig()
    machine.Pin(7, machine.Pin.OUT, value=0)
    assert not chip.zero_cross_enabled()
    driver.set_gain_db(-12.0, -13.0)
    assert (chip.gain_db(0), chip.gain_db(1)) == (-12.0, -13.0)
    assert chip.pending_db(0) is None


def _steps_in_silence(world, chip, driver, port):
    """A ramp every 10 ms with no crossing: ms from the first word until one takes effect."""
    _settled_at(world, chip, driver, port, -40.0)
    db = -40.0
    for ms in range(1, 200):
        if ms % 10 == 1 and db < -35.0:
            db += 0.5
            driver.set_gain_db(db, db)
        _ms(world, port)
        if chip.gain_db(0) != -40.0:
            return ms, chip.gain_db(0)
    return None, None


def test_a_ramp_in_silence_lands_within_16_ms_of_its_first_word():
    # SBOS218 does not say whether a second word restarts the wait; by default the model keeps
    # the first deadline and the latest word is what takes effect.
    ms, db = _steps_in_silence(*_rig())
    assert ms == 16 and db == -39.0  # two 0.5 dB words land together, at the input's silence


def test_if_each_word_restarts_the_wait_a_ramp_in_silence_lands_after_it_ends():
    world, chip, driver, port = _rig()
    chip.restart_timeout_on_write = True
    ms, db = _steps_in_silence(world, chip, driver, port)
    assert ms == 90 + 16 and db == -35.0  # the last word went out at 90 ms


def test_a_board_playing_a_tone_applies_every_knob_step_at_a_crossing():
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_until(lambda: board.app.volume.current_db == board.app.power_on_db, 5000)
    chip = board.volume_ic
    assert board.app.engine.input_name == "tone"
    timeouts = chip.timeouts_applied
    crossings = chip.crossings_applied
    longest = lag = 0
    target = board.app.power_on_db + 3.0
    board.send("vol %s\r" % target)
    for _ in range(300):
        board.run_ms(1)
        lag = lag + 1 if chip.latched_codes() != chip.codes else 0
        longest = max(longest, lag)
    assert chip.gain_db(0) == target
    print(
        "PGA2311 ZCEN on a 1 kHz tone: %d words applied at zero crossings, %d by time-out, "
        "longest wait %d ms"
        % (chip.crossings_applied - crossings, chip.timeouts_applied - timeouts, longest)
    )
    assert chip.timeouts_applied == timeouts and chip.crossings_applied - crossings >= 12
    assert 1 <= longest <= 2  # a word waits for the next ms played: a 1 kHz tone rises in it


def test_a_gain_relay_switch_moves_the_chip_at_once_then_zero_cross_is_back_on():
    # The relay adds its gain the instant it closes: a chip change left waiting for a zero
    # crossing would leave the output that much too loud (found by test_console_limits).
    from chip_rigs import RecordingEngine, relay_pin

    from uamp.volume import Volume

    world, chip, driver, port = _rig()
    relay = relay_pin(world)
    volume = Volume(driver, RecordingEngine(), 0.0, (("low", 0.0), ("high", 10.0)), relay)
    volume.mute(False)
    volume.set_db(-20.0)
    for _ in range(200):
        volume.tick()
        _ms(world, port, 10)
    assert chip.gain_db(0) == -20.0 and chip.zero_cross_enabled()
    volume.set_gain_mode("high")
    volume.tick()  # no time passes, nothing played: the change cannot have waited
    assert relay.value() == 1
    assert chip.gain_db(0) == chip.gain_db(1) == -30.0 and chip.pending == [None, None]
    assert chip.zero_cross_enabled()
