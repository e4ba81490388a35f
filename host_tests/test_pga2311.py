"""PGA2311 driver against the simulated chip, which decodes the SPI bits as SBOS218 says."""

from chip_rigs import pga2311_rig

from sim import machine
from sim.chips.pga2311 import PGA2311Model
from uamp.drivers import pga2311


def _setup():
    return pga2311_rig()


def test_gain_formula_endpoints():
    assert pga2311.code_for_db(31.5) == 255
    assert pga2311.code_for_db(0) == 192
    assert pga2311.code_for_db(-95.5) == 1
    assert pga2311.code_for_db(-200) == 1  # never 0: that is mute, handled separately
    assert pga2311.code_for_db(99) == 255
    assert pga2311.db_for_code(0) is None
    assert pga2311.db_for_code(1) == -95.5


def test_starts_muted_with_zero_cross():
    world, chip, _driver = _setup()
    assert chip.gain_db(0) is None and chip.gain_db(1) is None
    assert world.pin(7).level() == 1  # the driver raised ZCEN


def test_word_is_right_byte_first():
    _world, chip, driver = _setup()
    driver.mute(False)
    assert driver.set_gain_db(-10.0, -20.5) == (-10.0, -20.5)
    assert chip.codes == [172, 151]  # left N = 192 - 20, right N = 192 - 41
    assert chip.gain_db(0) == -10.0 and chip.gain_db(1) == -20.5
    assert chip.protocol_errors == []


def test_mute_pin_mutes_analog_output():
    _world, chip, driver = _setup()
    driver.mute(False)
    driver.set_gain_db(0, 0)
    assert chip.gain_db(0) == 0.0
    driver.mute(True)
    assert chip.gain_db(0) is None


def test_unchanged_gain_is_not_rewritten():
    _world, chip, driver = _setup()
    driver.set_gain_db(-30, -30)
    writes = chip.writes
    driver.set_gain_db(-30.2, -29.8)  # same 0.5 dB grid point
    assert chip.writes == writes


def test_wrong_spi_mode_is_seen_by_the_chip():
    world = machine.reset_world()
    chip = PGA2311Model(world, cs=5)
    world.spi_bus(0).attach(5, chip)
    spi = machine.SPI(0, polarity=1, phase=1)
    cs = machine.Pin(5, machine.Pin.OUT, value=1)
    cs(0)
    spi.write(b"\x10\x10")
    cs(1)
    assert chip.protocol_errors and chip.codes == [0, 0]


def test_without_mute_pin_code_zero_mutes_and_the_level_returns():
    _world, chip, driver = pga2311_rig(mute_pin=False)
    driver.set_gain_db(-12.0, -12.0)
    assert chip.codes == [0, 0]  # still muted: the level waits
    driver.mute(False)
    assert chip.gain_db(0) == -12.0 and chip.gain_db(1) == -12.0
    driver.mute(True)
    assert chip.codes == [0, 0] and chip.gain_db(0) is None
    driver.set_gain_db(-6.0, -6.0)
    assert chip.codes == [0, 0]
    driver.mute(False)
    assert chip.gain_db(0) == -6.0


def test_gain_for_matches_what_the_chip_gets():
    _world, chip, driver = pga2311_rig()
    driver.mute(False)
    for db in (-95.5, -40.0, -0.5, 0.0, 12.5, 31.5):
        expected = driver.gain_for(db, db - 1)
        driver.set_gain_db(db, db - 1)
        assert (chip.gain_db(0), chip.gain_db(1)) == expected


def test_next_gain_is_one_half_db_step_within_the_range():
    _world, _chip, driver = pga2311_rig()
    assert driver.next_gain_db(-20.0, True) == -19.5
    assert driver.next_gain_db(-20.0, False) == -20.5
    assert driver.next_gain_db(31.5, True) == 31.5 and driver.next_gain_db(-95.5, False) == -95.5
