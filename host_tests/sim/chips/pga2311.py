"""PGA2311 model (TI SBOS218).

Serial interface: while /CS is low, SDI bits shift into a 16-bit register on rising SCLK, MSB
first (SPI mode 0); extra bits fall out of SDO to the next chip (daisy chain). On the rising
edge of /CS the last 16 bits latch: first byte R7..R0, then L7..L0.
Gain: N = 0 mutes, else 31.5 - 0.5 * (255 - N) dB. /MUTE low mutes both channels.

Zero crossing (SBOS218 "Zero Crossing Detection"): with ZCEN high a channel's new gain takes
effect only at a positive-slope zero crossing of that channel's input, or when the 16 ms
time-out has elapsed (then with no attempt to avoid artifacts). With ZCEN low it applies at
once. The input is the DAC's output: the model listens to what the board's I2S TX port plays
(World.i2s_listeners), one sample sign per frame and channel. A crossing is a sample >= 0 after
a negative one, so digital silence never crosses and waits for the time-out.
"""

TIMEOUT_US = 16000  # SBOS218, Zero Crossing Detection: "a time-out period of 16ms"


class PGA2311Model:
    # Whether a new word while a change is pending starts the 16 ms again. SBOS218 does not
    # say; the default keeps the first word's deadline (the latest word then applies), which
    # bounds the wait at 16 ms however often the firmware writes. Tests may try the other.
    restart_timeout_on_write = False

    def __init__(self, world, cs, mute=None, zcen=None):
        self.world = world
        self.cs = cs
        self.mute_pin = mute
        self.zcen_pin = zcen
        self._codes = [0, 0]  # in effect: left, right; power-up state is mute (N = 0)
        self.pending = [None, None]  # latched codes waiting for a zero crossing or the time-out
        self.pending_since_us = [0, 0]
        self.negative = [False, False]  # sign of the last input sample heard, per channel
        self.crossings_applied = 0  # changes a zero crossing applied (the rest timed out)
        self.timeouts_applied = 0
        self.shift = []  # bits received in the current /CS window
        self.writes = 0
        self.protocol_errors = []
        world.pin(cs).listeners.append(self._cs_changed)
        world.i2s_listeners.append(self._input_heard)

    def spi_transfer(self, config, data):
        if config["polarity"] != 0 or config["phase"] != 0 or config["firstbit"] != 0:
            self.protocol_errors.append("bus not in SPI mode 0 MSB-first: %r" % (config,))
            return None
        for byte in data:
            for bit in range(7, -1, -1):
                self.shift.append((byte >> bit) & 1)
        return None

    def _cs_changed(self, _pin, old, new):
        if new == 0:
            self.shift = []
            return
        bits = self.shift
        self.shift = []
        if len(bits) < 16:
            if bits:
                self.protocol_errors.append("/CS rose after %d bits, need 16" % len(bits))
            return
        word = 0
        for bit in bits[-16:]:
            word = (word << 1) | bit
        self.writes += 1
        self._latch(0, word & 0xFF)
        self._latch(1, word >> 8)

    def _latch(self, channel, code):
        self._settle()
        if not self.zero_cross_enabled():
            self._codes[channel] = code
            self.pending[channel] = None
            return
        if code == self._codes[channel]:
            self.pending[channel] = None  # back to the gain in effect: nothing left to change
            return
        if self.pending[channel] is None or self.restart_timeout_on_write:
            self.pending_since_us[channel] = self.world.clock.now_us
        self.pending[channel] = code

    def _apply(self, channel):
        self._codes[channel] = self.pending[channel]
        self.pending[channel] = None

    def _settle(self):
        """Apply the changes whose time-out has elapsed (also when ZCEN went low meanwhile)."""
        now = self.world.clock.now_us
        ch = 0
        while ch < 2:
            if self.pending[ch] is not None and (
                not self.zero_cross_enabled() or now - self.pending_since_us[ch] >= TIMEOUT_US
            ):
                self.timeouts_applied += 1
                self._apply(ch)
            ch += 1

    def _input_heard(self, port, data, start, end):
        """Frames the DAC just played (bytes data[start:end]; data None is silence): look for
        positive-going crossings on the channels with a change pending, and keep each channel's
        last sign. May run inside the firmware's audio callback with the heap locked: plain
        loops, nothing allocated."""
        if self.pending[0] is not None or self.pending[1] is not None:
            self._settle()
        width = port.bits // 8
        step = port.frame_bytes
        ch = 0
        while ch < 2:
            # The sign bit is in the last byte of a little-endian sample; mono feeds both.
            sign_at = width - 1 + (ch * width if step > width else 0)
            if data is None:  # silence: zero, so a rise through zero after a negative sample
                if self.pending[ch] is not None and self.negative[ch] and end > start:
                    self.crossings_applied += 1
                    self._apply(ch)
                if end > start:
                    self.negative[ch] = False
            elif self.pending[ch] is not None:
                was_negative = self.negative[ch]
                i = start + sign_at
                while i < end:
                    now_negative = data[i] >= 0x80
                    if was_negative and not now_negative:
                        self.crossings_applied += 1
                        self._apply(ch)
                        break
                    was_negative = now_negative
                    i += step
            last = end - step + sign_at
            if data is not None and last >= start:
                self.negative[ch] = data[last] >= 0x80
            ch += 1

    @property
    def codes(self):
        """The gain codes in effect (left, right)."""
        self._settle()
        return list(self._codes)

    def latched_codes(self):
        """The codes last written (left, right): in effect, or waiting for a zero crossing."""
        return [c if p is None else p for c, p in zip(self.codes, self.pending)]

    def pending_db(self, channel):
        """The gain a zero crossing (or the time-out) will apply next; None when none waits."""
        self._settle()
        code = self.pending[channel]
        if code is None:
            return None
        return _db(code)

    def muted_by_pin(self):
        return self.mute_pin is not None and self.world.pin(self.mute_pin).level() == 0

    def muted(self, channel=0):
        return self.codes[channel] == 0 or self.muted_by_pin()

    def enabled(self, channel=0):
        return True  # no enable input: the board's amp-enable GPIO powers what follows it

    def gain_db(self, channel):
        """Analog gain in effect on channel 0 (left) or 1 (right) in dB; None when muted."""
        code = self.codes[channel]
        if code == 0 or self.muted_by_pin():
            return None
        return _db(code)

    def zero_cross_enabled(self):
        return self.zcen_pin is not None and self.world.pin(self.zcen_pin).level() == 1


def _db(code):
    return None if code == 0 else 31.5 - 0.5 * (255 - code)
