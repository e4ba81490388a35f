"""TPA6130A2 driver against the simulated chip, which decodes I2C writes as SLOS488B says."""

from chip_rigs import tpa6130a2_rig

from sim import machine
from sim.chips.tpa6130a2 import TABLE_2_DB
from support import raises
from uamp.drivers import tpa6130a2
from uamp.drivers.tpa6130a2 import TPA6130A2


def test_nothing_is_sent_before_enable_then_the_shadow_goes_first():
    world, chip, driver = tpa6130a2_rig()
    driver.set_gain_db(-30.0, -30.0)
    driver.mute(True)
    assert world.i2c_bus(0).transactions == []
    driver.enable(True)
    writes = [t for t in world.i2c_bus(0).transactions if t[1] == "w" and len(t[2]) == 2]
    # Register 2: Mute_L | Mute_R with the volume code held; then register 1: HP_EN_L | HP_EN_R,
    # stereo (mode 00), SWS clear.
    assert [(a, d[0], d[1]) for a, _k, d in writes] == [(0x60, 2, 0xC0 | 13), (0x60, 1, 0xC0)]
    assert chip.muted(0) and chip.muted(1) and chip.enabled(0) and chip.enabled(1)
    assert chip.gain_db(0) is None and chip.protocol_errors == []


def test_hardware_shutdown_loses_the_registers_and_enable_restores_them():
    world, chip, driver = tpa6130a2_rig()
    driver.enable(True)
    driver.set_gain_db(-10.0, -10.0)
    driver.mute(False)
    assert chip.gain_db(0) == -9.7
    world.pin(27).set_output(0)  # SD low: shutdown, no acknowledge
    assert chip.gain_db(0) is None and chip.regs[2] == 0xC0
    assert raises(OSError, driver.mute, True).args[0] == 5
    world.pin(27).set_output(1)
    world.clock.advance_us(tpa6130a2.STARTUP_MS * 1000)
    driver.enable(True)
    assert chip.gain_db(0) is None and chip.code() == 34  # level restored, muted as asked


def test_no_acknowledge_until_the_start_up_time_after_sd_rises():
    """SLOS488B Operating Characteristics: start-up time from shutdown 5 ms. The model
    refuses transfers until then; the driver says how long to wait (startup_ms)."""
    world, chip, driver = tpa6130a2_rig()
    world.pin(27).set_output(0)
    world.pin(27).set_output(1)
    world.clock.advance_us(4900)
    assert raises(OSError, driver.enable, True).args[0] == 5 and chip.startup_naks == 1
    world.clock.advance_us(100)
    driver.enable(True)
    assert chip.enabled(0) and driver.startup_ms == 5


def test_enable_sets_both_hp_enable_bits():
    _world, chip, driver = tpa6130a2_rig()
    driver.enable(True)
    assert chip.regs[1] == 0xC0 and chip.enabled(0) and chip.enabled(1)
    driver.enable(False)
    assert chip.regs[1] == 0x00 and not chip.enabled(0)


def test_volume_register_and_mute_bits():
    _world, chip, driver = tpa6130a2_rig()
    driver.enable(True)
    assert driver.set_gain_db(-20.0, -20.0) == (-19.6, -19.6)  # code 21: lowest >= -20 dB
    assert chip.regs[2] == 0xC0 | 21
    driver.mute(False)
    assert chip.regs[2] == 21
    assert chip.gain_db(0) == -19.6 and chip.gain_db(1) == -19.6
    driver.mute(True)
    assert chip.gain_db(0) is None


def test_louder_channel_sets_the_shared_code():
    _world, chip, driver = tpa6130a2_rig()
    driver.enable(True)
    assert driver.set_gain_db(-30.0, -10.0) == (-9.7, -9.7)
    assert chip.code() == 34


def test_code_choice_covers_the_request_from_the_verified_table():
    for code in range(64):
        gain = TABLE_2_DB[code]
        if gain is None:
            continue
        assert tpa6130a2.code_for_db(gain) == code
        assert tpa6130a2.GAIN_DB[code] == gain  # the driver's table matches the model's
    for tenth in range(-595, 37):
        db = tenth / 10
        code = tpa6130a2.code_for_db(db)
        assert code not in (31, 63)  # gains not verified: never selected
        assert TABLE_2_DB[code] >= db - 0.001
    assert tpa6130a2.code_for_db(-80) == 0
    assert tpa6130a2.code_for_db(10) == 62


def test_chip_sd_pin_low_means_no_output():
    world, chip, driver = tpa6130a2_rig()
    driver.enable(True)
    driver.mute(False)
    assert chip.gain_db(0) is not None
    world.pin(27).set_output(0)
    assert chip.gain_db(0) is None


def test_wrong_address_is_not_acknowledged():
    world = machine.reset_world()
    world.i2c_bus(0)
    e = raises(OSError, TPA6130A2(machine.I2C(0), 0x61).enable, True)
    assert e.args[0] == 5  # EIO, as the RP2040 port reports a NACK


def test_faults_raise_oserror():
    world, chip, driver = tpa6130a2_rig()
    chip.fault = "nack"
    assert raises(OSError, driver.enable, True).args[0] == 5
    chip.fault = "timeout"
    assert raises(OSError, driver.enable, True).args[0] == 110
    chip.fault = None
    driver.enable(True)
    world.i2c_bus(0).stuck = True
    assert raises(OSError, driver.set_gain_db, 0, 0).args[0] == 110


def test_read_back_catches_a_chip_that_lost_its_registers():
    _world, chip, driver = tpa6130a2_rig()
    original = chip.write_register
    chip.write_register = lambda reg, value: None  # writes acknowledged but not kept
    e = raises(OSError, driver.enable, True)
    assert "reads 0x00" in str(e)
    chip.write_register = original


def test_a_failed_write_never_lets_a_later_mute_be_skipped():
    _world, chip, driver = tpa6130a2_rig()
    driver.enable(True)
    driver.mute(False)
    original = chip.write_register
    chip.write_register = lambda reg, value: None  # acknowledged, not kept
    raises(OSError, driver.mute, True)  # the read-back shows the mute did not take
    chip.write_register = original
    driver.mute(True)  # so it is sent again, not skipped as "already muted"
    assert chip.muted(0) and chip.muted(1)


def test_next_gain_walks_the_verified_codes_one_at_a_time():
    _world, chip, driver = tpa6130a2_rig()
    gains = [g for g in TABLE_2_DB if g is not None]
    for i in range(len(gains) - 1):
        assert driver.next_gain_db(gains[i], True) == gains[i + 1]
        assert driver.next_gain_db(gains[i + 1], False) == gains[i]
    assert driver.next_gain_db(-12.3, True) == -10.9  # code 31 (unverified) is stepped over
    assert driver.next_gain_db(gains[-1], True) == gains[-1]  # ends of the range stay put
    assert driver.next_gain_db(gains[0], False) == gains[0]
