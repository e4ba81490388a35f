"""The real MicroPython unix port runs App.run() on a terminal (a pty): the console answers a
line read through the asyncio stdin reader while the tick loop runs, and Ctrl-C raises
KeyboardInterrupt out of asyncio.run, which is what hands a board back to the REPL/mpremote."""

SKIP_ON_MICROPYTHON = "drives the MicroPython unix port through a pty from CPython"

import contextlib  # noqa: E402
import fcntl  # noqa: E402
import os  # noqa: E402
import pty  # noqa: E402
import select  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import termios  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HOST_TESTS = Path(__file__).resolve().parent
MICROPYTHON = HOST_TESTS.parent / ".venv" / "bin" / "micropython"

SCRIPT = """
import sys
sys.path.insert(0, %r)
import simenv
simenv.install()
import asyncio
from sim.simboard import SimBoard
board = SimBoard()
board.app.console.write = sys.stdout.write
print("ready")
try:
    asyncio.run(board.app.run())
except KeyboardInterrupt:
    print("KeyboardInterrupt left asyncio.run")
"""


def _controlling_terminal():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # so the terminal's Ctrl-C becomes SIGINT for us


def _read_until(fd, text, timeout=10.0):
    seen = b""
    end = time.monotonic() + timeout
    while text.encode() not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 1024)
            except OSError:
                break
    return seen.decode(errors="replace")


@contextlib.contextmanager
def _firmware_on_a_pty():
    """The firmware (App.run on a SimBoard) in the unix port, its console on a new pty:
    yields the pty's master end once the firmware said "ready"."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "run.py"
        script.write_text(SCRIPT % str(HOST_TESTS))
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            [str(MICROPYTHON), str(script)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            close_fds=True,
            preexec_fn=_controlling_terminal,
        )
        os.close(slave)
        try:
            assert "ready" in _read_until(master, "ready")
            yield master
            os.write(master, b"\x03")
            assert "KeyboardInterrupt left asyncio.run" in _read_until(master, "asyncio.run")
            assert proc.wait(timeout=5) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)


def test_console_over_stdin_and_ctrl_c_reaches_the_top():
    with _firmware_on_a_pty() as console:
        os.write(console, b"vol -20\r")
        assert "vol -20.0 dB" in _read_until(console, "dB")


def test_a_byte_that_is_not_utf8_on_the_real_stdin_leaves_the_console_working():
    """Issue 14: one 0xFF byte used to raise UnicodeError out of the text read and end the
    console task for good; the firmware now reads stdin's bytes."""
    with _firmware_on_a_pty() as console:
        os.write(console, b"\xff\xfe\r")
        assert "error: character U+00FF" in _read_until(console, "ignored")
        os.write(console, b"vol -20\r")
        assert "vol -20.0 dB" in _read_until(console, "dB")
