"""Put uamp on a board with mpremote: precompiled modules, main.py and the board profile.

    python tools/deploy.py --board pico-pcm5102a-pga2311 --port /dev/ttyACM0

1. validates the profile on the host (a bad profile never reaches the board);
2. asks the board what it is (sys.platform, the native code arch of its .mpy files) and checks
   that it matches the profile's MCU (the virtual board, a unix port, takes its own arch and
   says which profile it simulates: `import _vboard`); a profile for another board is refused
   here, before anything is copied;
3. compiles the firmware with mpy-cross for that arch;
4. copies with `mpremote fs cp`, which skips files whose SHA-256 already matches (progress
   shown), removes modules the build no longer has, installs the profile as /board.json;
5. soft-resets and waits for the firmware's `uamp ready: <profile>` line.
Any failure stops with one clear message and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "firmware"))
sys.path.insert(0, str(ROOT / "tools"))

import mpy_build  # noqa: E402

from uamp import profile  # noqa: E402

ARCH_FOR_MCU = {"rp2040": "armv6m", "esp32": "xtensawin"}
# sys.implementation._mpy >> 10 indexes this (MicroPython py/persistentcode.h, MP_NATIVE_ARCH_*)
NATIVE_ARCHES = [
    None,
    "x86",
    "x64",
    "armv6",
    "armv6m",
    "armv7m",
    "armv7em",
    "armv7emsp",
    "armv7emdp",
    "xtensa",
    "xtensawin",
    "rv32imc",
    "rv64imc",
]
READY = b"uamp ready: "
NOT_STARTED = b"uamp not started: "  # main.py's one line when the profile or a chip is wrong
HOST_PLATFORMS = ("linux", "darwin", "win32")  # unix ports: the virtual board


class DeployError(Exception):
    pass


def mpremote_exe() -> str:
    exe = Path(sys.executable).parent / "mpremote"
    return str(exe) if exe.exists() else "mpremote"


def mpremote(port: str, *args: str, capture: bool = False) -> str:
    cmd = [mpremote_exe(), "connect", port, *args]
    result = subprocess.run(cmd, capture_output=capture, text=True, timeout=120)
    if capture and "could not enter raw repl" in result.stderr:
        # the first contact stops the firmware, whose way out (mute, settings save) can outlast
        # mpremote's wait for the raw REPL on a busy host; the board is at its REPL now
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip() if capture else ""
        raise DeployError(f"mpremote {' '.join(args[:2])} failed on {port}. {detail}".strip())
    return result.stdout if capture else ""


# sys.platform, the .mpy arch word and, on the virtual board, the profile it simulates
FACTS = (
    "import sys\n"
    "try:\n import _vboard\n sim = (_vboard.board, _vboard.mcu)\n"
    "except ImportError:\n sim = None\n"
    "print(repr((sys.platform, getattr(sys.implementation, '_mpy', 0), sim)))\n"
)


def board_facts(port: str) -> tuple[str, str | None, tuple[str, str] | None]:
    """(sys.platform, native arch or None, (profile, mcu) a virtual board simulates or None)
    as the connected board reports them."""
    out = mpremote(port, "exec", FACTS, capture=True)
    try:
        platform, mpy, simulated = ast.literal_eval(out.strip().splitlines()[-1])
    except (ValueError, SyntaxError, IndexError, TypeError):
        raise DeployError(f"the board on {port} did not answer like MicroPython: {out!r}")
    index = (mpy >> 10) & 0xF
    arch = NATIVE_ARCHES[index] if index < len(NATIVE_ARCHES) else None
    return platform, arch, tuple(simulated) if simulated else None


def choose_arch(
    board_profile: dict,
    platform: str,
    arch: str | None,
    simulated: tuple[str, str] | None = None,
    board: str | None = None,
) -> str:
    """The arch to compile for; DeployError, before anything is copied, when the profile is for
    another board than the one on the port."""
    wanted = ARCH_FOR_MCU[board_profile["mcu"]]
    if platform in HOST_PLATFORMS:
        if simulated is not None and simulated[0] != (board or board_profile["name"]):
            raise DeployError(
                f"the virtual board on the other end simulates '{simulated[0]}' "
                f"({simulated[1]}), not '{board or board_profile['name']}' "
                f"({board_profile['mcu']}): deploy BOARD={simulated[0]}, or start the virtual "
                f"board with that profile (make vboard BOARD={board or board_profile['name']}); "
                "nothing was copied"
            )
        if arch is None:
            raise DeployError(f"the {platform} port on the other end runs no native code")
        print(f"virtual board ({platform} port): compiling for its {arch} instead of {wanted}")
        return arch
    if arch != wanted:
        raise DeployError(
            f"profile '{board_profile['name']}' is for {board_profile['mcu']} ({wanted}) but the "
            f"board reports {platform} ({arch}): wrong profile or wrong port? nothing was copied"
        )
    return arch


def remote_files(port: str, folder: str) -> set[str]:
    code = (
        "import os\n"
        "def walk(d):\n"
        " try:\n  entries = list(os.ilistdir(d))\n except OSError:\n  return\n"
        " for e in entries:\n"
        "  p = d + '/' + e[0]\n"
        "  if e[1] & 0x4000:\n   walk(p)\n  else:\n   print(p)\n"
        f"walk('/{folder}')\n"
    )
    return set(mpremote(port, "exec", code, capture=True).split())


def layout(build: Path, board: str) -> dict[str, Path]:
    """What goes on the board's filesystem: its path there -> the local file. The compiled
    modules of `build` (one arch's mpy_build output), /main.py and the profile as /board.json.
    The emulated Pico (tools/rp2emu) builds its flash image from the same list."""
    files = {"/" + str(p.relative_to(build)): p for p in sorted((build / "uamp").rglob("*.mpy"))}
    files["/main.py"] = ROOT / "firmware" / "main.py"
    files["/board.json"] = ROOT / "boards" / f"{board}.json"
    return files


def copy(port: str, build: Path, board: str) -> None:
    files = layout(build, board)
    local = {path for path in files if path.startswith("/uamp/")}
    stale = sorted(remote_files(port, "uamp") - local)
    commands = [["fs", "rm", ":" + path] for path in stale]
    commands.append(["fs", "cp", "-r", str(build / "uamp"), ":"])
    commands.append(["fs", "cp", str(files["/main.py"]), ":main.py"])
    commands.append(["fs", "cp", str(files["/board.json"]), ":board.json"])
    args: list[str] = []
    for command in commands:  # one connection; "+" separates mpremote commands
        args += (["+"] if args else []) + command
    if stale:
        print(f"removing {len(stale)} stale file(s): {' '.join(stale)}")
    mpremote(port, *args)


def wait_ready(port: str, name: str, timeout: float) -> str:
    """Soft-reset from the friendly REPL and read until the firmware's ready line."""
    import serial

    try:
        link = serial.serial_for_url(port, baudrate=115200, timeout=0.1, exclusive=True)
    except (OSError, ValueError) as e:
        raise DeployError(f"cannot open {port}: {e}")
    seen = b""
    try:
        link.write(b"\r\x03\x03")  # stop whatever runs; an empty friendly REPL line
        time.sleep(0.1)
        link.reset_input_buffer()
        link.write(b"\x04")  # Ctrl-D: soft reboot, runs boot.py and main.py
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen += link.read(256)
            at = seen.find(READY)
            if at >= 0 and b"\n" in seen[at:]:
                line = seen[at:].split(b"\n")[0].decode(errors="replace").strip()
                if not line.startswith(READY.decode() + name):
                    raise DeployError(f"the board came up as another profile: {line!r}")
                return line
            failed = b"Traceback" in seen or NOT_STARTED in seen
            if failed and seen.rstrip().endswith(b">>>"):
                break  # the board is back at its REPL: no ready line is coming
    finally:
        link.close()
    text = seen.decode(errors="replace").strip()
    if b"Traceback" in seen or NOT_STARTED in seen:
        raise DeployError(f"the firmware failed to start:\n{text}")
    raise DeployError(
        f"no '{READY.decode()}' line within {timeout:.0f} s; the board said:\n{text}"
    )


def deploy(board: str, port: str, timeout: float = 20.0) -> str:
    steps = 5
    print(f"[1/{steps}] profile {board}")
    try:
        board_profile = profile.load(str(ROOT / "boards" / f"{board}.json"))
    except profile.ProfileError as e:
        raise DeployError(str(e))
    print(f"[2/{steps}] asking the board on {port} what it is")
    platform, native, simulated = board_facts(port)
    arch = choose_arch(board_profile, platform, native, simulated, board)
    print(f"[3/{steps}] mpy-cross -march={arch}")
    out = ROOT / "build" / "mpy"
    errors = mpy_build.build(arch, out)
    if errors:
        raise DeployError("\n".join(errors))
    print(f"[4/{steps}] copying changed files (mpremote skips identical ones)")
    copy(port, out / arch, board)
    print(f"[5/{steps}] soft reset, waiting for the ready line")
    line = wait_ready(port, board_profile["name"], timeout)
    print(line)
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--board", required=True, help="profile name in boards/")
    parser.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyACM0")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for ready")
    args = parser.parse_args()
    try:
        deploy(args.board, args.port, args.timeout)
    except DeployError as e:
        print(f"deploy: {e}", file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired:
        print(f"deploy: mpremote did not finish talking to {args.port}", file=sys.stderr)
        return 1
    print(f"deployed {args.board} to {args.port}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
