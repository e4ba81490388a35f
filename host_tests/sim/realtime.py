"""The virtual board's MCU: runs a board filesystem in real time under the MicroPython unix port.

    micropython host_tests/sim/realtime.py board=NAME fs=DIR [raw=1] [reboot=1] [t0=MS]
        [stimulus=FILE] [wav=FILE] [status=FD] [control=FD] [panel=1]

This process is what the chip would be: the simulated `machine` (sim/machine.py) with the chip
models of the board profile, a filesystem (the folder DIR mounted as `/`, persisting like flash)
and a REPL on stdin/stdout that speaks the protocol of a real MicroPython board: the friendly
REPL, Ctrl-A raw REPL and raw-paste mode, Ctrl-E paste mode, Ctrl-D soft reboot. It runs
`boot.py` then `main.py` (the latter in the friendly REPL only, as a board does).

A soft reboot ends this process with EXIT_SOFT_REBOOT (+1 when in the raw REPL): the supervisor
(tools/vboard.py) starts a fresh interpreter, so nothing leaks across a reboot, as on a board.
It owns the pseudo-terminal, turns "\n" into "\r\n" like a board's USB serial, and turns Ctrl-C
into SIGINT (KeyboardInterrupt here) while code runs: `status` tells it when that is.

Time: the hardware (I2S DMA, timers, encoder edges, stimulus events) advances with the wall
clock in 1 ms steps whenever the firmware yields to asyncio or the REPL waits for input.
"""

import json
import select
import struct
import sys
import time
from array import array

# (struct and array above: imported once here, before the flash is mounted. A built-in module
# imported inside a function is looked up on the filesystem first at every call (MicroPython
# lets a file extend a built-in), six stat calls through the Python Flash class below: about
# 0.1 ms each time, paid every millisecond of hardware in Audio.take.)

EXIT_SOFT_REBOOT = 10
BANNER_BOARD = "uamp virtual board"
SLOW_EDGE_MS = 20  # a deliberate turn (80 ms a detent on a 4-step knob): no acceleration
MAX_CATCH_UP_MS = 200  # after a long blocking call, skip time rather than replay it all
PANEL_EVERY_MS = 50
WAV_EVERY_MS = 100
SCREEN_EVERY_MS = 100  # OLED frames: fewer than meter updates
ALIVE_EVERY_MS = 500  # "alive" status lines: the supervisor says when they stop
# The hardware model may take at most this share of the MCU process's time (per 100 ms window):
# on a loaded host one millisecond of modelled hardware can cost more than a millisecond, and
# without a cap the model's catching up took every cycle, so main.py, the REPL and a settings
# save never ran again (the raw REPL never came, settings.json.tmp stayed on the flash). Past
# the cap the hardware falls behind instead (MCU late, shown on the panel); time is skipped.
HW_SHARE_PCT = 60
HW_WINDOW_US = 100_000

CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E = "\x01", "\x02", "\x03", "\x04", "\x05"
RAW_PASTE_WINDOW = 256  # bytes the host may send before waiting for our \x01


def _dirname(path):
    return path[: path.rfind("/")] if "/" in path else "."


HERE = _dirname(_dirname(__file__))  # host_tests
REPO = _dirname(HERE) if HERE != "." else ".."


def parse_args(argv):
    args = {}
    for item in argv:
        if "=" not in item:
            raise SystemExit("realtime.py: expected key=value, got %r" % item)
        key, value = item.split("=", 1)
        args[key] = value
    return args


# --- stimulus: a script of timed events, shared with the supervisor ------------------------------


def unescape(text):
    return text.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t")


def _strip_comment(line):
    for sep in (" #", "\t#"):
        at = line.find(sep)
        if at >= 0:
            line = line[:at]
    return line.strip()


def _is_int(text):
    try:
        int(text)
        return True
    except ValueError:
        return False


# Each event: its usage, and a check of its argument words.
EVENTS = {
    "turn": ("turn DETENTS [MS_PER_EDGE]", lambda a: 1 <= len(a) <= 2 and all(map(_is_int, a))),
    "press": ("press BUTTON", lambda a: len(a) == 1),
    "release": ("release BUTTON", lambda a: len(a) == 1),
    "hold": ("hold BUTTON MS", lambda a: len(a) == 2 and _is_int(a[1])),
    "pin": (
        "pin GPIO 0|1|float",
        lambda a: len(a) == 2 and _is_int(a[0]) and a[1] in ("0", "1", "float"),
    ),
    "serial": ("serial TEXT", lambda a: True),
    "stop": ("stop", lambda a: not a),
}


def parse_stimulus(text):
    """Lines `<ms> <event> [args]`; `#` starts a comment (after whitespace). Returns the events
    sorted by time as (ms, [event, rest of line]); one ValueError naming the line if bad."""
    events = []
    for number, line in enumerate(text.split("\n"), 1):
        line = _strip_comment(line)
        if not line or line.startswith("#"):
            continue
        words = line.split(None, 2)
        if not _is_int(words[0]) or int(words[0]) < 0:
            raise ValueError(
                "stimulus line %d: time must be whole ms >= 0, got %r" % (number, words[0])
            )
        if len(words) < 2 or words[1] not in EVENTS:
            raise ValueError(
                "stimulus line %d: event must be one of %s" % (number, " ".join(sorted(EVENTS)))
            )
        usage, check = EVENTS[words[1]]
        rest = words[2] if len(words) > 2 else ""
        if not check(rest.split()) or (words[1] == "serial" and not rest):
            raise ValueError("stimulus line %d: usage: <ms> %s" % (number, usage))
        events.append((int(words[0]), words[1:]))
    events.sort(key=lambda e: e[0])
    return events


# --- the hardware: world, chip models, real-time stepping ----------------------------------------


class Hardware:
    def __init__(self, board_profile, machine, attach_chips, t0_ms):
        self.profile = board_profile
        self.machine = machine
        self.world = machine.reset_world()
        self.dac, self.volume_ic, self.display = attach_chips(self.world, board_profile)
        self.clock = self.world.clock
        self.clock.now_us = t0_ms * 1000  # board time since the virtual board started
        self.started = time.ticks_ms() - t0_ms
        self.edges = []  # pending encoder edges: (+1 clockwise or -1, ms until the next one)
        self.next_edge_ms = 0
        self.lag_ms = 0
        self.advancing = False
        self.last_oled = None
        self.phase = 0
        self.releases = []  # (ms, button name) of held buttons
        self.events = []
        self.errors = []  # messages for the supervisor's log
        self.on_audio = None  # called with (bytes view, length) of newly played I2S data

    def now_ms(self):
        return time.ticks_diff(time.ticks_ms(), self.started)

    def advance(self):
        """Let the hardware catch up with the wall clock."""
        if self.advancing:
            return  # a timer or I2S callback touched a bus: time is already moving
        self.advancing = True
        try:
            self._advance()
        finally:
            self.advancing = False

    def _advance(self):
        target = self.now_ms()
        behind = target - self.clock.now_us // 1000
        if behind > self.lag_ms:
            self.lag_ms = behind  # how late the hardware got: the firmware blocked that long
        if behind > MAX_CATCH_UP_MS:
            self.clock.now_us = (target - MAX_CATCH_UP_MS) * 1000
        while self.clock.now_us // 1000 < target:
            self.step_ms()

    def step_ms(self):
        clock = self.clock
        clock.advance_us(1000)
        now_ms = clock.ticks_ms()
        while self.events and self.events[0][0] <= now_ms:
            words = self.events.pop(0)[1]
            try:
                self.apply(words)
            except ValueError as e:  # e.g. a button the profile does not have
                self.errors.append("stimulus %s: %s" % (" ".join(words), e))
        while self.releases and self.releases[0][0] <= now_ms:
            self.button(self.releases.pop(0)[1], False)
        if self.edges and now_ms >= self.next_edge_ms:
            step, gap_ms = self.edges.pop(0)
            self.edge(step)
            self.next_edge_ms = now_ms + gap_ms
        for port in list(self.world.i2s_ports.values()):
            # This ms's frames at the port's current rate, as SimBoard.run_ms counts them: a port
            # reopened at a new rate (app.set_sample_rate) plays its own rate from the next ms on.
            port.play(port.rate * now_ms // 1000 - port.rate * (now_ms - 1) // 1000)
            if self.on_audio is not None and port.captured:
                self.on_audio(port)
        for timer in list(self.world.timers):
            timer.fire_due(clock.now_us)

    # events: the stimulus script, the front panel's keys and the control pipe use the same words
    def apply(self, words):
        verb = words[0]
        args = words[1].split() if len(words) > 1 else []
        if verb == "turn":
            self.turn(int(args[0]), int(args[1]) if len(args) > 1 else SLOW_EDGE_MS)
        elif verb == "press":
            self.button(args[0], True)
        elif verb == "release":
            self.button(args[0], False)
        elif verb == "hold":
            self.button(args[0], True)
            self.releases.append((self.clock.ticks_ms() + int(args[1]), args[0]))
            self.releases.sort(key=lambda r: r[0])
        elif verb == "pin":
            level = None if args[1] == "float" else int(args[1])
            self.world.pin(int(args[0])).drive(level)
        else:
            raise ValueError("unknown event %r" % verb)

    def turn(self, detents, ms_per_edge=None):
        enc = self.profile.get("encoder")
        if not enc:
            raise ValueError("this board has no encoder")
        if ms_per_edge is None:
            ms_per_edge = SLOW_EDGE_MS
        if not 1 <= ms_per_edge <= 1000:
            raise ValueError("ms per edge must be 1..1000")
        step = 1 if detents > 0 else -1
        self.edges.extend([(step, ms_per_edge)] * (abs(detents) * enc["steps_per_detent"]))

    def edge(self, step):
        enc = self.profile["encoder"]
        self.phase = (self.phase + step) % 4
        # Contact levels (A, B) in clockwise order from rest (both high: pull-ups)
        level_a, level_b = ((1, 1), (0, 1), (0, 0), (1, 0))[self.phase]
        self.world.pin(enc["a"]).drive(level_a)
        self.world.pin(enc["b"]).drive(level_b)

    def button(self, name, pressed):
        for button in self.profile.get("buttons") or []:
            if button["name"] == name:
                active_low = button.get("active_low", True)
                self.world.pin(button["pin"]).drive(0 if pressed == active_low else 1)
                return
        raise ValueError("no button named %r" % name)

    def panel_state(self, with_screen):
        """What the front panel shows: board-level facts read from the chip models."""
        state = {"t": self.clock.ticks_ms(), "lag_ms": self.lag_ms}
        self.lag_ms = 0
        amp = self.profile.get("amp_enable")
        if amp is not None:
            state["amp"] = self.world.pin(amp).level()
        if self.dac is not None:
            state["dac_muted"] = bool(self.dac.muted())
        ic = self.volume_ic
        if ic is not None:
            state["gain_db"] = [ic.gain_db(0), ic.gain_db(1)]
            state["volume_ic"] = self.profile["volume"]["type"]
        if self.display is not None and with_screen:
            oled = oled_state(self.display)
            if oled != self.last_oled:  # unchanged screens are not sent again
                self.last_oled = oled
                state["oled"] = oled
        return state


# What the front panel needs to draw the SSD1306 model's image itself (tools/panel_view.py runs
# the model's own screen() on it): building the image here would cost the MCU ~5 ms a frame.
OLED_FIELDS = (
    "width",
    "height",
    "on",
    "charge_pump",
    "mux",
    "com_reverse",
    "start_line",
    "offset",
    "seg_remap",
    "entire_on",
    "inverse",
    "contrast",
)


def oled_state(display):
    state = {}
    for name in OLED_FIELDS:
        state[name] = getattr(display, name)
    state["ram"] = bytes(display.ram).hex()
    return state


class HostFiles:
    """Files of the host, whatever is mounted at "/": on the unix port the board's flash is
    mounted there (a WAV reopened by name would land on the flash), so a VfsPosix of its own."""

    def __init__(self):
        try:
            import vfs

            self.posix = vfs.VfsPosix()
        except ImportError:  # CPython: the test suite's own runs
            self.posix = None

    def open(self, path, mode):
        return open(path, mode) if self.posix is None else self.posix.open(path, mode)

    def rename(self, old, new):
        if self.posix is None:
            import os

            os.replace(old, new)
        else:
            self.posix.rename(old, new)


class WavWriter:
    """16-bit stereo PCM WAV, appended across soft reboots; the header stays valid as it grows.
    With `limit` (bytes of audio), a full file becomes PATH.prev and a new one starts: the two
    hold at least the last `limit` bytes, and tools/vboard.py joins them into PATH at the end
    (join_wav), so a long session keeps its last minutes and the disk does not fill."""

    def __init__(self, path, rate, append, limit=0):
        self.path = path
        self.rate = rate
        self.limit = limit
        self.files = HostFiles()  # made before the flash is mounted at "/"
        self.file = None
        self.data_bytes = 0
        if append:
            try:
                self.file = self.files.open(path, "r+b")
                self.file.seek(0, 2)
                self.data_bytes = self.file.tell() - 44
            except OSError:
                self.file = None
        if self.file is None:
            self.file = self.files.open(path, "wb")
            self.file.write(self._header(0))

    def _header(self, data_bytes):
        return (
            b"RIFF"
            + struct.pack("<I", 36 + data_bytes)
            + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 2, self.rate, self.rate * 4, 4, 16)
            + b"data"
            + struct.pack("<I", data_bytes)
        )

    def write(self, data):
        if self.limit and self.data_bytes + len(data) > self.limit:
            self.rotate()
        self.file.write(data)
        self.data_bytes += len(data)

    def rotate(self):
        self.flush()
        self.file.close()
        self.files.rename(self.path, self.path + ".prev")
        self.file = self.files.open(self.path, "wb")
        self.data_bytes = 0
        self.file.write(self._header(0))

    def flush(self):
        self.file.seek(0)
        self.file.write(self._header(self.data_bytes))
        self.file.seek(0, 2)
        self.file.flush()


class Audio:
    """Takes played I2S data out of the port's capture: to a WAV file and to the level meters."""

    def __init__(self, wav):
        self.wav = wav
        self.peaks = [0, 0]
        self.notes = []  # for the supervisor's log: the port's rate left or rejoined the WAV's
        self.in_rate = None  # the port's rate and frame counts since it last changed
        self.in_frames = 0
        self.out_frames = 0

    def take(self, port):
        n = port.captured
        if n == 0:
            return
        data = bytes(memoryview(port.capture)[:n])
        port.clear_capture()
        if self.wav is not None:
            self.wav.write(self.at_wav_rate(data, port.rate))
        samples = array("h", data)
        left, right = self.peaks
        for i in range(0, len(samples) - 1, 16):  # every 8th frame is plenty for a meter
            s = samples[i]
            if s < 0:
                s = -s
            if s > left:
                left = s
            s = samples[i + 1]
            if s < 0:
                s = -s
            if s > right:
                right = s
        self.peaks = [left, right]

    def at_wav_rate(self, data, rate):
        """16-bit stereo frames played at `rate`, as frames at the WAV's rate. A WAV has one rate
        in its header: after app.set_sample_rate the file keeps its own, so the recording keeps
        its true duration and pitch (nearest-frame resampling: a little aliasing) and the log
        says so."""
        if rate != self.in_rate:
            if rate != self.wav.rate:
                self.notes.append(
                    "wav: I2S now at %d Hz, the file stays at %d Hz (nearest-frame resampled)"
                    % (rate, self.wav.rate)
                )
            elif self.in_rate is not None:
                self.notes.append("wav: I2S back at the file's %d Hz" % rate)
            self.in_rate = rate
            self.in_frames = 0
            self.out_frames = 0
        if rate == self.wav.rate:
            return data
        frames = array("i", data)  # one item per frame: both 16-bit samples, bytes untouched
        first = self.in_frames
        self.in_frames += len(frames)
        out = array("i")
        j = self.out_frames
        dst = self.wav.rate
        while j * rate // dst < self.in_frames:
            out.append(frames[j * rate // dst - first])
            j += 1
        self.out_frames = j
        return bytes(out)

    def take_peaks(self):
        peaks = self.peaks
        self.peaks = [0, 0]
        return peaks


class Budget:
    """The hardware model's share of the MCU process's time: allow() says whether it may run
    now, spent() adds what a run took (microseconds); windows of `window_us`. `diff` is
    time.ticks_diff (ticks_us wraps)."""

    def __init__(self, share_pct, window_us, now_us, diff):
        self.diff = diff
        self.share_pct = share_pct
        self.window_us = window_us
        self.start = now_us
        self.used = 0
        self.last_pct = 0  # the share of the last full window (the panel shows it)

    def allow(self, now_us):
        elapsed = self.diff(now_us, self.start)
        if elapsed >= self.window_us or elapsed < 0:  # < 0: never stuck in a window
            self.last_pct = self.used * 100 // max(1, elapsed)
            self.start = now_us
            self.used = 0
            return True
        return self.used * 100 <= self.share_pct * self.window_us

    def spent(self, us):
        self.used += us


# --- the REPL, spoken as a board speaks it -------------------------------------------------------


class Board:
    def __init__(self, args):
        self.args = args
        self.stdin = sys.stdin.buffer
        self.out = sys.stdout
        self.status = None if "status" not in args else open(int(args["status"]), "wb")
        self.control = None if "control" not in args else open(int(args["control"]), "rb")
        self.poller = select.poll()
        self.poller.register(self.stdin, select.POLLIN)
        self.control_poll = select.poll()
        if self.control is not None:
            self.control_poll.register(self.control, select.POLLIN)
        self.servicing = False
        self.interrupts = False
        self.orphaned = False
        self._flag = None
        self.globals = {"__name__": "__main__"}
        self.raw = args.get("raw") == "1"
        self.panel = args.get("panel") == "1"
        self.next_panel = 0
        self.next_screen = 0
        self.next_flush = 0
        self.next_alive = 0
        self.budget = Budget(HW_SHARE_PCT, HW_WINDOW_US, time.ticks_us(), time.ticks_diff)
        self.hw = None
        self.audio = None

    def write(self, text):
        self.out.write(text)

    def tell(self, line):
        """One line to the supervisor (busy state, panel state)."""
        if self.status is not None:
            self.status.write(line.encode() + b"\n")

    # Hardware keeps time while the REPL waits and while asyncio code runs.
    def service(self):
        if self.hw is None or self.servicing:
            return
        start = time.ticks_us()
        if not self.budget.allow(start):
            return  # the model had its share of this window: the firmware's turn
        self.servicing = True
        try:
            self._service()
        finally:
            self.servicing = False
            self.budget.spent(time.ticks_diff(time.ticks_us(), start))

    def _service(self):
        hw = self.hw
        hw.advance()
        while hw.errors:
            self.tell("error " + hw.errors.pop(0))
        while self.audio is not None and self.audio.notes:
            self.tell("error " + self.audio.notes.pop(0))  # the supervisor logs "error" lines
        if self.control is not None:
            for _obj, _event in self.control_poll.poll(0):
                self.control_line()
                break
        now = hw.clock.ticks_ms()
        if now >= self.next_alive:
            self.next_alive = now + ALIVE_EVERY_MS
            self.tell("alive")
        if self.audio is not None and now >= self.next_flush:
            self.next_flush = now + WAV_EVERY_MS
            if self.audio.wav is not None:
                self.audio.wav.flush()
        if self.panel and now >= self.next_panel:
            self.next_panel = now + PANEL_EVERY_MS
            state = hw.panel_state(now >= self.next_screen)
            if now >= self.next_screen:
                self.next_screen = now + SCREEN_EVERY_MS
            if self.audio is not None:
                state["peaks"] = self.audio.take_peaks()
            state["hw_pct"] = self.budget.last_pct
            self.tell("panel " + json.dumps(state))

    def control_line(self):
        line = self.control.readline()
        if not line:  # the supervisor is gone: stop with it (from the main context)
            self.control_poll.unregister(self.control)
            self.control = None
            self.orphaned = True
            return
        words = line.decode().strip().split(None, 1)
        if words and self.hw is not None:
            try:
                self.hw.apply(words)
            except (ValueError, IndexError) as e:
                self.tell("error " + str(e))

    def read_char(self):
        """Next input character; keeps the hardware running meanwhile. Ctrl-C arrives as a
        KeyboardInterrupt (the supervisor signals while code runs) and is returned as \\x03."""
        while True:
            try:
                if self.poller.poll(2):
                    c = self.stdin.read(1)
                    if not c:
                        raise SystemExit(0)  # the supervisor went away
                    return chr(c[0])
                self.service()
            except KeyboardInterrupt:
                return CTRL_C

    def start_interrupts(self):
        """The board's interrupts: a thread that only asks, every millisecond, for the hardware
        to be serviced; micropython.schedule runs that between two bytecodes of whatever the
        main thread does, as the scheduler runs a board's I2S and timer callbacks. Without it
        the hardware would move only when the firmware yields, and a long redraw would starve
        the audio callback. The thread allocates nothing (the unix port has no GIL)."""
        try:
            import _thread
        except ImportError:
            return False
        import micropython

        flag = bytearray(1)  # 1 while a service call is queued
        irq = self._interrupt
        self._flag = flag

        def ticker():
            while True:
                time.sleep_ms(1)
                if not flag[0]:
                    flag[0] = 1
                    micropython.schedule(irq, 0)

        _thread.start_new_thread(ticker, ())
        return True

    def _interrupt(self, _arg):
        self._flag[0] = 0
        try:
            self.service()
        except KeyboardInterrupt:
            # Ctrl-C landed in this callback, where MicroPython would print and drop it: ask
            # the supervisor to interrupt again, so it reaches the code that runs.
            self.servicing = False
            self.tell("interrupt again")

    async def hardware_task(self):
        """Keeps asyncio's waits short: the unix port runs scheduled callbacks only between
        bytecodes, not while it sleeps in poll(), so an idle firmware needs this to keep time."""
        import asyncio

        while not self.orphaned:
            self.service()
            await asyncio.sleep_ms(1)
        raise SystemExit(0)

    def run_code(self, source, filename, mode="exec"):
        """Compile and run. Returns None, or the traceback text a board would print."""
        self.tell("busy 1")
        try:
            code = compile(source, filename, mode)
            exec(code, self.globals)
            return None
        except SystemExit:
            raise
        except BaseException as e:  # noqa: BLE001 - a board reports every exception
            return traceback_text(e)
        finally:
            self.tell("busy 0")

    def run_shown(self, source, filename, mode="exec"):
        error = self.run_code(source, filename, mode)
        if error:
            self.write(error)

    def run_file(self, path):
        try:
            with open(path) as f:
                source = f.read()
        except OSError:
            return None
        if path == "main.py":
            import asyncio

            asyncio.create_task(self.hardware_task())
        return self.run_shown(source, path)

    def banner(self):
        impl = sys.implementation
        version = ".".join(str(v) for v in impl.version[:3])
        self.write(
            "MicroPython v%s on %s; %s (%s) with %s\n"
            % (
                version,
                "unix port",
                BANNER_BOARD,
                self.args.get("board", "?"),
                self.hw.profile["mcu"].upper() if self.hw else "?",
            )
        )
        self.write('Type "help()" for more information.\n')

    def soft_reboot(self):
        self.write("MPY: soft reboot\n")
        raise SystemExit(EXIT_SOFT_REBOOT + (1 if self.raw else 0))

    # raw REPL: what mpremote and friends speak
    def raw_repl(self):
        self.write("raw REPL; CTRL-B to exit\n>")
        line = ""
        while True:
            c = self.read_char()
            if c == CTRL_A and line == CTRL_E + "A":
                self.raw_paste()  # mpremote's fast path: flow-controlled, no echo
                self.write(">")
                line = ""
            elif c == CTRL_A:
                self.write("\nraw REPL; CTRL-B to exit\n>")
                line = ""
            elif c == CTRL_B:
                self.raw = False
                self.write("\n")
                return
            elif c == CTRL_C:
                line = ""
            elif c == CTRL_D:
                self.write("OK")
                if not line:
                    self.write("\n")
                    self.soft_reboot()
                self.run_raw(line)
                self.write(">")
                line = ""
            else:
                line += c

    def run_raw(self, source):
        # Raw REPL reply: output, \x04, the traceback (if any), \x04
        error = self.run_code(source, "<stdin>")
        self.write("\x04" + (error or "") + "\x04")

    def raw_paste(self):
        self.write("R\x01")
        self.out.write(struct.pack("<H", RAW_PASTE_WINDOW).decode())
        data = []
        remain = RAW_PASTE_WINDOW
        while True:
            c = self.read_char()
            if c == CTRL_D:
                self.write("\x04")
                break
            if c == CTRL_C:
                self.write("\x04")
                return
            data.append(c)
            remain -= 1
            if remain == 0:
                self.write("\x01")
                remain = RAW_PASTE_WINDOW
        self.run_raw("".join(data))

    # friendly REPL: what people type at
    def friendly_repl(self):
        self.banner()
        while not self.raw:
            source = self.read_statement()
            if source is None:
                continue
            if self.raw:
                return
            if source.strip():
                mode = "single" if "\n" not in source.rstrip("\n") else "exec"
                self.run_shown(source, "<stdin>", mode)

    def read_statement(self):
        """One statement (with continuation lines); None after Ctrl-C or a mode change."""
        lines = []
        prompt = ">>> "
        indent = ""
        while True:
            self.write(prompt)
            line = self.read_line(not lines, indent)
            if line is None:
                return None
            lines.append(line)
            if not needs_more(lines):
                return "\n".join(lines) + "\n"
            prompt = "... "
            # Auto-indent as a board's REPL does: keep the indent, one level more after ":".
            indent = line[: len(line) - len(line.lstrip())]
            if line.rstrip().endswith(":"):
                indent += "    "

    def read_line(self, first, indent=""):
        line = indent
        self.write(indent)
        while True:
            c = self.read_char()
            if c == "\r" or c == "\n":
                self.write("\n")
                return line
            if c == CTRL_C:
                self.write("\n")
                return None
            if c == CTRL_D and first and not line:
                self.write("\n")
                self.soft_reboot()
            if c == CTRL_A and first and not line:
                self.write("\n")
                self.raw = True
                return None
            if c == CTRL_B and first and not line:
                self.write("\n")
                self.banner()
                return None
            if c == CTRL_E and first and not line:
                self.paste_mode()
                return None
            if c in "\x08\x7f":
                if line:
                    line = line[:-1]
                    self.write("\x08 \x08")
            elif c == "\x1b":
                self.skip_escape()
            elif c >= " " or c == "\t":
                line += c
                self.write(c)

    def skip_escape(self):
        # Arrow keys and friends (ESC [ ... letter): no line history on the virtual board.
        c = self.read_char()
        if c == "[" or c == "O":
            while True:
                c = self.read_char()
                if c.isalpha() or c == "~":
                    return

    def paste_mode(self):
        self.write("\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\n=== ")
        text = ""
        while True:
            c = self.read_char()
            if c == CTRL_C:
                self.write("\n")
                return
            if c == CTRL_D:
                self.write("\n")
                self.run_shown(text, "<stdin>")
                return
            text += "\n" if c == "\r" else c
            self.write(c if c != "\r" else "\n=== ")

    def start(self, attach_chips, board_profile, machine):
        if self.args.get("reboot") == "1":
            pass  # "MPY: soft reboot" was printed by the process before us
        self.hw = Hardware(board_profile, machine, attach_chips, int(self.args.get("t0", "0")))
        wav = None
        if "wav" in self.args:
            wav = WavWriter(
                self.args["wav"],
                board_profile["i2s"]["rate"],
                self.args.get("append") == "1",
                int(self.args.get("wavlimit", "0")),
            )
        self.audio = Audio(wav)
        self.hw.on_audio = self.audio.take
        if "stimulus" in self.args:
            with open(self.args["stimulus"]) as f:
                events = parse_stimulus(f.read())
            now = self.hw.clock.ticks_ms()
            self.hw.events = [
                (at, words) for at, words in events if at > now and words[0] in HARDWARE_EVENTS
            ]

    def run(self):
        self.interrupts = self.start_interrupts()
        self.run_file("boot.py")
        if not self.raw:
            self.run_file("main.py")
        while True:
            if self.raw:
                self.raw_repl()
            else:
                self.friendly_repl()


HARDWARE_EVENTS = ("turn", "press", "release", "hold", "pin")


def traceback_text(e):
    import io

    text = io.StringIO()
    sys.print_exception(e, text)
    # Our own frames (the exec call) are not part of the board's story.
    return "".join(
        line + "\n" for line in text.getvalue().split("\n") if line and __file__ not in line
    )


def needs_more(lines):
    """Whether the friendly REPL should ask for another line ("... ")."""
    if len(lines) > 1:
        return lines[-1].strip() != ""
    line = lines[0].rstrip()
    if line.endswith(":") or line.endswith("\\") or line.startswith("@"):
        return True
    depth = 0
    for ch in line:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth > 0


class VirtualBoardFacts:
    """`import _vboard` on the virtual board: which profile's chips it simulates. A unix port
    cannot say which board it stands in for, so tools/deploy.py asks this before copying."""

    def __init__(self, board, mcu):
        self.board = board
        self.mcu = mcu


def setup(args):
    """Simulated machine and chip models first (from the repo), then the board's own files."""
    for path in (REPO + "/firmware", HERE):
        sys.path.insert(0, path)
    from sim import machine, simboard

    sys.modules["machine"] = machine
    with open(REPO + "/boards/" + args["board"] + ".json") as f:
        board_profile = json.loads(f.read())
    sys.modules["_vboard"] = VirtualBoardFacts(args["board"], board_profile["mcu"])
    # The repo's firmware helped build the simulator; the board runs its own deployed copy.
    for name in list(sys.modules):
        if name == "uamp" or name.startswith("uamp."):
            del sys.modules[name]
    sys.path.remove(REPO + "/firmware")
    return board_profile, machine, simboard.attach_chips


class Flash:
    """The board's flash: a host folder behind vfs.VfsPosix. Paths are joined here, because
    VfsPosix(root).rename() fails on absolute paths, and ilistdir lists sizes as littlefs and FAT
    do, so `mpremote fs ls` shows them (VfsPosix gives 3-tuples without size)."""

    def __init__(self, folder):
        import vfs

        self.root = folder.rstrip("/")
        self.posix = vfs.VfsPosix()
        self.cwd = "/"

    def host(self, path):
        if not path.startswith("/"):
            path = self.cwd.rstrip("/") + "/" + path
        parts = []
        for part in path.split("/"):
            if part == "..":
                if parts:
                    parts.pop()
            elif part and part != ".":
                parts.append(part)
        return self.root + "/" + "/".join(parts)

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def ilistdir(self, path):
        folder = self.host(path)
        for entry in self.posix.ilistdir(folder):
            size = 0 if entry[1] == 0x4000 else self.posix.stat(folder + "/" + entry[0])[6]
            yield (entry[0], entry[1], 0, size)

    def open(self, path, mode):
        return self.posix.open(self.host(path), mode)

    def stat(self, path):
        return self.posix.stat(self.host(path))

    def statvfs(self, path):
        return self.posix.statvfs(self.host(path))

    def mkdir(self, path):
        self.posix.mkdir(self.host(path))

    def rmdir(self, path):
        self.posix.rmdir(self.host(path))

    def remove(self, path):
        self.posix.remove(self.host(path))

    def rename(self, old, new):
        self.posix.rename(self.host(old), self.host(new))

    def chdir(self, path):
        target = self.host(path)
        if not self.posix.stat(target)[0] & 0x4000:
            raise OSError(20)  # ENOTDIR
        self.cwd = "/" + target[len(self.root) :].lstrip("/")

    def getcwd(self):
        return self.cwd


def mount_flash(folder):
    import os

    import vfs

    try:
        os.mkdir(folder)
    except OSError:
        pass
    vfs.umount("/")
    vfs.mount(Flash(folder), "/")
    os.chdir("/")
    # A board imports from / and /lib; the simulator's own modules are already loaded.
    sys.path[:] = ["", ".frozen", "/lib"]


def main():
    args = parse_args(sys.argv[1:])
    board_profile, machine, attach_chips = setup(args)
    board = Board(args)
    board.start(attach_chips, board_profile, machine)
    import asyncio  # noqa: F401 - loaded before the host filesystem is unmounted
    import io  # noqa: F401

    mount_flash(args["fs"])
    board.run()


if __name__ == "__main__":
    main()
