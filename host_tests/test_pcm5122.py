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
        (13, 0x10),  # PLL reference BCK: there is no MCLK
        (37, 0x08),  # IDCH: the missing SCK is no clock error; dividers auto-set (DCAS 0)
        (40, 0x00),  # I2S, 16-bit words
        (60, 0x00),  # independent left/right volume
        (61, 48),  # 0 dB
        (62, 48),
        (63, 0x33),  # ramp down and up every fs in 0.5 dB steps
        (65, 0x04),  # auto-mute off on both channels
        (43, 1),  # normal interpolation filter
        (2, 0x00),  # run
    ]
    assert chip.protocol_errors == [] and chip.clock_error() is None
    assert chip.enabled() and chip.muted(0) and chip.muted(1)
    assert chip.gain_db(0) is None
    assert chip.ramp_down() == (1, 0.5) and chip.ramp_up() == (1, 0.5)
    assert chip.zero_detect.enabled == [False, False]


def _raw_chip(bits=16):
    """The chip with its power-up registers, on a board sending `bits`-bit I2S without MCLK."""
    world, chip, _driver = pcm5122_rig(bits=bits)
    i2c = machine.I2C(0)
    for reg, value in ((13, 0), (37, 0), (40, 2), (59, 0), (65, 7), (3, 0)):
        i2c.writeto_mem(0x4C, reg, bytes([value]))
    return world, chip, i2c


def test_without_mclk_the_chip_plays_only_from_the_bck_pll():
    """SLAS763C "Clock Slave Mode With BCK PLL": in software mode the PLL must be referenced
    to BCK (register 13 SREF = 001) and the SCK halt ignored (register 37 IDCH); at their
    reset values the chip sees a clock error and its outputs stay at zero."""
    _world, chip, i2c = _raw_chip()
    i2c.writeto_mem(0x4C, 40, b"\x00")  # 16-bit words: only the clocks are wrong
    assert "IDCH" in chip.clock_error() and chip.gain_db(0) is None
    i2c.writeto_mem(0x4C, 37, b"\x08")
    assert "register 13" in chip.clock_error() and chip.gain_db(1) is None
    i2c.writeto_mem(0x4C, 13, b"\x10")
    assert chip.clock_error() is None and chip.gain_db(0) == 0.0
    chip.sck = True  # with an MCLK wired the reset values would do
    i2c.writeto_mem(0x4C, 13, b"\x00")
    i2c.writeto_mem(0x4C, 37, b"\x00")
    assert chip.clock_error() is None


def test_word_length_follows_the_i2s_words():
    for bits, alen in ((16, 0), (32, 3)):
        _world, chip, _driver = pcm5122_rig(bits=bits)
        assert chip.regs[40] == alen and chip.word_bits() == bits and chip.clock_error() is None
    _world, chip, i2c = _raw_chip()
    i2c.writeto_mem(0x4C, 13, b"\x10")
    i2c.writeto_mem(0x4C, 37, b"\x08")
    assert "24 bits" in chip.clock_error()  # the reset value: 16-bit words misread
    assert chip.gain_db(0) is None
    raises(ValueError, PCM5122, machine.I2C(0), 0x4C, 18)


def test_register_63_fields_follow_the_datasheet():
    """Tables 30 and 31: D(7:6) ramp-down rate, D(5:4) ramp-down step, D(3:2) ramp-up rate,
    D(1:0) ramp-up step."""
    _world, chip, i2c = _raw_chip()
    i2c.writeto_mem(0x4C, 63, bytes([0b01101100]))
    assert chip.ramp_down() == (2, 1.0)  # every 2 fs, 1 dB
    assert chip.ramp_up() == (None, 4.0)  # direct change; (step 4 dB)
    i2c.writeto_mem(0x4C, 63, bytes([0x22]))  # the reset value: 1 dB every fs both ways
    assert chip.ramp_down() == (1, 1.0) and chip.ramp_up() == (1, 1.0)


def _play(world, port, samples_lr):
    """Play stereo 16-bit frames [(left, right)] on the port the chip hears."""
    data = bytearray(4 * len(samples_lr))
    for i, (left, right) in enumerate(samples_lr):
        for k, value in enumerate((left, right)):
            data[4 * i + 2 * k] = value & 0xFF
            data[4 * i + 2 * k + 1] = (value >> 8) & 0xFF
    port.write(data)
    port.play(len(samples_lr))


def test_auto_mute_after_1024_zero_samples_and_an_abrupt_unmute():
    """SLAS763C 8.3.2.3, Tables 5 and 6: at reset values both channels must be zero for 1024
    LRCKs; then the analog output mutes, and the next sample ends it at once."""
    world, chip, i2c = _raw_chip()
    for reg, value in ((13, 0x10), (37, 0x08), (40, 0)):
        i2c.writeto_mem(0x4C, reg, bytes([value]))
    port = world.i2s_ports[0]
    _play(world, port, [(0, 0)] * 1023)
    assert chip.gain_db(0) == 0.0 and chip.zero_detect.engaged == 0
    _play(world, port, [(0, 0)])
    assert chip.gain_db(0) is None and chip.gain_db(1) is None and chip.zero_detect.engaged == 1
    _play(world, port, [(0, 0)] * 10 + [(0, -8000), (100, 100)])
    assert chip.gain_db(0) == 0.0 and chip.zero_detect.release_levels() == [(0, 8000)]
    _play(world, port, [(0, 5)] * 2000)  # one channel silent: not both zero, no mute
    assert chip.gain_db(0) == 0.0 and chip.zero_detect.engaged == 1
    i2c.writeto_mem(0x4C, 59, bytes([0x11]))  # 5120 LRCKs on both channels
    _play(world, port, [(0, 0)] * 5000)
    assert chip.gain_db(0) == 0.0
    _play(world, port, [(0, 0)] * 200)
    assert chip.gain_db(0) is None


def test_the_driver_switches_auto_mute_off():
    world, chip, driver = pcm5122_rig()
    driver.mute(False)
    _play(world, world.i2s_ports[0], [(0, 0)] * 5000)
    assert chip.gain_db(0) == 0.0 and chip.zero_detect.engaged == 0


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
