"""The virtual board: uamp's simulated hardware behind a serial port that talks like a real board.

    python tools/vboard.py --board pico-pcm5102a-pga2311 --link /tmp/uamp-tty
    .venv/bin/mpremote connect /tmp/uamp-tty fs ls
    .venv/bin/python -m serial.tools.miniterm /tmp/uamp-tty 115200    # a terminal; Ctrl-] quits

The MCU is the MicroPython unix port running host_tests/sim/realtime.py: the simulated
`machine`, the profile's chip models, a flash filesystem (a folder that persists between runs,
`build/vboard/<board>/` unless --flash says otherwise) and the REPL protocol of a real board.
This supervisor owns the pseudo-terminal: it passes bytes through, turns "\\n" into "\\r\\n" as a
board's USB serial does, turns Ctrl-C into an interrupt while code runs, and restarts the
interpreter on a soft reboot. Runs until stopped (Ctrl-C, SIGTERM, or a `stop` stimulus event).

--stimulus FILE plays a script of timed events (see realtime.py: `<ms> turn 3`, `press push`,
`hold mute 300`, `pin 12 0`, `serial vol -20\\r`, `stop`); --wav FILE records the I2S output.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path


def _die_with_parent() -> None:
    """Runs in the MCU child before exec: Linux sends it SIGTERM when this supervisor dies, so a
    killed vboard (or a test that timed out) never leaves a real-time MCU spinning a core."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "host_tests" / "sim" / "realtime.py"
EXIT_SOFT_REBOOT = 10  # realtime.py: +1 when the reboot came from the raw REPL
CTRL_C = 0x03
# The MCU says "alive" twice a second while its hardware runs (realtime.py, ALIVE_EVERY_MS): a
# silence this long means it stopped answering (stuck, or blocked in one long call)
SILENT_S = 5.0


def micropython() -> str:
    local = Path(sys.executable).parent / "micropython"
    found = str(local) if local.exists() else shutil.which("micropython")
    if not found:
        raise RuntimeError("the MicroPython unix port is missing: run `make venv`")
    return found


def default_flash(board: str) -> Path:
    return ROOT / "build" / "vboard" / board


def install_source(flash: Path, board: str) -> None:
    """Put the working tree's firmware on a flash folder as source (the unix port runs viper
    from source too), with the profile as /board.json: what `make sim` and tests boot."""
    flash.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(flash / "uamp", ignore_errors=True)
    shutil.copytree(
        ROOT / "firmware" / "uamp", flash / "uamp", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "firmware" / "main.py", flash / "main.py")
    shutil.copy(ROOT / "boards" / f"{board}.json", flash / "board.json")


def realtime_parse(text: str) -> list[tuple[int, list[str]]]:
    """Parse a stimulus script with the runner's own parser (one grammar, one error message)."""
    sys.path.insert(0, str(RUNNER.parent))
    try:
        import realtime
    finally:
        sys.path.pop(0)
    return realtime.parse_stimulus(text)


def load_stimulus(path: Path) -> list[tuple[int, list[str]]]:
    return realtime_parse(path.read_text())


class VirtualBoard:
    """One virtual board: start() it, talk to `tty`, stop() it. Thread-safe enough for tests."""

    def __init__(
        self,
        board: str = "pico-pcm5102a-pga2311",
        flash: Path | None = None,
        link: Path | None = None,
        stimulus: Path | None = None,
        wav: Path | None = None,
        on_panel: Callable[[str], None] | None = None,
        log: Callable[[str], None] | None = None,
        wav_seconds: float | None = None,
    ):
        if not (ROOT / "boards" / f"{board}.json").exists():
            raise ValueError(f"no board profile '{board}' in boards/")
        self.board = board
        self.flash = Path(flash) if flash else default_flash(board)
        self.link = Path(link) if link else None
        self.events = load_stimulus(Path(stimulus)) if stimulus else []
        self.stimulus = Path(stimulus).resolve() if stimulus else None
        self.wav = Path(wav).resolve() if wav else None
        self.wav_seconds = wav_seconds  # keep only the last this many seconds (None: all)
        self.on_panel = on_panel
        self.log = log or (lambda text: print(text, file=sys.stderr))
        self.stopped = threading.Event()
        self.child: subprocess.Popen | None = None
        self.busy = False
        self.boots = 0
        self.started = 0.0
        self.control_w: int | None = None
        self.lock = threading.Lock()
        self.heard = 0.0  # time.monotonic() of the MCU's last status line
        self.silent = False  # said that the MCU stopped answering

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> VirtualBoard:
        self.flash.mkdir(parents=True, exist_ok=True)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # bytes pass untouched, as on a USB CDC port
        os.set_blocking(self.master, False)
        self.tty = os.ttyname(self.slave)
        if self.link:
            if self.link.exists() and not self.link.is_symlink():
                # never delete a real file or device a mistyped --link names
                os.close(self.master)
                os.close(self.slave)
                raise ValueError(
                    f"--link {self.link}: exists and is not a symlink; not replacing it"
                )
            if self.link.is_symlink():
                self.link.unlink()  # a stale link from an earlier run
            self.link.symlink_to(self.tty)
        if self.wav:
            for old in (self.wav, prev_of(self.wav)):
                if old.exists():
                    old.unlink()
        self.started = time.monotonic()
        self._spawn(raw=False, reboot=False)
        self.thread = threading.Thread(target=self._relay, name="vboard-relay", daemon=True)
        self.thread.start()
        if self.events:
            threading.Thread(target=self._play_events, name="vboard-stimulus", daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        child = self.child
        if child and child.poll() is None:
            child.terminate()
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
        if hasattr(self, "thread"):
            self.thread.join(5)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
        # remove the link only while it is still ours: a board started later may own it now
        if self.link and self.link.is_symlink() and os.readlink(self.link) == self.tty:
            self.link.unlink()
        if self.wav and self.wav_seconds:
            join_wav(self.wav, self.wav_seconds)

    def __enter__(self) -> VirtualBoard:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def control(self, line: str) -> None:
        """A hardware event now (same words as the stimulus script): `turn 2`, `press push`."""
        with self.lock:
            if self.control_w is not None:
                try:
                    os.write(self.control_w, line.strip().encode() + b"\n")
                except OSError:
                    pass

    # --- the MCU process -------------------------------------------------------------------------
    def _spawn(self, raw: bool, reboot: bool) -> None:
        status_r, status_w = os.pipe()
        control_r, control_w = os.pipe()
        args = [
            micropython(),
            "-X",
            "heapsize=32M",
            str(RUNNER),
            f"board={self.board}",
            f"fs={self.flash.resolve()}",
            f"status={status_w}",
            f"control={control_r}",
            f"t0={self.elapsed_ms()}",
            "raw=1" if raw else "raw=0",
            "reboot=1" if reboot else "reboot=0",
        ]
        if self.on_panel:
            args.append("panel=1")
        if self.stimulus:
            args.append(f"stimulus={self.stimulus}")
        if self.wav:
            args += [f"wav={self.wav}", "append=1" if self.boots else "append=0"]
            if self.wav_seconds:
                rate = json.loads((ROOT / "boards" / f"{self.board}.json").read_text())["i2s"]
                args.append(f"wavlimit={int(self.wav_seconds * rate['rate']) * 4}")
        self.child = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(status_w, control_r),
            cwd=str(ROOT),
            start_new_session=True,  # the terminal's Ctrl-C is ours, not the MCU's
            preexec_fn=_die_with_parent,
        )
        os.close(status_w)
        os.close(control_r)
        with self.lock:
            if self.control_w is not None:
                os.close(self.control_w)
            self.control_w = control_w
        self.status_r = status_r
        self.busy = False
        self.boots += 1
        self.heard = time.monotonic()
        for stream in (self.child.stdout, self.child.stderr):
            os.set_blocking(stream.fileno(), False)

    def _relay(self) -> None:
        import selectors

        pending_out = b""
        last_out = b""
        status_buf = b""
        sel = selectors.DefaultSelector()
        sel.register(self.master, selectors.EVENT_READ, "tty")
        while not self.stopped.is_set():
            child = self.child
            assert child is not None
            keys = {
                child.stdout.fileno(): "out",
                child.stderr.fileno(): "err",
                self.status_r: "status",
            }
            for fd, name in keys.items():
                sel.register(fd, selectors.EVENT_READ, name)
            restart = None
            while restart is None and not self.stopped.is_set():
                for key, _mask in sel.select(0.05):
                    name = key.data
                    try:
                        data = os.read(key.fd, 4096)
                    except OSError as e:
                        if e.errno in (errno.EAGAIN, errno.EIO):
                            continue
                        raise
                    if name == "tty":
                        self._to_child(data)
                    elif name == "out":
                        if data:
                            cooked, last_out = cook(data, last_out)
                            pending_out += cooked
                    elif name == "err":
                        if data:
                            self.log("vboard mcu: " + data.decode(errors="replace").rstrip())
                    elif name == "status":
                        status_buf += data
                        *lines, status_buf = status_buf.split(b"\n")
                        if lines:
                            self._heard()
                        for line in lines:
                            try:
                                self._status(line.decode(errors="replace"))
                            except Exception as e:  # noqa: BLE001 - a bad handler must not
                                # end the relay: the board would go silent for good
                                self.log(f"vboard: status line {line[:60]!r} failed: {e!r}")
                if pending_out:
                    pending_out = self._to_tty(pending_out)
                self._check_alive()
                code = child.poll()
                if code is not None:
                    # Drain what it printed last (the "soft reboot" line) before restarting.
                    rest = child.stdout.read() or b""
                    cooked, last_out = cook(rest, last_out)
                    pending_out = self._to_tty(pending_out + cooked)
                    restart = code
            for fd in keys:
                sel.unregister(fd)
            os.close(self.status_r)
            if self.stopped.is_set():
                break
            if restart in (EXIT_SOFT_REBOOT, EXIT_SOFT_REBOOT + 1):
                self._spawn(raw=restart == EXIT_SOFT_REBOOT + 1, reboot=True)
            else:
                self.log(f"vboard: the MCU process ended with code {restart}; power-cycling it")
                time.sleep(0.5)  # no tight loop if it keeps failing
                self._spawn(raw=False, reboot=False)

    def _heard(self) -> None:
        self.heard = time.monotonic()
        if self.silent:
            self.silent = False
            self.log("vboard: the MCU answers again")

    def _check_alive(self) -> None:
        """Say once when the MCU process runs but has stopped answering (no status line for
        SILENT_S): a real board that hangs just goes quiet, a virtual one says so."""
        quiet = time.monotonic() - self.heard
        if not self.silent and quiet > SILENT_S and self.child and self.child.poll() is None:
            self.silent = True
            self.log(
                f"vboard: the MCU has not answered for {quiet:.0f} s (process {self.child.pid} "
                "runs but is stuck, or blocked in one long call); input waits for it. "
                "Restart the virtual board if it does not come back"
            )

    def _to_child(self, data: bytes) -> None:
        """Host -> board. Ctrl-C interrupts running code (KeyboardInterrupt), as on a board."""
        child = self.child
        if not data or child is None or child.stdin is None:
            return
        if self.busy and CTRL_C in data:
            before, _, after = data.partition(bytes([CTRL_C]))
            self._write_child(before)
            try:
                child.send_signal(signal.SIGINT)
            except ProcessLookupError:
                pass
            self.busy = False  # one interrupt per Ctrl-C; the board says when it runs again
            self._to_child(after)
            return
        self._write_child(data)

    def _write_child(self, data: bytes) -> None:
        if data:
            try:
                self.child.stdin.write(data)
                self.child.stdin.flush()
            except (BrokenPipeError, ValueError):
                pass  # restarting; a board loses input during a reboot too

    def _to_tty(self, data: bytes) -> bytes:
        """Board -> host. Returns what did not fit (nobody reading): kept, up to a limit."""
        try:
            written = os.write(self.master, data)
        except BlockingIOError:
            written = 0
        except OSError:
            return b""
        rest = data[written:]
        return rest[-65536:]  # a board with no host listening drops old output too

    def _status(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        if word == "busy":
            self.busy = rest == "1"
        elif word == "interrupt":  # the Ctrl-C hit the board's tick callback: deliver again
            if self.child and self.child.poll() is None:
                self.child.send_signal(signal.SIGINT)
        elif word == "panel" and self.on_panel:
            self.on_panel(rest)
        elif word == "error":
            self.log("vboard: " + rest)

    def _play_events(self) -> None:
        for at, words in self.events:
            while not self.stopped.is_set() and self.elapsed_ms() < at:
                time.sleep(min(0.05, max(0.001, (at - self.elapsed_ms()) / 1000)))
            if self.stopped.is_set():
                return
            if words[0] == "serial":
                text = words[1] if len(words) > 1 else ""
                self._to_child(unescape(text).encode())
            elif words[0] == "stop":
                self.stopped.set()
                if self.child:
                    self.child.terminate()
                return


def prev_of(wav: Path) -> Path:
    return wav.with_name(wav.name + ".prev")  # realtime.py's WavWriter.rotate names it so


def join_wav(wav: Path, seconds: float) -> None:
    """The bounded recording's two parts (PATH.prev, full, and PATH) as one WAV of the last
    `seconds`, in time order. Both are realtime.py's 44-byte-header 16-bit stereo files; the
    data is taken by size (the header lags the data by up to 100 ms)."""
    import wave

    prev = prev_of(wav)
    if not prev.exists():
        return
    parts = [p.read_bytes() for p in (prev, wav) if p.exists()]
    rate = struct.unpack_from("<I", parts[0], 24)[0]
    frames = b"".join(part[44 : 44 + (len(part) - 44) // 4 * 4] for part in parts)
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames[-int(seconds * rate) * 4 :])
    prev.unlink()


def unescape(text: str) -> str:
    return text.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t")


def cook(data: bytes, last: bytes) -> tuple[bytes, bytes]:
    """Lone "\\n" -> "\\r\\n" (a board's USB serial output). `last` is the byte before `data`."""
    if not data:
        return data, last
    cooked = re.sub(rb"(?<!\r)\n", b"\r\n", data)
    if data[:1] == b"\n" and last == b"\r":
        cooked = cooked[1:]  # that "\n" already had its "\r"
    return cooked, data[-1:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--board", default="pico-pcm5102a-pga2311", help="profile in boards/")
    parser.add_argument("--flash", type=Path, help="folder holding the board's filesystem")
    parser.add_argument("--link", type=Path, help="symlink to create to the serial port (pty)")
    parser.add_argument("--stimulus", type=Path, help="script of timed events to play")
    parser.add_argument("--wav", type=Path, help="write the I2S output to this WAV file")
    parser.add_argument(
        "--wav-minutes", type=float, help="keep only the last N minutes in --wav (default: all)"
    )
    parser.add_argument("--erase", action="store_true", help="start with an empty filesystem")
    parser.add_argument(
        "--install",
        action="store_true",
        help="put the working tree's firmware (source) on it first",
    )
    args = parser.parse_args()
    try:
        board = VirtualBoard(
            args.board,
            args.flash,
            args.link,
            args.stimulus,
            args.wav,
            wav_seconds=args.wav_minutes * 60 if args.wav_minutes else None,
        )
    except (ValueError, OSError) as e:
        print(f"vboard: {e}", file=sys.stderr)
        return 2
    if args.erase:
        shutil.rmtree(board.flash, ignore_errors=True)
    if args.install:
        install_source(board.flash, args.board)
    signal.signal(signal.SIGTERM, lambda *_: board.stopped.set())
    try:
        board.start()
    except ValueError as e:
        print(f"vboard: {e}", file=sys.stderr)
        return 2
    where = f" (link {args.link})" if args.link else ""
    print(f"vboard: {args.board} on {board.tty}{where}, flash {board.flash}", flush=True)
    has_firmware = (board.flash / "main.py").exists()
    if not has_firmware:
        port = args.link or board.tty
        print(
            f"vboard: no firmware on its flash yet (a bare MicroPython REPL): "
            f"make deploy BOARD={args.board} PORT={port}, or restart with --install",
            flush=True,
        )
    try:
        while not board.stopped.wait(0.2):
            # the note above goes stale once a deploy puts the firmware on: say so
            now = (board.flash / "main.py").exists()
            if now != has_firmware:
                has_firmware = now
                print(
                    "vboard: firmware on its flash now (main.py); it runs from the next soft "
                    "reset (Ctrl-D; make deploy does that)"
                    if now
                    else "vboard: main.py gone from its flash: a bare REPL after the next reset",
                    flush=True,
                )
    except KeyboardInterrupt:
        pass
    board.stop()
    print("vboard: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
