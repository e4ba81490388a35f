"""The board layer: the only module that touches `machine`.

It turns a validated board profile into hardware objects (pins, buses, the I2S port) and hands
them to the rest of the firmware. On the simulated board `machine` is the simulator's module,
so this file runs unchanged there.
"""

import machine


class Board:
    def __init__(self, profile, clock):
        self.profile = profile
        self.clock = clock
        self.spi = None
        self.i2c = None
        self.fs: "object | None" = None  # the settings' filesystem: main.py sets the board's own
        spi = profile.get("spi")
        if spi:
            miso = spi.get("miso")
            self.spi = machine.SPI(
                spi["id"],
                baudrate=spi["baudrate"],
                polarity=0,
                phase=0,
                sck=machine.Pin(spi["sck"]),
                mosi=machine.Pin(spi["mosi"]),
                miso=None if miso is None else machine.Pin(miso),
            )
        i2c = profile.get("i2c")
        if i2c:
            self.i2c = machine.I2C(
                i2c["id"],
                scl=machine.Pin(i2c["scl"]),
                sda=machine.Pin(i2c["sda"]),
                freq=i2c["freq"],
            )

    def output(self, gpio, value=0):
        """A push-pull output, driven to `value` from the first instant."""
        return machine.Pin(gpio, machine.Pin.OUT, value=value)

    def input(self, gpio, pull_up=True):
        if pull_up:
            return machine.Pin(gpio, machine.Pin.IN, machine.Pin.PULL_UP)
        return machine.Pin(gpio, machine.Pin.IN)

    def on_edges(self, pin, handler):
        pin.irq(handler, machine.Pin.IRQ_RISING | machine.Pin.IRQ_FALLING)

    def i2s_out(self, rate=None):
        """The I2S output port, at the profile's rate or `rate` (a sample-rate change reopens
        the port: the caller deinit()s the old one first)."""
        cfg = self.profile["i2s"]
        return _i2s(cfg, machine.I2S.TX, cfg["bits"], cfg["rate"] if rate is None else rate)

    def i2s_in(self):
        """The I2S receiver of the profile's optional `i2s_in` section, or None."""
        cfg = self.profile.get("i2s_in")
        if not cfg:
            return None
        return _i2s(cfg, machine.I2S.RX, 32, self.profile["i2s"]["rate"])


def _i2s(cfg, mode, bits, rate):
    return machine.I2S(
        cfg["id"],
        sck=machine.Pin(cfg["sck"]),
        ws=machine.Pin(cfg["ws"]),
        sd=machine.Pin(cfg["sd"]),
        mode=mode,
        bits=bits,
        format=machine.I2S.STEREO,
        rate=rate,
        ibuf=cfg["ibuf"],
    )
