"""Run the firmware on a simulated board and show what it does (`make sim`).

    python tools/sim.py                      # interactive: type console commands
    python tools/sim.py --demo               # scripted walk-through, then exit
    python tools/sim.py --board esp32-...    # another board profile

Besides the firmware's own console commands (try `help`), lines starting with ':' drive the
simulated hardware: `:turn N` turns the knob N detents (negative = anticlockwise), `:run MS`
lets time pass, `:state` prints the board state, `:quit` leaves.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "host_tests"))

import simenv  # noqa: E402

simenv.install()

from sim.simboard import SimBoard  # noqa: E402

DEMO = [":state", "vol", ":turn 6", ":state", "vol -20", ":run 600", ":state", "vol loud", "help"]


def dbfs(samples) -> str:
    peak = max((abs(s) for s in samples), default=0)
    return "silence" if peak == 0 else f"{20 * math.log10(peak / 32768):.1f} dBFS peak"


def state_line(board: SimBoard) -> str:
    parts = [f"t={board.clock.ticks_ms()} ms"]
    amp = board.profile.get("amp_enable")
    if amp is not None:
        parts.append("amp " + ("on" if board.pin(amp).level() else "off"))
    if board.dac is not None:
        parts.append("DAC " + ("muted" if board.dac.muted() else "playing"))
    if board.volume_ic is not None:
        left, right = board.volume_ic.gain_db(0), board.volume_ic.gain_db(1)
        show = lambda g: "mute" if g is None else f"{g:+.1f} dB"  # noqa: E731
        parts.append(f"{board.profile['volume']['type'].upper()} L {show(left)} R {show(right)}")
    recent = board.samples(0, max(0, board.i2s.captured // 4 - 4800))
    parts.append("I2S " + dbfs(recent))
    return " | ".join(parts)


def handle(board: SimBoard, line: str) -> bool:
    """Run one input line; returns False when the user asked to quit."""
    words = line.split()
    if not words:
        return True
    if words[0] == ":quit":
        return False
    try:
        if words[0] == ":turn":
            board.turn(int(words[1]))
            board.run_ms(100)
            print(f"(knob turned {words[1]} detents)")
        elif words[0] == ":run":
            board.run_ms(int(words[1]))
        elif words[0] == ":state":
            print(state_line(board))
        elif words[0].startswith(":"):
            print("unknown simulator command; use :turn N, :run MS, :state, :quit")
        else:
            print(board.send(line + "\r"), end="")
            board.run_ms(20)
    except (IndexError, ValueError):
        print("usage: :turn N | :run MS | :state | :quit")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--board", default="pico-pcm5102a-pga2311")
    parser.add_argument("--demo", action="store_true", help="run a scripted walk-through")
    args = parser.parse_args()
    board = SimBoard(args.board).boot()
    print(f"uamp simulator: board {args.board}. Booting...")
    print(state_line(board))
    board.run_ms(250)
    print(state_line(board))
    board.run_until(lambda: board.app.volume.current_db == board.app.power_on_db, 5000)
    print(state_line(board))
    print("ready. Console commands (help) or :turn N, :run MS, :state, :quit")
    interactive = not args.demo and sys.stdin.isatty()
    lines = DEMO if args.demo else sys.stdin
    if interactive:
        print("> ", end="", flush=True)
    for line in lines:
        line = line.strip()
        if not interactive:
            print(f"> {line}")
        if board.i2s.captured > len(board.i2s.capture) // 2:
            board.i2s.clear_capture()  # keep the capture rolling for long sessions
        if not handle(board, line):
            break
        board.run_ms(10)
        if interactive:
            print("> ", end="", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
