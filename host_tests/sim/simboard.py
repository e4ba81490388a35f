"""SimBoard: one simulated board running the real firmware.

Builds a fresh `World`, attaches the chip models the profile names, boots `uamp.app.App` with the
simulator's clock and lets time pass in 1 ms steps: the I2S port consumes frames at the profile's
sample rate (running the firmware's audio callback), timers fire, and the app ticks.
"""

from array import array

from sim import machine
from sim.chips.pcm5102a import PCM5102AModel
from sim.chips.pga2311 import PGA2311Model
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


def _attach_dac(world, cfg):
    if cfg["type"] == "pcm5102a":
        return PCM5102AModel(world, cfg["xsmt"])
    return None


def _attach_volume(world, cfg):
    if cfg["type"] == "pga2311":
        chip = PGA2311Model(world, cfg["cs"], cfg.get("mute"), cfg.get("zcen"))
        return chip
    return None


def attach_chips(world, board_profile):
    """Put the profile's chip models on the world's pins and buses; returns (dac, volume_ic).
    Shared by SimBoard and the real-time virtual board (sim/realtime.py)."""
    dac = _attach_dac(world, board_profile["dac"])
    volume_ic = _attach_volume(world, board_profile["volume"])
    if volume_ic is not None and board_profile["volume"].get("bus") == "spi":
        world.spi_bus(board_profile["spi"]["id"]).attach(board_profile["volume"]["cs"], volume_ic)
    return dac, volume_ic


class SimBoard:
    def __init__(self, board_name="pico-pcm5102a-pga2311", board_profile=None):
        self.world = machine.reset_world()
        self.clock = self.world.clock
        if board_profile is None:
            board_profile = profiles.load(profile_path(board_name))
        self.profile = board_profile
        self.dac, self.volume_ic = attach_chips(self.world, board_profile)
        self.serial_out = []
        self.app = App(board_profile, Board(board_profile, self.clock), self.clock, self._serial)
        self.i2s = self.world.i2s_ports[board_profile["i2s"]["id"]]
        self.frames_due = 0
        self.encoder_phase = 0

    def _serial(self, text):
        self.serial_out.append(text)

    def boot(self):
        self.app.start()
        return self

    def run_ms(self, ms):
        rate = self.i2s.rate
        for _ in range(ms):
            self.clock.advance_us(1000)
            now_ms = self.clock.ticks_ms()
            due = rate * now_ms // 1000
            self.i2s.play(due - self.frames_due)
            self.frames_due = due
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

    def turn(self, detents, ms_per_edge=2):
        """Turn the knob by whole detents (positive = clockwise), one quadrature edge at a time."""
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

    def samples(self, channel=0, start_frame=0, frames=None):
        """Captured output samples of one channel (16-bit ports) as an array('h')."""
        total = self.i2s.captured // self.i2s.frame_bytes
        end = total if frames is None else min(total, start_frame + frames)
        count = max(0, end - start_frame)
        stereo = array("h", self.i2s.capture[start_frame * 4 : end * 4])
        out = array("h", bytearray(2 * count))
        for i in range(count):
            out[i] = stereo[2 * i + channel]
        return out


def peak(samples):
    return max(abs(s) for s in samples) if samples else 0
