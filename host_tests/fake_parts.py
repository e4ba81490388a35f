"""Small fakes of the volume controller and the audio engine, written from docs/seams.md.

The console and settings are built against those names while the real parts are being written in
parallel; these fakes let the tests prove every command now. They validate like the contract
says (ValueError, nothing changes) and keep their state in plain attributes.
"""

import math

from sim import machine
from sim.flashfs import FlashFS
from sim.simboard import profile_path
from uamp import profile as profiles
from uamp.app import TICK_MS, App
from uamp.board import Board


class FakeVolume:
    def __init__(self, min_db=-95.5, max_db=0.0):
        self.min_db = min_db
        self.board_max_db = max_db
        self.cap_db = max_db
        self.max_db = max_db
        self.target_db = min_db
        self.current_db = min_db
        self.muted = True
        self.balance_db = 0.0
        self.gains = {"low": 0.0, "high": 12.0}
        self.gain_modes = ("low", "high")
        self.gain_mode = "low"
        self.fault = None

    def set_db(self, db):
        if type(db) not in (int, float) or db != db:
            raise ValueError("volume must be a number of dB")
        self.target_db = round(max(self.min_db, min(self.max_db, db)) * 2) / 2
        return self.target_db

    def mute(self, on):
        self.muted = bool(on)

    @property
    def hardware_muted(self):
        return self.muted  # no fade here: muted at once

    def fail(self, error, part="volume chip"):
        self.fault = "%s: %s" % (part, error)
        self.muted = True

    def set_limit(self, db):
        if type(db) not in (int, float) or db != db:
            raise ValueError("limit must be a number of dB")
        if not self.min_db <= db <= self.cap_db:
            raise ValueError("limit must be %.1f..%.1f dB" % (self.min_db, self.cap_db))
        self.max_db = math.floor(db * 2) / 2  # on the grid, rounded down like the real one
        if self.target_db > self.max_db:
            self.target_db = self.max_db

    def set_balance(self, db):
        if not -12 <= db <= 12:
            raise ValueError("balance must be -12..12 dB")
        self.balance_db = float(db)

    @property
    def mode_gain_db(self):
        return self.gains[self.gain_mode]

    def set_gain_mode(self, name):
        """Like the real one: the volume moves the other way, so the output level stays."""
        if name not in self.gain_modes:
            raise ValueError("unknown gain mode")
        self.target_db -= self.gains[name] - self.mode_gain_db
        self.target_db = max(self.min_db, min(self.max_db, self.target_db))
        self.gain_mode = name

    def tick(self):
        self.current_db = self.target_db


class FakePort:
    def __init__(self, rate):
        self.rate = rate
        self.active = True

    def deinit(self):
        self.active = False


class FakeEngine:
    KINDS = ("peak", "lowshelf", "highshelf")

    def __init__(self):
        self.inputs = ("tone", "usb", "spdif")
        self.input_name = "tone"
        self.bands = [["peak", 1000.0, 0.0, 0.7] for _ in range(5)]
        self.eq_enabled = False
        self.eq_presets = ("flat", "harman")
        self.eq_preset = "flat"
        self.bass_db = 0.0
        self.crossfeed = 0
        self.clip_count = 0
        self.underruns = 0
        self.rate = 48000
        self.i2s = FakePort(self.rate)

    def start(self):
        pass

    def set_gain(self, _q15):
        pass

    def set_rate(self, rate, i2s):
        if rate not in (44100, 48000, 96000):
            raise ValueError("rate must be 44100, 48000 or 96000 Hz")
        self.rate = rate
        self.i2s = i2s

    def select_input(self, name):
        if name not in self.inputs:
            raise ValueError("unknown input")
        self.input_name = name

    def set_eq_band(self, index, kind, freq_hz, gain_db, q):
        if type(index) is not int or not 0 <= index < len(self.bands):
            raise ValueError("no band %r" % (index,))
        if kind not in self.KINDS:
            raise ValueError("unknown filter kind '%s'" % kind)
        if not 0 < freq_hz < self.rate / 2 or not -15 <= gain_db <= 15 or not 0 < q <= 10:
            raise ValueError("band out of range")
        self.bands[index] = [kind, float(freq_hz), float(gain_db), float(q)]
        self.eq_preset = None

    def eq_bands(self):
        return [tuple(b) for b in self.bands]

    def set_eq_enabled(self, on):
        self.eq_enabled = bool(on)

    def load_eq_preset(self, name):
        if name not in self.eq_presets:
            raise ValueError("unknown preset")
        gain = 0.0 if name == "flat" else 3.0
        self.bands = [["peak", 1000.0 * (i + 1), gain, 0.7] for i in range(5)]
        self.eq_preset = name

    def set_bass(self, db):
        if not -12 <= db <= 12:
            raise ValueError("bass must be -12..12 dB")
        self.bass_db = float(db)

    def set_crossfeed(self, level):
        if type(level) is not int or not 0 <= level <= 3:
            raise ValueError("crossfeed level must be 0..3")
        self.crossfeed = level

    def peak_levels(self):
        return 0, 0


class FakePartsApp(App):
    """The real App (console, settings, power-up sequence) over the fake parts."""

    def _build_audio(self):
        self.engine = FakeEngine()

    def _build_volume(self):
        limits = self.profile["limits"]
        self.volume = FakeVolume(-95.5, limits["max_db"])
        self.power_on_db = limits["power_on_db"]


class Rig:
    """A FakePartsApp on a fresh simulated world, with its serial output and flash."""

    def __init__(self, flash=None, board_profile=None, name="pico-pcm5102a-pga2311"):
        world = machine.reset_world()
        self.clock = world.clock
        self.profile = board_profile or profiles.load(profile_path(name))
        self.flash = FlashFS() if flash is None else flash
        board = Board(self.profile, self.clock)
        board.fs = self.flash
        self.out = []
        self.app = FakePartsApp(self.profile, board, self.clock, self.out.append)
        self.app.start()

    def run_ms(self, ms):
        for _ in range(ms // TICK_MS):
            self.clock.advance_us(TICK_MS * 1000)
            self.app.tick()

    def boot(self):
        self.run_ms(400)
        return self

    def send(self, text):
        start = len(self.out)
        self.app.console.feed(text)
        return "".join(self.out[start:])
