"""PCM5122 driver against the simulated chip (paged register map of SLAS763 / ZHCSAC2C)."""

from chip_rigs import pcm5122_rig

from sim import machine
from support import raises
from uamp.drivers import pcm5122
from uamp.drivers.pcm5122 import PCM5122


def test_init_sequence_standby_mute_volume_ramp_filter_run():
    _world, chip, _driver = pcm5122_rig()
    assert chip.writes == [
        (0, 0),  # page 0
        (2, 0x10),  # RQST: standby while configuring
        (3, 0x11),  # RQML | RQMR
        (60, 0x00),  # independent left/right volume
        (61, 48),  # 0 dB
        (62, 48),
        (63, 0x33),  # ramp up and down every fs in 0.5 dB steps
        (43, 1),  # normal interpolation filter
        (2, 0x00),  # run
    ]
    assert chip.protocol_errors == []
    assert chip.enabled() and chip.muted(0) and chip.muted(1)
    assert chip.gain_db(0) is None and chip.ramp_step_db() == 0.5


def test_volume_codes_follow_table_29():
    assert pcm5122.volume_code(24.0) == 0
    assert pcm5122.volume_code(0.0) == 48
    assert pcm5122.volume_code(-0.5) == 49
    assert pcm5122.volume_code(-103.0) == 254
    assert pcm5122.volume_code(-200) == 254  # never 255: that is mute
    assert pcm5122.volume_code(99) == 0
    assert pcm5122.volume_db(255) is None


def test_volume_and_mute_reach_the_chip():
    _world, chip, driver = pcm5122_rig()
    driver.mute(False)
    assert chip.gain_db(0) == 0.0
    assert driver.set_volume_db(-20.0, -10.5) == (-20.0, -10.5)
    assert chip.regs[61] == 88 and chip.regs[62] == 69
    assert chip.gain_db(0) == -20.0 and chip.gain_db(1) == -10.5
    driver.mute(True)
    assert chip.gain_db(0) is None and chip.gain_db(1) is None


def test_filter_selection_and_bad_name():
    _world, chip, driver = pcm5122_rig()
    driver.set_filter("low-latency")
    assert chip.regs[43] == 2 and chip.filter() == "low-latency"
    writes = len(chip.writes)
    raises(ValueError, driver.set_filter, "brickwall")
    assert len(chip.writes) == writes and chip.filter() == "low-latency"


def test_standby_silences_the_output():
    _world, chip, driver = pcm5122_rig()
    driver.mute(False)
    driver.standby(True)
    assert chip.gain_db(0) is None and not chip.enabled()
    driver.standby(False)
    assert chip.gain_db(0) == 0.0


def test_registers_on_other_pages_are_not_page_zero():
    _world, chip, _driver = pcm5122_rig()
    i2c = machine.I2C(0)
    i2c.writeto_mem(0x4C, 0, b"\x01")  # page 1
    i2c.writeto_mem(0x4C, 61, b"\x00")  # not the volume register any more
    assert chip.regs[61] == 48 and chip.protocol_errors


def test_auto_increment_writes_consecutive_registers():
    _world, chip, _driver = pcm5122_rig()
    machine.I2C(0).writeto(0x4C, bytes([61, 60, 70]))
    assert chip.regs[61] == 60 and chip.regs[62] == 70


def test_wrong_address_and_faults():
    world = machine.reset_world()
    world.i2c_bus(0)
    assert raises(OSError, PCM5122, machine.I2C(0), 0x4D).args[0] == 5
    world, chip, driver = pcm5122_rig()
    chip.fault = "nack"
    assert raises(OSError, driver.mute, False).args[0] == 5
    chip.fault = None
    world.i2c_bus(0).stuck = True
    assert raises(OSError, driver.mute, False).args[0] == 110
    assert machine.I2C(0).scan() == []
