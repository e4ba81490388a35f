"""Save uamp screens as PNG images scaled up for people to look at.

    python tools/screenshot.py main menu                 # docs/screens/main.png, menu.png
    python tools/screenshot.py --all --scale 4 --out out/
    python tools/screenshot.py --live --steps "turn 4; press push; turn 2" --name live
    python tools/screenshot.py --update-references       # rewrite host_tests/screens/*.pbm

Named screens come from host_tests/screen_scenarios.py: each boots the firmware on a simulated
board, sets it up through the real parts and captures what its SSD1306 shows (the same screens
the tests compare with their reference images). `--live` does the same for ad-hoc steps (turn N,
press BUTTON, hold BUTTON MS, run MS) on any board.
PNGs are written with zlib only (no imaging library needed).
"""

from __future__ import annotations

import argparse
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "host_tests"))

import simenv  # noqa: E402

simenv.install()

import screen_scenarios  # noqa: E402

from sim.simboard import SimBoard  # noqa: E402

# An OLED look: light cyan-white pixels on near-black glass.
LIT = (200, 240, 255)
DARK = (10, 14, 20)


def png_bytes(screen, scale: int, border: int = 4) -> bytes:
    """RGB PNG of a Screen, each pixel a scale x scale square, with a dark border."""
    width = screen.width * scale + 2 * border
    height = screen.height * scale + 2 * border
    dark = bytes(DARK)
    lit = bytes(LIT)
    blank_row = b"\x00" + dark * width
    raw = bytearray()
    for _ in range(border):
        raw += blank_row
    for y in range(screen.height):
        row = bytearray(b"\x00") + dark * border
        for x in range(screen.width):
            row += (lit if screen.rows[y][x] else dark) * scale
        row += dark * border
        for _ in range(scale):
            raw += row
    for _ in range(border):
        raw += blank_row

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def live_screen(board_name: str, steps: str):
    board = SimBoard(board_name).boot()
    board.run_until(lambda: board.app.state == 2, 5000)
    for step in filter(None, (s.strip() for s in steps.split(";"))):
        words = step.split()
        if words[0] == "turn":
            board.turn(int(words[1]))
        elif words[0] == "press":
            board.press(words[1])
        elif words[0] == "hold":
            board.hold(words[1], int(words[2]))
        elif words[0] == "run":
            board.run_ms(int(words[1]))
        else:
            raise SystemExit(f"unknown step {step!r}: use turn N, press B, hold B MS, run MS")
    screen = board.settle_screen()
    if screen is None:
        raise SystemExit(f"{board_name} has no display")
    return screen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="screens to save (see --list)")
    parser.add_argument("--all", action="store_true", help="every named screen")
    parser.add_argument("--list", action="store_true", help="list the named screens")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    parser.add_argument("--live", action="store_true", help="capture a simulated board")
    parser.add_argument("--board", default="pico-pcm5102a-pga2311")
    parser.add_argument("--steps", default="", help="for --live: 'turn 4; press push; ...'")
    parser.add_argument("--name", default="live", help="for --live: file name")
    parser.add_argument("--update-references", action="store_true")
    args = parser.parse_args()

    if args.list:
        for name, (width, height, _) in screen_scenarios.SCENARIOS.items():
            print(f"{name:18} {width}x{height}")
        return 0
    if args.update_references:
        ref_dir = ROOT / "host_tests" / screen_scenarios.REFERENCE_DIR
        for name in screen_scenarios.SCENARIOS:
            path = ref_dir / f"{name}.pbm"
            path.write_text(screen_scenarios.render(name).to_pbm())
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    shots = []
    if args.live:
        shots.append((args.name, live_screen(args.board, args.steps)))
    names = list(screen_scenarios.SCENARIOS) if args.all else args.names
    for name in names:
        if name not in screen_scenarios.SCENARIOS:
            print(f"unknown screen {name!r}; try --list", file=sys.stderr)
            return 2
        shots.append((name, screen_scenarios.render(name)))
    if not shots:
        parser.print_usage()
        return 2
    for name, screen in shots:
        path = args.out / f"{name}.png"
        path.write_bytes(png_bytes(screen, args.scale))
        print(f"wrote {path} ({screen.width}x{screen.height} at x{args.scale})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
