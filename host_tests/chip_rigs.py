"""Test rigs for the chip layer: a real driver wired to its simulated chip on a fresh world,
and an engine stand-in that records the trims the volume controller sends. Shared by the
chip, volume and property tests on both interpreters."""

import math

from sim import machine
from sim.chips.pcm5122 import PCM5122Model
from sim.chips.pga2311 import PGA2311Model
from sim.chips.tpa6130a2 import TPA6130A2Model
from uamp.drivers.digital import DigitalVolume
from uamp.drivers.pcm5122 import PCM5122
from uamp.drivers.pga2311 import PGA2311
from uamp.drivers.tpa6130a2 import TPA6130A2

UNITY = 32768
RELAY_PIN = 8


class RecordingEngine:
    """Stands in for AudioEngine: keeps the last trim and gain it was sent."""

    def __init__(self):
        self.trim = (UNITY, UNITY)
        self.gain = 0
        self.trim_calls = 0

    def set_trim(self, left, right):
        assert 0 <= left <= UNITY and 0 <= right <= UNITY
        self.trim = (left, right)
        self.trim_calls += 1

    def set_gain(self, gain):
        self.gain = gain

    def trim_db(self, channel):
        q15 = self.trim[channel]
        return None if q15 == 0 else 20 * math.log10(q15 / UNITY)


class LaggingEngine(RecordingEngine):
    """An engine whose audio lags the trims it is sent, as the real one does (ramp and port
    queue): `heard` catches up with `trim` only when the test calls `play()`, once a tick.
    It reports the lag as AudioEngine.trim_excess_db does."""

    def __init__(self):
        super().__init__()
        self.heard = (0, 0)  # the real engine starts silent

    def play(self):
        self.heard = self.trim

    def trim_excess_db(self):
        worst = 0.0
        for heard, asked in zip(self.heard, self.trim):
            if heard > asked:
                worst = max(worst, 200.0 if asked == 0 else 20 * math.log10(heard / asked))
        return worst

    def heard_db(self, channel):
        """What the listener hears: the louder of the trim playing and the one asked."""
        q15 = max(self.heard[channel], self.trim[channel])
        return None if q15 == 0 else 20 * math.log10(q15 / UNITY)


def pga2311_rig(mute_pin=True):
    world = machine.reset_world()
    # ZCEN (pin 7) is not wired to the model here: this rig plays no signal and keeps no time,
    # so a zero-crossing wait would never end. test_pga2311_zero_cross.py tests that wait.
    chip = PGA2311Model(world, cs=5, mute=6 if mute_pin else None)
    world.spi_bus(0).attach(5, chip)
    spi = machine.SPI(0, baudrate=1000000, polarity=0, phase=0)
    driver = PGA2311(
        spi,
        machine.Pin(5, machine.Pin.OUT, value=1),
        mute=machine.Pin(6, machine.Pin.OUT, value=0) if mute_pin else None,
        zcen=machine.Pin(7, machine.Pin.OUT, value=0),
    )
    return world, chip, driver


def tpa6130a2_rig(addr=0x60):
    world = machine.reset_world()
    chip = TPA6130A2Model(world, sd=27)
    world.i2c_bus(0).attach(0x60, chip)
    machine.Pin(27, machine.Pin.OUT, value=1)
    world.clock.advance_us(TPA6130A2.startup_ms * 1000)  # SD high, start-up time passed
    i2c = machine.I2C(0, freq=400000)
    return world, chip, TPA6130A2(i2c, addr)


def pcm5122_rig(addr=0x4C, bits=16):
    """The driver and the chip on I2C bus 0, and an I2S port (id 0, no MCLK) sending it
    `bits`-bit words, as on the ESP32 board."""
    world = machine.reset_world()
    chip = PCM5122Model(world, 0x4C, i2s_id=0)
    world.i2c_bus(0).attach(0x4C, chip)
    machine.I2S(
        0, sck=26, ws=25, sd=33, mode=machine.I2S.TX, bits=bits,
        format=machine.I2S.STEREO, rate=48000, ibuf=8192,
    )  # fmt: skip
    i2c = machine.I2C(0, freq=400000)
    return world, chip, PCM5122(i2c, addr, bits=bits)


def digital_rig():
    world = machine.reset_world()
    return world, None, DigitalVolume()


def relay_pin(world):
    return machine.Pin(RELAY_PIN, machine.Pin.OUT, value=0)


def output_db(chip, engine, channel, relay_db=0.0):
    """The level at the output in dB, from the simulated chip's analog state and the trim the
    engine was sent; None when silent. Never asks the driver."""
    trim = engine.trim_db(channel)
    if trim is None:
        return None
    if chip is None:
        return trim
    analog = chip.gain_db(channel)
    if analog is None:
        return None
    return analog + trim + relay_db
