"""The application: builds drivers from the board profile, sequences power-up, runs the loop.

`App.tick()` is the whole main-loop step (boot sequencing, knob, volume ramp). On a board an
asyncio task calls it every TICK_MS; the simulator calls the same method as its clock advances.
"""

from uamp.audio import AudioEngine
from uamp.console import Console
from uamp.drivers.pcm5102a import PCM5102A
from uamp.drivers.pga2311 import MAX_DB as PGA2311_MAX_DB
from uamp.drivers.pga2311 import MIN_DB as PGA2311_MIN_DB
from uamp.drivers.pga2311 import PGA2311
from uamp.ui.panel import Panel
from uamp.volume import Volume

TICK_MS = 10
CLOCKS_SETTLE_MS = 200  # I2S clocks running and the DAC locked before the amp is enabled
AMP_SETTLE_MS = 100  # amp output settled before the DAC unmutes
DIGITAL_MIN_DB = -60.0  # lowest level of the digital-only volume (16-bit output)

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
        self.panel = Panel(self, self.board, self.profile, self.clock)
        self.encoder = self.panel.encoder

    # --- serial console (and, later, settings) ---
    def _build_console(self):
        self.console = Console(self, self.write)

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
        self.panel.tick()

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
            data = await reader.read(1)
            if data:
                self.console.feed(data.decode() if isinstance(data, bytes) else data)
