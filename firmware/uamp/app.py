"""The application: builds drivers from the board profile, sequences power-up, runs the loop.

`App.tick()` is the whole main-loop step (boot sequencing, knob, volume ramp). On a board an
asyncio task calls it every TICK_MS; the simulator calls the same method as its clock advances.
"""

from uamp import state
from uamp.audio import AudioEngine
from uamp.console import Console
from uamp.drivers.pcm5102a import PCM5102A
from uamp.drivers.pga2311 import MAX_DB as PGA2311_MAX_DB
from uamp.drivers.pga2311 import MIN_DB as PGA2311_MIN_DB
from uamp.drivers.pga2311 import PGA2311
from uamp.encoder import Encoder
from uamp.headphones import Chain
from uamp.settings import Settings
from uamp.volume import Volume

TICK_MS = 10
CLOCKS_SETTLE_MS = 200  # I2S clocks running and the DAC locked before the amp is enabled
AMP_SETTLE_MS = 100  # amp output settled before the DAC unmutes
DIGITAL_MIN_DB = -60.0  # lowest level of the digital-only volume (16-bit output)

SETTINGS_POLL_MS = 1000  # how often the app looks for setting changes nobody reported

BOOTING, AMP_ON, RUNNING = 0, 1, 2


class ChipError(Exception):
    """A chip named in the profile has no driver, or did not answer."""


def _make_dac(board, cfg):
    if cfg["type"] == "pcm5102a":
        return PCM5102A(board.output(cfg["xsmt"], 0))
    raise ChipError("no driver yet for DAC '%s'" % cfg["type"])


def _make_volume_ic(board, cfg):
    """Returns (driver or None, min dB, max dB) for the profile's volume section."""
    kind = cfg["type"]
    if kind == "digital":
        return None, DIGITAL_MIN_DB, 0.0
    if kind == "pga2311":
        mute = cfg.get("mute")
        zcen = cfg.get("zcen")
        ic = PGA2311(
            board.spi,
            board.output(cfg["cs"], 1),
            mute=None if mute is None else board.output(mute, 0),
            zcen=None if zcen is None else board.output(zcen, 0),
        )
        return ic, PGA2311_MIN_DB, PGA2311_MAX_DB
    raise ChipError("no driver yet for volume IC '%s'" % kind)


class App:
    def __init__(self, profile, board, clock, write):
        self.profile = profile
        self.board = board
        self.clock = clock
        self.write = write
        self.state = BOOTING
        self.state_since = 0
        # Each part is built by its own method so the parts stay independent; the order matters:
        # everything that can make sound starts off/muted before anything else is touched.
        self._build_outputs()
        self._build_audio()
        self._build_volume()
        self._build_panel()
        self._build_console()

    # --- output stage: amp enable, DAC, volume IC (chip layer) ---
    def _build_outputs(self):
        amp_pin = self.profile.get("amp_enable")
        self.amp_enable = None if amp_pin is None else self.board.output(amp_pin, 0)
        self.dac = _make_dac(self.board, self.profile["dac"])
        self.analog, self.analog_min_db, self.analog_max_db = _make_volume_ic(
            self.board, self.profile["volume"]
        )

    # --- audio engine and DSP ---
    def _build_audio(self):
        self.engine = AudioEngine(self.board.i2s_out(), self.profile["i2s"]["rate"])

    # --- volume controller ---
    def _build_volume(self):
        limits = self.profile["limits"]
        max_db = min(self.analog_max_db, limits["max_db"])
        self.volume = Volume(self.analog, self.engine, self.analog_min_db, max_db)
        self.power_on_db = limits["power_on_db"]

    # --- front panel: encoder, buttons, display ---
    def _build_panel(self):
        self.encoder = None
        enc = self.profile.get("encoder")
        if enc:
            board = self.board
            self.encoder = Encoder(
                board.input(enc["a"]),
                board.input(enc["b"]),
                enc["steps_per_detent"],
                enc.get("invert", False),
            )
            board.on_edges(self.encoder.pin_a, self.encoder.isr)
            board.on_edges(self.encoder.pin_b, self.encoder.isr)

    # --- serial console, settings, headphone profile ---
    def _build_console(self):
        """Load the settings and restore them, never loud: the volume comes back at most at the
        board's power-on level (and under the headphone's max SPL), muted if it was muted."""
        self.board_power_on_db = self.power_on_db
        self.board_max_db = self.volume.max_db
        output = self.profile.get("output")
        self.chain = None if output is None else Chain(output)
        self.headphone = None
        self.user_limit_db = None
        self.restore_muted = False
        self.uptime_ms = 0
        self._last_ms = self.clock.ticks_ms()
        self._poll_ms = 0
        self.console = Console(self, self.write)
        self.settings = Settings(
            getattr(self.board, "fs", None), self.clock, report=self.console.reply
        )
        problems = self.settings.load()
        state.apply(self, self.settings.values, problems)
        self.settings.capture = self._capture_settings
        for line in problems:
            self.console.reply(line)

    def _capture_settings(self):
        return state.capture(self, self.settings.values)

    def spl_db(self):
        """SPL (dB) a 0 dBFS signal reaches at the current volume; None without a profile."""
        return state.spl_db(self)

    def uptime_s(self):
        return self.uptime_ms // 1000

    def start(self):
        self.engine.start()
        self.state_since = self.clock.ticks_ms()

    def _elapsed_ms(self):
        return self.clock.ticks_diff(self.clock.ticks_ms(), self.state_since)

    def _enter(self, state):
        self.state = state
        self.state_since = self.clock.ticks_ms()

    def tick(self):
        """One main-loop step: power sequencing, then the panel, then the volume ramp."""
        if self.state != RUNNING:
            self._tick_power_up()
        else:
            self._tick_panel()
        self._tick_console()
        self.volume.tick()

    def _tick_power_up(self):
        if self.state == BOOTING:
            if self._elapsed_ms() >= CLOCKS_SETTLE_MS:
                if self.amp_enable is not None:
                    self.amp_enable(1)
                self._enter(AMP_ON)
        elif self.state == AMP_ON:
            if self._elapsed_ms() >= AMP_SETTLE_MS:
                self.dac.mute(False)
                self.volume.mute(False)
                self.volume.set_db(self.power_on_db)
                self._enter(RUNNING)

    def _tick_panel(self):
        if self.encoder is not None:
            detents = self.encoder.take_detents()
            if detents:
                self.volume.set_db(self.volume.target_db + detents * 0.5)

    def _tick_console(self):
        now = self.clock.ticks_ms()
        elapsed = self.clock.ticks_diff(now, self._last_ms)
        self._last_ms = now
        self.uptime_ms += elapsed
        if self.state != RUNNING:
            return
        if self.restore_muted:
            self.restore_muted = False
            self.volume.mute(True)  # same tick as the power-up unmute: nothing was heard
        # Parts that change settings call settings.changed(); the once-a-second look also
        # catches a part that does not (yet), so nothing the user set is lost.
        self._poll_ms += elapsed
        if self._poll_ms >= SETTINGS_POLL_MS:
            self._poll_ms = 0
            if not self.settings.dirty and self._capture_settings() != self.settings.values:
                self.settings.changed()
        self.settings.tick()

    async def run(self):
        """Board main loop: the tick task and the console reader, side by side."""
        import asyncio
        import sys

        self.start()
        asyncio.create_task(self._console_task(asyncio, sys.stdin))
        while True:
            self.tick()
            await asyncio.sleep_ms(TICK_MS)

    async def _console_task(self, asyncio, stream):
        reader = asyncio.StreamReader(stream)
        while True:
            data = await reader.read(1)  # Ctrl-C never gets here: it raises KeyboardInterrupt
            if data:
                self.console.feed(data.decode() if isinstance(data, bytes) else data)
