"""The application: builds drivers from the board profile, sequences power-up, runs the loop.

`App.tick()` is the whole main-loop step (boot sequencing, knob, volume ramp). On a board an
asyncio task calls it every TICK_MS; the simulator calls the same method as its clock advances.
"""

from uamp import state
from uamp.audio import RATES, AudioEngine
from uamp.console import Console
from uamp.headphones import Chain
from uamp.settings import Settings
from uamp.ui.panel import Panel
from uamp.volume import Volume

TICK_MS = 10
CLOCKS_SETTLE_MS = 200  # I2S clocks running and the DAC locked before the amp is enabled
AMP_SETTLE_MS = 100  # amp output settled before the DAC unmutes

BOOTING, AMP_ON, RUNNING, CHANGING, OFF = 0, 1, 2, 3, 4
POWER_RETRY_MS = 1000  # a chip fault during power-up: try the sequence again this much later
POWER_RETRIES = 3  # ... this many times (then 'mute off' or 'standby off' retries)
SETTINGS_POLL_MS = 1000  # how often the app looks for setting changes nobody reported


class ChipError(Exception):
    """A chip named in the profile has no driver, or did not answer."""


def _nothing():
    pass


def _optional_output(board, cfg, key):
    pin = cfg.get(key)
    return None if pin is None else board.output(pin, 0)


# Each driver is imported only for the chips the profile names: on the RP2040 every module
# loaded costs heap, and a board has one DAC and one volume IC (bench-rp2 --heap).
def _make_dac(board, cfg):
    kind = cfg["type"]
    if kind == "pcm5102a":
        from uamp.drivers.pcm5102a import PCM5102A

        return PCM5102A(
            board.output(cfg["xsmt"], 0),
            flt=_optional_output(board, cfg, "flt"),
            demp=_optional_output(board, cfg, "demp"),
        )
    if kind == "pcm5122":
        from uamp.drivers.pcm5122 import PCM5122

        return PCM5122(board.i2c, cfg["addr"], bits=board.profile["i2s"]["bits"])
    raise ChipError("no driver yet for DAC '%s'" % kind)


def _make_volume_ic(board, cfg):
    """The volume driver for the profile's volume section (DigitalVolume when there is no IC)."""
    kind = cfg["type"]
    if kind == "digital":
        from uamp.drivers.digital import DigitalVolume

        return DigitalVolume()
    if kind == "pga2311":
        from uamp.drivers.pga2311 import PGA2311

        return PGA2311(
            board.spi,
            board.output(cfg["cs"], 1),
            mute=_optional_output(board, cfg, "mute"),
            zcen=_optional_output(board, cfg, "zcen"),
        )
    if kind == "tpa6130a2":
        from uamp.drivers.tpa6130a2 import TPA6130A2

        return TPA6130A2(board.i2c, cfg["addr"])
    raise ChipError("no driver yet for volume IC '%s'" % kind)


def _gain_modes(profile, board):
    """(modes, relay pin) from the profile's optional gain section."""
    gain = profile.get("gain")
    if gain is None:
        return (("normal", 0.0),), None
    modes = (("low", 0.0), ("high", float(gain["high_db"])))
    return modes, _optional_output(board, gain, "relay")


class App:
    def __init__(self, profile, board, clock, write):
        self.profile = profile
        self.board = board
        self.clock = clock
        self.write = write
        self.state = BOOTING
        self.state_since = 0
        self.saved_db = None  # the settings part sets the saved level before start()
        self.change_action = None  # what runs once the output is quiet (CHANGING)
        self.resume_unmuted = False
        self.off_after_change = False
        self.retries = POWER_RETRIES  # power-up retries left after a chip fault
        self.fault_at = 0  # ticks_ms of the last chip fault
        # Each part is built by its own method so the parts stay independent; the order matters:
        # everything that can make sound starts off/muted before anything else is touched.
        self._build_outputs()
        self._build_audio()
        self._build_volume()
        self._build_panel()
        self._build_console()

    # --- output stage: amp enable, DAC, volume IC (chip layer) ---
    def _build_outputs(self):
        # Amp enable first and low: whatever the chips do while being set up stays inaudible.
        amp_pin = self.profile.get("amp_enable")
        self.amp_enable = None if amp_pin is None else self.board.output(amp_pin, 0)
        self._amp_on_ms = None  # when power-up raised the amp enable (None: it is low)
        self.dac = self._make_chip("dac", _make_dac, "dac")
        self.analog = self._make_chip("volume IC", _make_volume_ic, "volume")

    def _make_chip(self, part, make, key):
        cfg = self.profile[key]
        try:
            return make(self.board, cfg)
        except OSError as e:
            raise ChipError("%s %s does not answer (%s)" % (part, cfg["type"], e))

    # --- audio engine and DSP ---
    def _build_audio(self):
        i2s = self.profile["i2s"]
        self.engine = AudioEngine(
            self.board.i2s_out(),
            i2s["rate"],
            bits=i2s["bits"],
            clock=self.clock,
            rx=self.board.i2s_in(),
            ring_bytes=i2s["ibuf"],
        )

    # --- volume controller ---
    def _build_volume(self):
        limits = self.profile["limits"]
        modes, relay = _gain_modes(self.profile, self.board)
        self.volume = Volume(self.analog, self.engine, limits["max_db"], modes, relay)
        self.volume.on_fault = self._on_chip_fault
        self.volume.on_recover = self._on_chip_recover
        self.volume.power_up = self._restart_power_up
        self.power_on_db = limits["power_on_db"]

    # --- front panel: encoder, buttons, display ---
    def _build_panel(self):
        self.panel = Panel(self, self.board, self.profile, self.clock)
        self.encoder = self.panel.encoder

    # --- serial console, settings, headphone profile ---
    def _build_console(self):
        """Load the settings and restore them, never loud: the volume comes back at most at the
        board's power-on level (and under the headphone's max SPL), muted if it was muted."""
        self.board_max_db = self.volume.cap_db  # the board's cap; limits sit below it
        output = self.profile.get("output")
        self.chain = None if output is None else Chain(output)
        self._mode_gain = state.mode_gain_db(self)
        self.headphone = None
        self.user_limit_db = None
        self.restore_muted = False
        self.restored = False  # power-up has applied the saved state: only now is it saved
        self.floor_hold = None  # why the amp is held muted: a cap below the volume's floor
        self.floor_resume = False  # unmute once that cap is reachable again
        # The headphone cap for a gain mode, asked in the step that switches to it (seams.md).
        self.volume.limit_for_mode = lambda gain_db, switching: state.limit_for_mode(
            self, gain_db, switching
        )
        self._cap_limit = None  # the user limit and headphone the cap below was computed for
        self._cap_hp = False  # (not a headphone: the first restored tick takes the cap)
        self._cap_db = None  # the cap in force when they last changed
        self.uptime_ms = 0
        self._faults_told = 0  # audio callback faults said on the console so far
        self._last_ms = self.clock.ticks_ms()
        self._poll_ms = 0
        self.console = Console(self, self.write)
        self.settings = Settings(
            getattr(self.board, "fs", None), self.clock, report=self.console.reply
        )
        problems = self.settings.load()
        state.apply(self, self.settings.values, problems)
        rate = self.settings.values["rate"]
        self._boot_rate = None if rate == getattr(self.engine, "rate", rate) else rate
        self.settings.capture = self._capture_settings
        self.settings.on_reset = self._factory_reset
        for line in problems + self.console.commands.hp_warnings():
            self.console.reply(line)

    def _restore_rate(self):
        """The saved sample rate, on the first tick: everything is still muted and the amp off
        (before the first unmute), so no fade is needed; the DAC changes in standby."""
        rate = self._boot_rate
        self._boot_rate = None
        if rate not in RATES or "wav" in self.engine.inputs or "i2s" in self.engine.inputs:
            self.console.reply("settings: rate %s Hz not restored (an input sets its own)" % rate)
            return
        if self._chip_call(self.dac.standby, True):
            for line in self._fit_eq(rate):
                self.console.reply(line)
            try:
                self._change_rate(rate)
            except ValueError as e:  # any settings must boot: at the profile's rate then
                self.console.reply("settings: rate %d Hz not restored (%s)" % (rate, e))
            except OSError as e:
                self.volume.fail(e, "change")
            self._chip_call(self.dac.standby, False)

    def _fit_eq(self, rate):
        """Saved EQ bands (each valid at the rate they were set at) that do not fit `rate`
        (above its Nyquist) go back to flat, so the saved rate can come back; returns the
        lines saying so."""
        from uamp.dsp.eq import FLAT

        lines = []
        for index, kind, freq, problem in self._eq_misfits(rate):
            self.engine.set_eq_band(index, *FLAT)
            lines.append(
                "settings: EQ band %d (%s %g Hz) reset to flat: %s at %d Hz"
                % (index + 1, kind, freq, problem, rate)
            )
        return lines

    def _eq_misfits(self, rate):
        """(index, kind, freq, why) of each EQ band the engine could not play at `rate`."""
        from uamp.dsp.eq import EqSettings

        bands = getattr(self.engine, "eq_bands", None)
        out = []
        for index, band in enumerate([] if bands is None else bands()):
            try:
                EqSettings.check_band(band[0], band[1], band[2], band[3], rate)
            except ValueError as e:
                out.append((index, band[0], band[1], str(e)))
        return out

    def _capture_settings(self):
        return state.capture(self, self.settings.values)

    def _factory_reset(self):
        for line in state.reset(self):
            self.console.reply(line)

    def headphone_names(self):
        return sorted(self.settings.values["headphones"])

    def set_headphone(self, name):
        """Select a stored headphone profile (None: none); ValueError for an unknown name."""
        state.select_headphone(self, name)

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
        if getattr(self.engine, "interrupted", False):
            raise KeyboardInterrupt  # Ctrl-C that landed in the audio callback: stop (serve)
        if self.state != RUNNING:
            self._tick_power_up()
        self._tick_panel()
        self._tick_console()
        if self.state != OFF and self.state != BOOTING:
            # Off, or before the amp is on, the output stays muted and a volume chip powered
            # from the amp enable (TPA6130A2) does not answer: a write (after a fault, the
            # driver resends what it lost) would only fail the next power-up.
            self.volume.tick()

    def _tick_power_up(self):
        """Boot: clocks settle with everything muted and the amp off; then the amp comes on;
        then the DAC unmutes and the volume fades in and ramps to the power-on level.
        CHANGING: waits for the fade-out, runs the change, fades back in.
        After a chip fault nothing moves until the fault is cleared (volume.mute(False)), but a
        power-up that met one starts over by itself, a few times (a short glitch on the bus)."""
        if self.volume.fault is not None and self.state != CHANGING:
            if (
                self.state in (BOOTING, AMP_ON)
                and self.retries > 0
                and self.clock.ticks_diff(self.clock.ticks_ms(), self.fault_at) >= POWER_RETRY_MS
            ):
                self.retries -= 1
                self.volume.fault = None  # still muted: the sequence below unmutes at its end
                self._restart_power_up()
            return
        if self.state == BOOTING:
            if self._elapsed_ms() >= CLOCKS_SETTLE_MS and self._amp_started():
                if self._chip_call(self.analog.enable, True, "volume chip"):
                    self._enter(AMP_ON)
        elif self.state == AMP_ON:
            if self._elapsed_ms() >= AMP_SETTLE_MS and self._chip_call(self.dac.mute, False):
                self._set_power_on_level()
                self.volume.mute(False)
                self.retries = POWER_RETRIES
                self._enter(RUNNING)
        elif self.state == CHANGING:
            if self.volume.hardware_muted:  # a fault mutes at once: it lands here too
                self._finish_change()

    def _finish_change(self):
        """The output is silent: DAC muted and in standby, the change, then back. Whatever
        fails (a chip, the change itself) leaves the app usable: RUNNING and muted with the
        fault reported ('mute off' retries), or OFF for a shutdown (its amp goes off anyway)."""
        action = self.change_action
        off = self.off_after_change
        self.change_action = None
        self.off_after_change = False
        ok = (
            self.volume.fault is None
            and self._chip_call(self.dac.mute, True)
            and self._chip_call(self.dac.standby, True)
        )
        if ok:
            try:
                if action is not None:
                    action()
            except (OSError, ValueError) as e:  # whatever went wrong, it stays muted
                self.volume.fail(e, "change")
                ok = False
        if off:
            if not ok:
                self._amp_off()
            self._enter(OFF)  # shut down: stays muted, amp off, DAC in standby
            return
        if ok and self._chip_call(self.dac.standby, False):
            if self._chip_call(self.dac.mute, False):
                self.volume.mute(not self.resume_unmuted)
        self._enter(RUNNING)

    def _amp_started(self):
        """Raise the amp enable (once per power-up); True once the volume chip's start-up
        time since then has passed (`startup_ms`: the TPA6130A2 answers on I2C only 5 ms
        after its SD pin rises, SLOS488B), so its first register write is acknowledged."""
        now = self.clock.ticks_ms()
        if self._amp_on_ms is None:
            if self.amp_enable is not None:
                self.amp_enable(1)
            self._amp_on_ms = now
        startup = getattr(self.analog, "startup_ms", 0)
        return self.clock.ticks_diff(now, self._amp_on_ms) >= startup

    def _set_power_on_level(self):
        """The smaller of the saved level and the power-on cap (a bad saved value is ignored)."""
        level = self.power_on_db
        saved = self.saved_db
        if type(saved) in (int, float) and saved < level:
            level = saved
        self.volume.set_db(level)

    def quiet_change(self, action):
        """Run `action` (a sample-rate or clock change) with the output silent: fade out and
        mute, DAC muted and in standby, then the change, then unmute and fade back in."""
        if self.state != RUNNING:
            raise ValueError("not running (still powering up, changing or off)")
        if self.volume.fault is not None:
            raise ValueError("muted by a fault (%s): 'mute off' retries" % self.volume.fault)
        self.resume_unmuted = not self.volume.muted
        self.change_action = action
        self.volume.mute(True)
        self._enter(CHANGING)

    def set_sample_rate(self, rate):
        """Change the sample rate quietly (see quiet_change): the I2S port is closed and opened
        again at `rate`, the engine and the DAC follow. ValueError for a rate the engine cannot
        play, or when not running; nothing changes then."""
        if rate not in RATES:
            raise ValueError("rate must be one of %s Hz" % ", ".join(str(r) for r in RATES))
        if "wav" in self.engine.inputs or "i2s" in self.engine.inputs:
            raise ValueError("a WAV or I2S input plays at its own rate")  # as engine.set_rate
        misfits = self._eq_misfits(rate)
        if misfits:  # refused up front: the change itself would fail with the output faded
            index, kind, freq, problem = misfits[0]
            raise ValueError("EQ band %d (%s %g Hz): %s" % (index + 1, kind, freq, problem))
        self.quiet_change(lambda: self._change_rate(rate))

    def _change_rate(self, rate):
        """Port, engine and DAC to `rate`. When the engine refuses, the port opens again at the
        old rate, so the engine and the port never disagree."""
        engine = self.engine
        old = engine.rate
        engine.i2s.deinit()
        port = self.board.i2s_out(rate)
        try:
            engine.set_rate(rate, port)
        except ValueError:
            port.deinit()
            engine.set_rate(old, self.board.i2s_out(old))
            raise
        set_dac_rate = getattr(self.dac, "set_rate", None)
        if set_dac_rate is not None:
            set_dac_rate(rate)

    def shutdown(self):
        """Fade out, mute the DAC, then turn the amp off. `wake()` powers up again. After a
        fault (the output is already silent, maybe mid power-up) the amp goes off at once."""
        if self.volume.fault is not None and self.state in (RUNNING, BOOTING, AMP_ON):
            self.resume_unmuted = False  # the fault muted it: it wakes muted
            self._amp_off()
            try:
                self.dac.standby(True)
            except OSError:
                pass
            self._enter(OFF)
            return
        self.quiet_change(self._power_off)
        self.off_after_change = True

    def in_standby(self):
        """Shut down (amp off, DAC in standby) until wake()."""
        return self.state == OFF

    def wake(self):
        """From OFF: the power-up sequence again, back to the level before shutdown (capped),
        muted again if the user had muted it (whoever shut it down: panel or console)."""
        if self.state != OFF:
            raise ValueError("not off")
        self.saved_db = self.volume.target_db
        self.restore_muted = not self.resume_unmuted
        self.volume.fault = None  # a wake is a retry: the power-up sequence enables every chip
        self.retries = POWER_RETRIES
        if self._chip_call(self.dac.standby, False):
            self._enter(BOOTING)

    def _restart_power_up(self):
        """`mute off` after a fault met during power-up: the sequence starts over with the amp
        off (re-enabling a chip out of order would fail: its amp supply is still off). Returns
        True when it did (the volume controller then leaves the chips alone)."""
        if self.state not in (BOOTING, AMP_ON):
            return False
        if self.amp_enable is not None:
            self.amp_enable(0)
        self._amp_on_ms = None
        self._enter(BOOTING)
        return True

    def _power_off(self):
        try:
            self.analog.enable(False)  # outputs off over the bus while the chip still answers
        finally:
            if self.amp_enable is not None:
                self.amp_enable(0)  # whatever the bus did
            self._amp_on_ms = None

    def _amp_off(self):
        try:
            self._power_off()
        except OSError:
            pass

    def _chip_call(self, method, arg, part="dac"):
        """Call a driver (or a change action) with one argument; a bus fault mutes and reports."""
        try:
            method(arg)
            return True
        except OSError as e:
            self.volume.fail(e, part)
            return False

    def _on_chip_fault(self, description):
        """A driver fault: the volume controller already silenced the trim and muted the IC;
        mute the DAC too (best effort) and say so on the console."""
        self.fault_at = self.clock.ticks_ms()
        try:
            self.dac.mute(True)
        except OSError:
            pass
        self.write("fault: %s\r\n" % description)

    def _on_chip_recover(self):
        """Unmuting after a fault: the DAC plays again if power-up had got that far. A change
        that failed may have left it in standby, or not told it the rate: both are sent again."""
        if self.state == RUNNING:
            set_dac_rate = getattr(self.dac, "set_rate", None)
            if set_dac_rate is not None:
                set_dac_rate(self.engine.rate)
            self.dac.standby(False)
            self.dac.mute(False)

    def _tick_panel(self):
        # The panel runs while the amp plays, and while it is off, so a button can wake it. It
        # runs in the tick that finishes a power-up too: a mute it restores lands before the
        # volume ramp starts, so nothing is heard.
        if self.state == RUNNING or self.state == OFF:
            self.panel.tick()

    def _tick_console(self):
        now = self.clock.ticks_ms()
        elapsed = self.clock.ticks_diff(now, self._last_ms)
        self._last_ms = now
        self.uptime_ms += elapsed
        faults = getattr(self.engine, "faults", 0)
        if faults != self._faults_told:
            self._faults_told = faults
            self.console.reply(
                "audio: the callback failed (%s, %d so far): that buffer played silence, it runs"
                " on without the heap lock" % (self.engine.fault, faults)
            )
        if self._boot_rate is not None and self.state == BOOTING:
            self._restore_rate()
        if self.state != RUNNING:
            return
        if self.restore_muted:
            self.restore_muted = False
            self.volume.mute(True)  # same tick as the power-up unmute: nothing was heard
        self.restored = True
        if self.user_limit_db != self._cap_limit or self.headphone is not self._cap_hp:
            self._cap_changed()
        state.hold_muted(self)  # a cap below the volume's floor keeps it muted
        gain = state.mode_gain_db(self)
        if gain != self._mode_gain:
            # A gain mode took effect (whoever asked): the headphone's SPL cap, a volume before
            # the mode's gain, moves by the difference. The controller already asked for it
            # (limit_for_mode) in the switching step; this is for one that does not.
            self._mode_gain = gain
            state.apply_limit(self)
        # Parts that change settings call settings.changed(); the once-a-second look also
        # catches a part that does not (yet), so nothing the user set is lost.
        self._poll_ms += elapsed
        if self._poll_ms >= SETTINGS_POLL_MS:
            self._poll_ms = 0
            if not self.settings.dirty and self._capture_settings() != self.settings.values:
                self.settings.changed()
        self.settings.tick()

    def _cap_changed(self):
        """A new user limit or headphone (console, panel, reset): a cap that went down is
        written at once, not after the save's debounce: a power cut in that window would
        boot with the old, higher cap."""
        cap = state.effective_limit(self)
        lower = self._cap_db is not None and cap < self._cap_db
        self._cap_limit = self.user_limit_db
        self._cap_hp = self.headphone
        self._cap_db = cap
        if lower:
            self.settings.save()

    def serve(self, run):
        """The board's main: `run()` runs the loop until Ctrl-C (KeyboardInterrupt), which stops
        the amp (see stop) and says so in one line; the REPL takes over then. Returns True when
        stopped by Ctrl-C; any other exception stops the amp too and goes on up."""
        try:
            run()
        except KeyboardInterrupt:
            self.stop()
            self.write("\r\nuamp stopped (Ctrl-C); Ctrl-D restarts\r\n")  # off the prompt line
            return True
        except BaseException:
            self.stop()
            raise
        return False

    def stop(self):
        """The firmware stops (Ctrl-C): first the user's settings are written (their level and
        mute, never the power-up ramp's or the fade's), then the output goes quiet at once, in
        hardware (no more ticks will run a fade): trims to zero, volume IC and DAC muted, amp off.
        Each step is best effort: a chip that does not answer does not stop the others."""
        if self.restored:
            self.settings.save()
        for step in (
            lambda: self.engine.set_trim(0, 0),
            getattr(self.engine, "stop", _nothing),  # no more refills: the REPL gets the core
            lambda: self.analog.mute(True),
            lambda: self.dac.mute(True),
        ):
            try:
                step()
            except OSError:
                pass
        if self.amp_enable is not None:
            self.amp_enable(0)
        self.volume.hardware_muted = True  # what the chips now are; the user's mute is kept

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
        # Bytes, not text: a byte that is not UTF-8 (line noise, a baud mismatch) would raise
        # UnicodeError out of a text read and end this task. Each byte becomes one character;
        # one that is not printable ASCII makes its line an error (uamp/console.py).
        reader = asyncio.StreamReader(getattr(stream, "buffer", stream))
        while True:
            try:
                data = await reader.read(1)
            except ValueError:  # UnicodeError (a ValueError) from a stream that decodes
                data = "\ufffd"
                await asyncio.sleep_ms(0)
            if data:
                if not isinstance(data, str):
                    data = "".join(chr(b) for b in data)
                self.console_input(data)

    def console_input(self, text):
        """Serial input for the console. A board's runtime turns Ctrl-C into KeyboardInterrupt
        before stdin sees it; where one still arrives as a character (stdin on a pipe, the
        virtual board under load) it stops the firmware the same way."""
        if "\x03" in text:
            raise KeyboardInterrupt
        self.console.feed(text)
