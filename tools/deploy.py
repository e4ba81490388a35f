"""Copy uamp to a board with mpremote: precompiled modules, main.py and the board profile.

    python tools/deploy.py --board pico-pcm5102a-pga2311 --port /dev/ttyACM0

The profile is validated on the host first (a bad profile never reaches the board), the
firmware is compiled with mpy-cross for the board's architecture, then copied and the board
soft-reset.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "firmware"))
sys.path.insert(0, str(ROOT / "tools"))

import mpy_build  # noqa: E402

from uamp import profile  # noqa: E402

ARCH_FOR_MCU = {"rp2040": "armv6m", "esp32": "xtensawin"}


def mpremote(port: str, *args: str) -> None:
    exe = Path(sys.executable).parent / "mpremote"
    cmd = [str(exe) if exe.exists() else "mpremote", "connect", port, *args]
    print("$", " ".join(cmd[1:]))
    subprocess.run(cmd, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--board", required=True, help="profile name in boards/")
    parser.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyACM0")
    args = parser.parse_args()
    try:
        board_profile = profile.load(str(ROOT / "boards" / f"{args.board}.json"))
    except profile.ProfileError as e:
        print(f"deploy: {e}", file=sys.stderr)
        return 2
    arch = ARCH_FOR_MCU[board_profile["mcu"]]
    out = ROOT / "build" / "mpy"
    errors = mpy_build.build(arch, out)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    try:
        mpremote(args.port, "fs", "cp", "-r", str(out / arch / "uamp"), ":")
        mpremote(args.port, "fs", "cp", str(ROOT / "firmware" / "main.py"), ":main.py")
        mpremote(args.port, "fs", "cp", str(ROOT / "boards" / f"{args.board}.json"), ":board.json")
        mpremote(args.port, "soft-reset")
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"deploy: mpremote failed: {e}", file=sys.stderr)
        return 1
    print(f"deployed {args.board} ({arch}) to {args.port}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
