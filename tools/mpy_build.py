"""Cross-compile every firmware/ module with mpy-cross for the boards' architectures.

    python tools/mpy_build.py                 # both architectures, fail on any error
    python tools/mpy_build.py --arch armv6m   # one architecture (RP2040)

Output goes to build/mpy/<arch>/, mirroring firmware/. mpy-cross rejects viper code the
x86-64 unix port accepts (e.g. integer literals too wide for a 32-bit board), so this is part
of `make test`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
ARCHES = {"armv6m": "RP2040 (Cortex-M0+)", "xtensawin": "ESP32 (Xtensa LX6)"}
# Entry points stay as source: MicroPython runs boot.py/main.py only as .py files.
KEEP_AS_SOURCE = {"main.py", "boot.py"}


def mpy_cross() -> str:
    local = Path(sys.executable).parent / "mpy-cross"
    return str(local) if local.exists() else "mpy-cross"


def build(arch: str, out_root: Path) -> list[str]:
    """Compile all modules for one arch; returns error messages (empty when all compiled)."""
    errors = []
    shutil.rmtree(out_root / arch, ignore_errors=True)  # no stale modules from deleted sources
    for source in sorted(FIRMWARE.rglob("*.py")):
        rel = source.relative_to(FIRMWARE)
        if rel.name in KEEP_AS_SOURCE and rel.parent == Path("."):
            continue
        target = out_root / arch / rel.with_suffix(".mpy")
        target.parent.mkdir(parents=True, exist_ok=True)
        cmd = [mpy_cross(), f"-march={arch}", "-o", str(target), "-s", str(rel), str(source)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            errors.append(f"{arch}: {rel}: {(result.stderr or result.stdout).strip()}")
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", choices=sorted(ARCHES), action="append")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "mpy")
    args = parser.parse_args()
    arches = args.arch or sorted(ARCHES)
    errors = []
    for arch in arches:
        arch_errors = build(arch, args.out)
        count = len(list((args.out / arch).rglob("*.mpy")))
        print(f"mpy-cross {arch:9} ({ARCHES[arch]}): {count} modules, {len(arch_errors)} errors")
        errors += arch_errors
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
