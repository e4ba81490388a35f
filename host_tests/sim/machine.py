"""The simulated board's `machine` module.

Installed as sys.modules["machine"] before the firmware is imported (host_tests/conftest.py on
CPython, host_tests/mp_run.py on the MicroPython unix port). Runs unchanged on both.

All state lives in one `World` (pins, buses, I2S ports, timers, clock). `reset_world()` starts a
fresh board, so tests never leak state into each other. Firmware objects (`Pin(5)`) are thin
handles onto the world's shared state, so a test reaches the very pin the firmware made.
"""

from sim.clock import SimClock
from sim.ringlog import BUS_LOG, PIN_HISTORY, RingLog

_EIO = 5  # errno the RP2040 port raises when an I2C address does not acknowledge
_ETIMEDOUT = 110  # errno for an I2C transfer that times out (clock stretched, bus held low)


class PinState:
    """One GPIO: what the firmware configured, what drives it, and who listens."""

    def __init__(self, number):
        self.number = number
        self.mode = None
        self.pull = None
        self.out_value = 0
        self.external = None  # level a test or chip model drives onto an input; None = floating
        self.irq_handler = None
        self.irq_trigger = 0
        self.irq_handle = None
        self.listeners = []  # chip models: listener(pin_state, old_level, new_level)
        # (time_us, level) of the level changes, for sequencing tests: the newest PIN_HISTORY
        self.history = RingLog(PIN_HISTORY)
        self.world = None

    def level(self):
        if self.mode == Pin.OUT or self.mode == Pin.OPEN_DRAIN and self.out_value == 0:
            return self.out_value
        if self.external is not None:
            return self.external
        if self.pull == Pin.PULL_UP:
            return 1
        return 0

    def _changed(self, old):
        new = self.level()
        if new == old:
            return
        self.history.append((self.world.clock.now_us, new))
        for listener in self.listeners:
            listener(self, old, new)
        if self.irq_handler is not None:
            edge = Pin.IRQ_RISING if new else Pin.IRQ_FALLING
            if self.irq_trigger & edge:
                self.irq_handler(self.irq_handle)

    def drive(self, level):
        """Set the level outside the MCU (a switch, an encoder contact, a chip output)."""
        old = self.level()
        self.external = None if level is None else (1 if level else 0)
        self._changed(old)

    def set_output(self, value):
        old = self.level()
        self.out_value = 1 if value else 0
        self._changed(old)


class World:
    def __init__(self):
        self.clock = SimClock()
        self.pins = {}
        self.spi_buses = {}
        self.i2c_buses = {}
        self.i2s_ports = {}
        self.timers = []
        # Analog listeners of what TX ports play (the PGA2311's zero-crossing detector): called
        # as listener(port, data, start, end) with the bytes of the frames just played, data
        # None for silence (an underrun).
        self.i2s_listeners = []

    def pin(self, number):
        state = self.pins.get(number)
        if state is None:
            state = PinState(number)
            state.world = self
            self.pins[number] = state
        return state

    def spi_bus(self, bus_id):
        bus = self.spi_buses.get(bus_id)
        if bus is None:
            bus = SpiBus(bus_id)
            self.spi_buses[bus_id] = bus
        return bus

    def i2c_bus(self, bus_id):
        bus = self.i2c_buses.get(bus_id)
        if bus is None:
            bus = I2cBus(bus_id)
            self.i2c_buses[bus_id] = bus
        return bus


_world = World()


def world():
    return _world


def reset_world():
    global _world
    _world = World()
    return _world


def _pin_number(pin):
    if pin is None:
        return None
    if isinstance(pin, Pin):
        return pin.state.number
    return pin


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, number, mode=-1, pull=-1, value=None):
        self.state = _world.pin(_pin_number(number))
        self.init(mode, pull, value)

    def init(self, mode=-1, pull=-1, value=None):
        state = self.state
        old = state.level()
        if mode != -1:
            state.mode = mode
        if pull != -1:
            state.pull = pull
        if value is not None:
            state.out_value = 1 if value else 0
        state._changed(old)

    def value(self, value=None):
        if value is None:
            return self.state.level()
        self.state.set_output(value)

    def __call__(self, value=None):
        return self.value(value)

    def on(self):
        self.state.set_output(1)

    def off(self):
        self.state.set_output(0)

    def irq(self, handler=None, trigger=IRQ_FALLING | IRQ_RISING, hard=False):
        self.state.irq_handler = handler
        self.state.irq_trigger = trigger
        self.state.irq_handle = self


class SpiBus:
    """Devices on one SPI bus; each is selected by its own chip-select pin (active low)."""

    def __init__(self, bus_id):
        self.bus_id = bus_id
        self.devices = []  # (cs_pin_number, device)
        self.config = None

    def attach(self, cs_pin, device):
        self.devices.append((cs_pin, device))

    def transfer(self, data):
        reply = bytearray(len(data))
        for cs_pin, device in self.devices:
            if _world.pin(cs_pin).level() == 0:
                out = device.spi_transfer(self.config, bytes(data))
                if out:
                    for i in range(min(len(out), len(reply))):
                        reply[i] |= out[i]
        return reply


class SPI:
    MSB = 0
    LSB = 1

    def __init__(
        self,
        bus_id,
        baudrate=1000000,
        *,
        polarity=0,
        phase=0,
        bits=8,
        firstbit=0,
        sck=None,
        mosi=None,
        miso=None,
    ):
        self.bus = _world.spi_bus(bus_id)
        self.init(baudrate, polarity=polarity, phase=phase, bits=bits, firstbit=firstbit)
        self.pins = (_pin_number(sck), _pin_number(mosi), _pin_number(miso))

    def init(self, baudrate=1000000, *, polarity=0, phase=0, bits=8, firstbit=0, **_pins):
        self.bus.config = {
            "baudrate": baudrate,
            "polarity": polarity,
            "phase": phase,
            "bits": bits,
            "firstbit": firstbit,
        }

    def write(self, buf):
        self.bus.transfer(buf)

    def read(self, nbytes, write=0):
        return bytes(self.bus.transfer(bytes([write]) * nbytes))

    def readinto(self, buf, write=0):
        buf[:] = self.bus.transfer(bytes([write]) * len(buf))

    def write_readinto(self, write_buf, read_buf):
        read_buf[:] = self.bus.transfer(write_buf)

    def deinit(self):
        pass


class I2cBus:
    """Devices on one I2C bus by 7-bit address. A device implements i2c_write(data) and
    i2c_read(n). Faults for tests: a device's `fault` attribute ("nack" or "timeout") makes
    transfers to it fail; `stuck` (SDA held low) makes every transfer on the bus time out."""

    def __init__(self, bus_id):
        self.bus_id = bus_id
        self.devices = {}
        self.freq = None
        self.stuck = False
        # (addr, "w"|"r", bytes) for tests that check bus traffic: the newest BUS_LOG
        self.transactions = RingLog(BUS_LOG)

    def attach(self, addr, device):
        self.devices[addr] = device

    def device(self, addr):
        if self.stuck:
            raise OSError(_ETIMEDOUT)
        device = self.devices.get(addr)
        if device is None:
            raise OSError(_EIO)
        fault = getattr(device, "fault", None)
        if fault == "nack":
            raise OSError(_EIO)
        if fault == "timeout":
            raise OSError(_ETIMEDOUT)
        return device


class I2C:
    def __init__(self, bus_id, *, scl=None, sda=None, freq=400000, timeout=50000):
        self.bus = _world.i2c_bus(bus_id)
        self.bus.freq = freq
        self.pins = (_pin_number(scl), _pin_number(sda))

    def scan(self):
        if self.bus.stuck:
            return []
        return sorted(a for a, d in self.bus.devices.items() if getattr(d, "fault", None) is None)

    def writeto(self, addr, buf, stop=True):
        data = bytes(buf)
        self.bus.device(addr).i2c_write(data)
        self.bus.transactions.append((addr, "w", data))
        return len(data)

    def writevto(self, addr, vector, stop=True):
        return self.writeto(addr, b"".join(bytes(b) for b in vector), stop)

    def readfrom(self, addr, nbytes, stop=True):
        data = bytes(self.bus.device(addr).i2c_read(nbytes))
        self.bus.transactions.append((addr, "r", data))
        return data

    def readfrom_into(self, addr, buf, stop=True):
        buf[:] = self.readfrom(addr, len(buf), stop)

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self.writeto(addr, bytes([memaddr]) + bytes(buf))

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        self.writeto(addr, bytes([memaddr]), False)
        return self.readfrom(addr, nbytes)

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        buf[:] = self.readfrom_mem(addr, memaddr, len(buf))


class I2S:
    """I2S TX/RX port. TX captures every frame it plays into a preallocated buffer for analysis.

    Timing follows the clock: `play(frames)` (called by the simulator as time passes) consumes
    what the firmware wrote; when a written buffer has been consumed, the `irq` handler runs, as
    the MicroPython scheduler would run it. If nothing is queued the port plays silence (as
    current MicroPython does on underrun) and counts the frames.
    """

    RX = 0
    TX = 1
    MONO = 0
    STEREO = 1

    capture_bytes = 192000 * 2  # default capture: 2 s of 48 kHz stereo 16-bit
    tap_bytes = 65536  # what was written and not yet played must fit (ibuf is a few KB)

    def __init__(self, port_id, *, sck, ws, sd, mode, bits, format, rate, ibuf, mck=None):
        self.port_id = port_id
        self.pins = (_pin_number(sck), _pin_number(ws), _pin_number(sd))
        self.mode = mode
        self.bits = bits
        self.format = format
        self.rate = rate
        self.ibuf = ibuf
        self.handler = None
        self.frame_bytes = (bits // 8) * (2 if format == I2S.STEREO else 1)
        self.capture = bytearray(self.capture_bytes)
        self.captured = 0  # bytes in capture
        self.dropped = 0  # bytes played after the capture filled up
        # The analog listeners' view, however long the capture runs: a ring of written bytes.
        self.tap = bytearray(self.tap_bytes)
        self.tap_written = 0  # bytes ever written (the ring holds the last tap_bytes of them)
        self.tap_played = 0  # of those, bytes played
        self.queued = 0  # bytes written and not yet played
        self.pending_callbacks = 0  # written buffers whose "done" callback has not run
        self.underrun_frames = 0
        self.frames_played = 0
        self.late_frames = 0  # a test sets this: the next callback runs this many frames late
        self.rx_source = None  # RX: bytes a test feeds, played in a loop by readinto
        self._rx_pos = 0
        self.active = True
        _world.i2s_ports[port_id] = self

    def irq(self, handler):
        self.handler = handler

    def write(self, buf):
        n = len(buf)
        self._record(buf, n)
        self._tap(buf, n)
        self.queued += n
        self.pending_callbacks += 1
        return n

    def _record(self, buf, n):
        # Runs inside the firmware's audio callback, which may hold the heap lock: no slicing of
        # `buf` (that allocates); a buffer that no longer fits is dropped whole.
        start = self.captured
        if start + n > len(self.capture):
            self.dropped += n
            return
        self.capture[start : start + n] = buf
        self.captured = start + n

    def _tap(self, buf, n):
        # Also in the audio callback: a slice of `buf` would allocate, so a buffer that wraps
        # round the ring is copied byte by byte (once per 64 KB of audio).
        size = self.tap_bytes
        pos = self.tap_written % size
        if pos + n <= size:
            self.tap[pos : pos + n] = buf
        else:
            i = 0
            while i < n:
                self.tap[(pos + i) % size] = buf[i]
                i += 1
        self.tap_written += n

    def _heard(self, data, n):
        """Tell the analog listeners about the n bytes just played: the next n of the ring, or
        silence (data None)."""
        listeners = _world.i2s_listeners
        if data is None:
            start = 0
        else:
            start = self.tap_played % self.tap_bytes
            self.tap_played += n
            if self.tap_written - self.tap_played + n > self.tap_bytes:
                return  # overwritten before it played: more queued than the ring holds
        if self.mode != I2S.TX:
            return
        i = 0
        while i < len(listeners):  # may run with the heap locked: no iterator, no allocation
            if data is None or start + n <= self.tap_bytes:
                listeners[i](self, data, start, start + n)
            else:  # the ring wraps inside these frames
                listeners[i](self, data, start, self.tap_bytes)
                listeners[i](self, data, 0, start + n - self.tap_bytes)
            i += 1

    def play(self, frames):
        """Let the DMA consume `frames` frames; run the handler for each buffer it finishes.
        With `late_frames` set, the handler of the finished buffer runs that many frames late
        and the port plays silence meanwhile (an underrun, as a board does)."""
        while frames > 0 and self.active:
            if self.queued == 0 and self.pending_callbacks and self.late_frames:
                late = min(frames, self.late_frames)
                self.late_frames -= late
                self._play_silence(late)
                frames -= late
                continue
            if self.queued == 0 and self.pending_callbacks:
                self.pending_callbacks = 0
                if self.handler is not None:
                    self.handler(self)
                continue
            if self.queued == 0:
                self._play_silence(frames)
                return
            take = min(frames, self.queued // self.frame_bytes)
            self.queued -= take * self.frame_bytes
            self.frames_played += take
            self._heard(self.tap, take * self.frame_bytes)
            frames -= take
        if self.queued == 0 and self.pending_callbacks and not self.late_frames:
            self.pending_callbacks = 0
            if self.handler is not None:
                self.handler(self)

    def _play_silence(self, frames):
        self.underrun_frames += frames
        self.frames_played += frames
        self._silence(frames * self.frame_bytes)
        self._heard(None, frames * self.frame_bytes)

    def _silence(self, n):
        room = len(self.capture) - self.captured
        take = min(n, room)
        for i in range(self.captured, self.captured + take):
            self.capture[i] = 0
        self.captured += take
        self.dropped += n - take

    def clear_capture(self):
        self.captured = 0
        self.dropped = 0

    def readinto(self, buf):
        """RX: the next bytes of `rx_source` (looping), or zeros without one. With an irq
        handler set (non-blocking mode) the handler runs when the read is complete, which here
        is at once."""
        src = self.rx_source
        for i in range(len(buf)):
            if src:
                buf[i] = src[self._rx_pos]
                self._rx_pos = (self._rx_pos + 1) % len(src)
            else:
                buf[i] = 0
        if self.mode == I2S.RX and self.handler is not None:
            self.handler(self)
        return len(buf)

    def deinit(self):
        self.active = False
        self.handler = None

    @staticmethod
    def shift(*, buf, bits, shift):
        raise NotImplementedError("I2S.shift is not used by uamp")


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, timer_id=-1, *, mode=PERIODIC, period=-1, freq=-1, callback=None):
        self.callback = None
        self.due_us = None
        if callback is not None:
            self.init(mode=mode, period=period, freq=freq, callback=callback)

    def init(self, *, mode=PERIODIC, period=-1, freq=-1, callback=None):
        if freq > 0:
            period = 1000 // freq
        self.mode = mode
        self.period_us = period * 1000
        self.callback = callback
        self.due_us = _world.clock.now_us + self.period_us
        if self not in _world.timers:
            _world.timers.append(self)

    def fire_due(self, now_us):
        while self.callback is not None and self.due_us is not None and now_us >= self.due_us:
            self.callback(self)
            if self.mode == Timer.PERIODIC:
                self.due_us += self.period_us
            else:
                self.due_us = None

    def deinit(self):
        self.callback = None
        if self in _world.timers:
            _world.timers.remove(self)


def freq(hz=None):
    return 125000000


def unique_id():
    return b"uampsim0"


def reset():
    raise SystemExit("machine.reset() on the simulated board")


def soft_reset():
    raise SystemExit("machine.soft_reset() on the simulated board")


def disable_irq():
    return 0


def enable_irq(state=0):
    pass
