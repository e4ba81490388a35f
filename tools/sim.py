"""`make sim`: the front panel of a virtual uamp board, in the terminal.

    python tools/sim.py [--board PROFILE]         # interactive (curses)
    python tools/sim.py --demo [--screenshot PNG] # scripted walk-through, prints frames, exits

The working tree's firmware is put on the virtual board's flash (build/vboard/sim-<board>/, where
settings persist between runs; --erase starts from factory settings) and booted by
tools/vboard.py. The panel shows the OLED, the volume IC's gain, amp and DAC state,
level meters of the I2S output, and the serial console. Keys: Left/Right turn the knob (repeat
quickly for a fast turn, which the firmware's acceleration answers), Tab presses the knob,
F1-F4 press the profile's buttons in its order (F1 `push`, F2 `mute` on the shipped
profiles; F5-F8 hold them), Up/Down walk the console's history, PgUp/PgDn scroll its output.
Notes from the panel itself are marked `[sim]`, so they never pass for the board's output.
The I2S output goes to build/sim/<profile>-<date>-<time>.wav, a file per run holding its last
WAV_MINUTES (--wav-minutes; the KEEP_RUNS newest runs are kept, build/sim.wav links to the
latest; --wav PATH picks a file) and, where `aplay` or `pacat` and a sound device exist, to
the speakers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import panel_view  # noqa: E402
import vboard  # noqa: E402

FAST_REPEAT_S = 0.15  # arrow presses closer than this are one fast turn
SLOW_EDGE_MS, FAST_EDGE_MS = 20, 5
HOLD_MS = 1200
WAV_MINUTES = 3.0  # 34.6 MB of 48 kHz 16-bit stereo
KEEP_RUNS = 5  # recordings kept in build/sim/
RUNS = ROOT / "build" / "sim"


class FrontPanel:
    """The virtual board plus a serial connection to it, and what the panel shows."""

    def __init__(self, board: str, wav: Path, flash: Path, wav_minutes: float = WAV_MINUTES):
        profile = json.loads((ROOT / "boards" / f"{board}.json").read_text())
        self.view = panel_view.PanelView(board, profile)
        self.buttons = [b["name"] for b in profile.get("buttons") or []]
        vboard.install_source(flash, board)
        self.first_panel = threading.Event()
        self.board = vboard.VirtualBoard(
            board,
            flash=flash,
            wav=wav,
            on_panel=self._panel,
            log=self._log,
            wav_seconds=wav_minutes * 60,
        )
        self.wav = wav
        self.last_arrow = (0.0, 0)
        self.streak = 0
        self.speaker: Speaker | None = None

    def _panel(self, line: str) -> None:
        self.view.update(line)
        self.first_panel.set()

    def _log(self, text: str) -> None:
        self.view.note = text[-120:]

    def start(self) -> FrontPanel:
        self.board.start()
        self.tty = os.open(self.board.tty, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.tty)
        return self

    def stop(self) -> None:
        if self.speaker:
            self.speaker.stop()
        os.close(self.tty)
        self.board.stop()

    def pump(self) -> None:
        """Take what the board sent on its serial port into the console pane."""
        while True:
            try:
                data = os.read(self.tty, 4096)
            except (BlockingIOError, OSError):
                return
            if not data:
                return
            self.view.feed(data.decode(errors="replace"))

    def send(self, text: str) -> None:
        os.write(self.tty, text.encode())

    def enter(self) -> None:
        """Enter: the typed line goes to the board (and into the history)."""
        view = self.view
        self.send(view.typed + "\r")
        view.history.add(view.typed)
        view.typed = ""
        view.back = 0  # back to the newest output, where the answer comes

    # --- keys ------------------------------------------------------------------------------------
    def arrow(self, direction: int) -> None:
        now = time.monotonic()
        last_time, last_dir = self.last_arrow
        fast = direction == last_dir and now - last_time < FAST_REPEAT_S
        self.streak = self.streak + 1 if fast else 0
        self.last_arrow = (now, direction)
        detents = 1 if self.streak < 3 else 2
        edge = FAST_EDGE_MS if self.streak else SLOW_EDGE_MS
        self.board.control(f"turn {direction * detents} {edge}")
        self.view.note = f"knob {'+' if direction > 0 else '-'}{detents}" + (
            " (fast)" if self.streak else ""
        )

    def button(self, index: int, hold: bool) -> None:
        if index >= len(self.buttons):
            self.view.note = f"this board has {len(self.buttons)} buttons"
            return
        name = self.buttons[index]
        ms = HOLD_MS if hold else 120
        self.board.control(f"hold {name} {ms}")
        self.view.note = f"{'hold' if hold else 'press'} {name}"


class Speaker:
    """Streams the growing WAV file to aplay/pacat, when the machine has a sound device."""

    def __init__(self, wav: Path, rate: int):
        self.proc: subprocess.Popen | None = None
        self.stopped = threading.Event()
        player = None
        if shutil.which("aplay") and Path("/dev/snd").exists():
            player = ["aplay", "-q", "-t", "raw", "-f", "S16_LE", "-c", "2", "-r", str(rate)]
        elif shutil.which("pacat") and os.environ.get("XDG_RUNTIME_DIR"):
            player = ["pacat", "--format=s16le", "--channels=2", f"--rate={rate}"]
        if player:
            try:
                self.proc = subprocess.Popen(
                    player, stdin=subprocess.PIPE, stderr=subprocess.DEVNULL
                )
            except OSError:
                self.proc = None
        self.name = player[0] if self.proc and player else None
        if self.proc:
            threading.Thread(target=self._feed, args=(wav,), daemon=True).start()

    def _feed(self, wav: Path) -> None:
        offset = 44
        while not self.stopped.is_set():
            try:
                with open(wav, "rb") as f:
                    if os.fstat(f.fileno()).st_size < offset:
                        offset = 44  # the bounded recording started its next part
                    f.seek(offset)
                    data = f.read()
            except OSError:
                data = b""
            if data:
                data = data[: len(data) // 4 * 4]
                offset += len(data)
                try:
                    self.proc.stdin.write(data)
                    self.proc.stdin.flush()
                except (BrokenPipeError, OSError):
                    return
            time.sleep(0.05)

    def stop(self) -> None:
        self.stopped.set()
        if self.proc:
            self.proc.terminate()


def interactive(panel: FrontPanel, rate: int) -> None:
    import curses

    def run(screen) -> None:
        # raw, not curses.wrapper's cbreak: else the tty turns Ctrl-C into SIGINT (which killed
        # the sim instead of reaching the board) and eats Ctrl-Q as XON flow control
        curses.raw()
        curses.curs_set(0)
        screen.nodelay(True)
        screen.timeout(40)
        speaker = Speaker(panel.wav, rate)
        panel.speaker = speaker
        panel.view.note = (
            f"audio: {shown(panel.wav)} and speakers ({speaker.name})"
            if speaker.name
            else f"audio: {shown(panel.wav)} (no sound device found)"
        )
        fkeys = {curses.KEY_F0 + n: n - 1 for n in range(1, 9)}
        while True:
            panel.pump()
            key = screen.getch()
            while key != -1:
                if key == 27:  # an escape sequence curses did not know (other cursor-key mode)
                    key = _escape(screen, curses)
                if key in (curses.KEY_F10, 17):  # F10 or Ctrl-Q
                    return
                if key == curses.KEY_RIGHT:
                    panel.arrow(+1)
                elif key == curses.KEY_LEFT:
                    panel.arrow(-1)
                elif key == curses.KEY_UP:
                    panel.view.typed = panel.view.history.up(panel.view.typed)
                elif key == curses.KEY_DOWN:
                    panel.view.typed = panel.view.history.down(panel.view.typed)
                elif key == curses.KEY_PPAGE:
                    panel.view.scroll(+1)
                elif key == curses.KEY_NPAGE:
                    panel.view.scroll(-1)
                elif key == 9:
                    panel.button(0, hold=False)
                elif key == curses.KEY_BTAB:
                    panel.button(0, hold=True)
                elif key in fkeys:
                    index = fkeys[key]
                    panel.button(index % 4, hold=index >= 4)
                elif key in (1, 2, 3, 4, 5):  # Ctrl-A..E: raw REPL, friendly, stop, reboot, paste
                    panel.send(chr(key))
                elif key in (10, 13, curses.KEY_ENTER):
                    panel.enter()
                elif key in (curses.KEY_BACKSPACE, 127, 8):
                    panel.view.typed = panel.view.typed[:-1]
                elif 32 <= key < 127:
                    panel.view.typed += chr(key)
                key = screen.getch()
            height, width = screen.getmaxyx()
            screen.erase()
            for y, line in enumerate(panel.view.render(width, height)):
                # the panel's own notes stand out from what the board printed
                mark = line.startswith(panel_view.NOTE_MARK)
                try:
                    screen.addstr(y, 0, line[: width - 1], curses.A_REVERSE if mark else 0)
                except curses.error:
                    pass
            screen.refresh()

    os.environ.setdefault("ESCDELAY", "25")
    curses.wrapper(run)


def _escape(screen, curses) -> int:
    """ESC [ C and ESC O C are both the right arrow, whatever mode the terminal is in."""
    arrows = {
        ord("A"): curses.KEY_UP,
        ord("B"): curses.KEY_DOWN,
        ord("C"): curses.KEY_RIGHT,
        ord("D"): curses.KEY_LEFT,
    }
    pages = {ord("5"): curses.KEY_PPAGE, ord("6"): curses.KEY_NPAGE}  # ESC [ 5 ~, ESC [ 6 ~
    if screen.getch() in (ord("["), ord("O")):
        key = screen.getch()
        if key in pages:
            screen.getch()  # the "~"
            return pages[key]
        return arrows.get(key, -2)
    return -2  # a lone Esc: ignored


def wait(panel: FrontPanel, what: str, check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        panel.pump()
        if check():
            return
        time.sleep(0.02)
    raise TimeoutError(f"demo: {what} did not happen within {timeout:.0f} s")


def gain_settled(panel: FrontPanel):
    """True once the volume IC's gain is up and has not moved for 300 ms (ramp done)."""
    seen = {"value": None, "since": 0.0}

    def check() -> bool:
        gain = (panel.view.state.get("gain_db") or [None])[0]
        now = time.monotonic()
        if gain != seen["value"]:
            seen["value"], seen["since"] = gain, now
        return gain is not None and now - seen["since"] > 0.3

    return check


def demo(panel: FrontPanel, screenshot: Path | None, started: float) -> None:
    """A scripted walk through the front panel; prints each frame as text."""
    view = panel.view
    console_has = lambda text: any(text in line for line in view.console.lines)  # noqa: E731

    def frame(title: str) -> None:
        print(f"\n=== {title}")
        print("\n".join(line.rstrip() for line in view.render(110, 30)))

    wait(panel, "the ready line", lambda: console_has("uamp ready"))
    print(f"firmware ready line seen {(time.monotonic() - started) * 1000:.0f} ms after start")
    if "gain_db" in view.state:
        wait(panel, "the power-on volume", gain_settled(panel))
    else:
        time.sleep(1.0)
    frame("powered up")
    panel.arrow(+1)
    for _ in range(5):  # five presses in a row: a fast turn
        time.sleep(0.05)
        panel.arrow(+1)
    time.sleep(1.5)
    frame("after six quick presses of ->")
    panel.send("status\r")
    wait(panel, "the status reply", lambda: console_has("vol "))
    time.sleep(0.3)
    frame("typed `status` in the console pane")
    if screenshot:
        import termshot

        termshot.save(view.render(110, 30), screenshot)
        print(f"\nscreenshot: {screenshot}")
    panel.button(0, hold=False)
    time.sleep(1.0)
    frame("pressed the knob: the menu")


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def new_recording(board: str, runs: Path = RUNS, latest: Path | None = None) -> Path:
    """build/sim/<profile>-<date>-<time>.wav for this run; build/sim.wav links to it, and only
    the KEEP_RUNS newest recordings stay (each is bounded, but runs add up)."""
    runs.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = runs / f"{board}-{stamp}.wav"
    n = 1
    while path.exists():  # two runs in one second
        n += 1
        path = runs / f"{board}-{stamp}-{n}.wav"
    older = sorted(runs.glob("*.wav"), key=lambda p: p.stat().st_mtime)
    for old in older[: max(0, len(older) - (KEEP_RUNS - 1))]:
        old.unlink()
    path.touch()  # the name is this run's (the board creates its data a moment later)
    latest = latest or runs.parent / "sim.wav"
    if latest.is_symlink() or latest.exists():
        latest.unlink()  # an older run's link, or the single file earlier versions overwrote
    latest.symlink_to(os.path.relpath(path, latest.parent))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--board", default="pico-pcm5102a-pga2311")
    parser.add_argument("--demo", action="store_true", help="scripted walk-through, then exit")
    parser.add_argument("--screenshot", type=Path, help="with --demo: save the last frame as PNG")
    parser.add_argument(
        "--wav", type=Path, help="record to this WAV (default: a new file in build/sim/)"
    )
    parser.add_argument(
        "--wav-minutes",
        type=float,
        default=WAV_MINUTES,
        help=f"keep the last N minutes of the recording (default {WAV_MINUTES:g})",
    )
    parser.add_argument(
        "--flash",
        type=Path,
        help="the board's flash folder (default build/vboard/sim-PROFILE; --demo: demo-PROFILE)",
    )
    parser.add_argument(
        "--erase", action="store_true", help="start from factory settings (empty the flash)"
    )
    args = parser.parse_args()
    if not (ROOT / "boards" / f"{args.board}.json").exists():
        print(f"sim: no board profile '{args.board}' in boards/", file=sys.stderr)
        return 2
    if not args.demo and not sys.stdin.isatty():
        print("sim: the front panel needs a terminal; use --demo for a scripted run")
        return 2
    if args.wav is None:
        args.wav = new_recording(args.board)
    args.wav.parent.mkdir(parents=True, exist_ok=True)
    # settings persist on the flash like a real board's; the demo always starts from factory
    # settings on its own flash, so what a user left in `make sim` (muted, say) cannot stall it
    kind = "demo" if args.demo else "sim"
    flash = args.flash or ROOT / "build" / "vboard" / f"{kind}-{args.board}"
    if args.erase or (args.demo and not args.flash):
        shutil.rmtree(flash, ignore_errors=True)
    started = time.monotonic()
    panel = FrontPanel(args.board, args.wav, flash, args.wav_minutes).start()
    code = 0
    try:
        if not panel.first_panel.wait(20):
            raise TimeoutError("the virtual board sent no panel state within 20 s")
        up_ms = (time.monotonic() - started) * 1000
        if args.demo:
            print(f"front panel up in {up_ms:.0f} ms (board {args.board})")
            demo(panel, args.screenshot, started)
        else:
            interactive(panel, panel.view.profile["i2s"]["rate"])
    except TimeoutError as e:
        print(f"sim: {e}", file=sys.stderr)
        code = 1
    finally:
        state = panel.view.state
        panel.stop()
    gain = state.get("gain_db")
    summary = f"sim: stopped cleanly; audio in {args.wav} (the last {args.wav_minutes:g} min)"
    if gain:
        summary += (
            f"; volume IC at L {panel_view.show_db(gain[0])} R {panel_view.show_db(gain[1])}"
        )
    print(summary)
    return code


if __name__ == "__main__":
    sys.exit(main())
