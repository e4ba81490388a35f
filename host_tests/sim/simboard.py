"""SimBoard: one simulated board running the real firmware.

Builds a fresh `World`, attaches the chip models the profile names, boots `uamp.app.App` with the
simulator's clock and lets time pass in 1 ms steps: the I2S port consumes frames at the profile's
sample rate (running the firmware's audio callback), timers fire, and the app ticks.
"""

from array import array

from sim import machine
from sim.chips.pcm5102a import PCM5102AModel
from sim.chips.pcm5122 import PCM5122Model
from sim.chips.pga2311 import PGA2311Model
from sim.chips.ssd1306 import SSD1306Model
from sim.chips.tpa6130a2 import TPA6130A2Model
from sim.flashfs import FlashFS
from sim.ringlog import SERIAL_LOG, RingLog
from uamp import profile as profiles
from uamp.app import TICK_MS, App
from uamp.board import Board


def _repo_root():
    path = __file__.replace("\\", "/")
    for _ in range(3):  # host_tests/sim/simboard.py -> repo root
        path = path[: path.rfind("/")] if "/" in path else "."
    return path or "."


REPO = _repo_root()
# Encoder contact levels (A, B) in clockwise order, starting at rest (both high: pull-ups).
_GRAY = ((1, 1), (0, 1), (0, 0), (1, 0))


def profile_path(name):
    return REPO + "/boards/" + name + ".json"


def _attach_dac(world, profile):
    cfg = profile["dac"]
    i2s_id = profile["i2s"]["id"]  # the DAC hears this port; no board wires an SCK (MCLK)
    if cfg["type"] == "pcm5102a":
        return PCM5102AModel(world, cfg["xsmt"], cfg.get("flt"), cfg.get("demp"), i2s_id)
    if cfg["type"] == "pcm5122":
        chip = PCM5122Model(world, cfg["addr"], i2s_id)
        world.i2c_bus(profile["i2c"]["id"]).attach(cfg["addr"], chip)
        return chip
    return None


def _attach_volume(world, profile):
    cfg = profile["volume"]
    if cfg["type"] == "pga2311":
        chip = PGA2311Model(world, cfg["cs"], cfg.get("mute"), cfg.get("zcen"))
        world.spi_bus(profile["spi"]["id"]).attach(cfg["cs"], chip)
        return chip
    if cfg["type"] == "tpa6130a2":
        # On the boards we support the amp-enable GPIO drives the TPA6130A2's SD pin.
        chip = TPA6130A2Model(world, sd=profile.get("amp_enable"))
        world.i2c_bus(profile["i2c"]["id"]).attach(cfg["addr"], chip)
        return chip
    return None


def _attach_display(world, profile):
    cfg = profile.get("display")
    if not cfg or profile.get("i2c") is None:
        return None
    return SSD1306Model(world, profile["i2c"]["id"], cfg["addr"], cfg["width"], cfg["height"])


def attach_chips(world, profile):
    """The profile's chip models on the world's pins and buses: (dac, volume_ic, display).
    Used by the real-time virtual board (sim/realtime.py), which runs the board's own firmware."""
    return (
        _attach_dac(world, profile),
        _attach_volume(world, profile),
        _attach_display(world, profile),
    )


class SimBoard:
    def __init__(
        self, board_name="pico-pcm5102a-pga2311", board_profile=None, flash=None, held_buttons=()
    ):
        self.world = machine.reset_world()
        self.clock = self.world.clock
        if board_profile is None:
            board_profile = profiles.load(profile_path(board_name))
        self.profile = board_profile
        self.dac = _attach_dac(self.world, board_profile)
        self.volume_ic = _attach_volume(self.world, board_profile)
        self.display = _attach_display(self.world, board_profile)
        for name in held_buttons:  # pressed before power-up (factory-reset request)
            self.button_down(name)
        self.serial_out = RingLog(SERIAL_LOG)  # what the firmware wrote: the newest writes
        # The board's filesystem (settings); pass the old board's flash to simulate a reboot.
        self.flash = FlashFS() if flash is None else flash
        board = Board(board_profile, self.clock)
        board.fs = self.flash
        self.app = App(board_profile, board, self.clock, self._serial)
        self.i2s_id = board_profile["i2s"]["id"]
        self.encoder_phase = 0

    def _serial(self, text):
        self.serial_out.append(text)

    def boot(self):
        self.app.start()
        return self

    @property
    def i2s(self):
        """The output port now open (a sample-rate change reopens it)."""
        return self.world.i2s_ports[self.i2s_id]

    def run_ms(self, ms):
        for _ in range(ms):
            self.clock.advance_us(1000)
            now_ms = self.clock.ticks_ms()
            i2s = self.i2s
            i2s.play(i2s.rate * now_ms // 1000 - i2s.rate * (now_ms - 1) // 1000)
            for timer in list(self.world.timers):
                timer.fire_due(self.clock.now_us)
            if now_ms % TICK_MS == 0:
                self.app.tick()

    def run_until(self, condition, limit_ms=10000):
        """Advance until condition() holds; returns the ms it took. Fails loudly at the limit."""
        for elapsed in range(limit_ms):
            if condition():
                return elapsed
            self.run_ms(1)
        raise AssertionError("condition not reached within %d ms" % limit_ms)

    def pin(self, number):
        return self.world.pin(number)

    def send(self, text):
        """Type text on the serial console; returns what the firmware printed in reply."""
        start = len(self.serial_out)
        self.app.console.feed(text)
        return "".join(self.serial_out[start:])

    def turn(self, detents, ms_per_edge=20):
        """Turn the knob by whole detents (positive = clockwise), one quadrature edge at a time.

        The default pace (80 ms a detent) is a slow turn: exactly 0.5 dB per detent. Pass a
        smaller ms_per_edge for fast turns, which the knob acceleration answers with larger
        steps."""
        enc = self.profile["encoder"]
        a = self.pin(enc["a"])
        b = self.pin(enc["b"])
        step = 1 if detents > 0 else -1
        for _ in range(abs(detents) * enc["steps_per_detent"]):
            self.encoder_phase = (self.encoder_phase + step) % 4
            level_a, level_b = _GRAY[self.encoder_phase]
            a.drive(level_a)
            b.drive(level_b)
            self.run_ms(ms_per_edge)

    # --- front panel: buttons and screen ---
    def _button(self, name):
        for cfg in self.profile.get("buttons") or ():
            if cfg["name"] == name:
                return cfg
        raise ValueError("no button '%s' on %s" % (name, self.profile["name"]))

    def button_down(self, name):
        cfg = self._button(name)
        self.pin(cfg["pin"]).drive(0 if cfg.get("active_low") is not False else 1)

    def button_up(self, name):
        cfg = self._button(name)
        self.pin(cfg["pin"]).drive(1 if cfg.get("active_low") is not False else 0)

    def press(self, name, ms=80, after_ms=400):
        """A short press, then enough time for it to be recognised (double-press window)."""
        self.button_down(name)
        self.run_ms(ms)
        self.button_up(name)
        self.run_ms(after_ms)

    def hold(self, name, ms, after_ms=100):
        self.button_down(name)
        self.run_ms(ms)
        self.button_up(name)
        self.run_ms(after_ms)

    def screen(self):
        """What the display shows now (a sim.chips.ssd1306.Screen), or None without one."""
        return None if self.display is None else self.display.screen()

    def settle_screen(self, ms=200):
        """Let the panel finish drawing and sending the current frame."""
        self.run_ms(ms)
        return self.screen()

    def samples(self, channel=0, start_frame=0, frames=None):
        """Captured output samples of one channel as an array('h') (16-bit ports) or
        array('i') (32-bit ports)."""
        fb = self.i2s.frame_bytes
        code = "h" if fb == 4 else "i"
        total = self.i2s.captured // fb
        end = total if frames is None else min(total, start_frame + frames)
        count = max(0, end - start_frame)
        stereo = array(code, self.i2s.capture[start_frame * fb : end * fb])
        out = array(code, bytearray(fb // 2 * count))
        for i in range(count):
            out[i] = stereo[2 * i + channel]
        return out


def peak(samples):
    return max(abs(s) for s in samples) if samples else 0
