"""package.json for `mip install`, generated from the firmware tree so it never goes stale.

    python tools/mip_package.py          # rewrite package.json at the repository's root
    python tools/mip_package.py --check  # exit 1 if package.json differs from the tree

`mpremote mip install github:<owner>/uamp` (or `mip.install("github:<owner>/uamp")` on a
networked board) reads package.json at the root of the repository and copies each file of
"urls" ([destination, source]) into the board's /lib. The sources are relative to
package.json, so the same file serves the original repository and every fork. It installs the
`uamp` package only; `main.py` and the board profile are per board (see the README).
host_tests/test_package_json.py checks the file against the tree and installs it onto a
virtual board with the pinned mpremote.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
PACKAGE_JSON = ROOT / "package.json"


def firmware_version() -> str:
    """uamp.VERSION, read from the source (no import needed)."""
    for line in (FIRMWARE / "uamp" / "__init__.py").read_text().splitlines():
        if line.startswith("VERSION"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise SystemExit("firmware/uamp/__init__.py has no VERSION line")


def package() -> dict:
    urls = []
    for source in sorted((FIRMWARE / "uamp").rglob("*.py")):
        if "__pycache__" in source.parts:
            continue
        urls.append([source.relative_to(FIRMWARE).as_posix(), source.relative_to(ROOT).as_posix()])
    return {"urls": urls, "version": firmware_version()}


def text() -> str:
    """One [destination, source] pair a line, as micropython-lib writes its package files."""
    pkg = package()
    pairs = ",\n".join("    " + json.dumps(pair) for pair in pkg["urls"])
    return '{\n  "urls": [\n%s\n  ],\n  "version": %s\n}\n' % (pairs, json.dumps(pkg["version"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    wanted = text()
    if args.check:
        have = PACKAGE_JSON.read_text() if PACKAGE_JSON.exists() else ""
        if have != wanted:
            print("package.json is stale: run python tools/mip_package.py", file=sys.stderr)
            return 1
        return 0
    PACKAGE_JSON.write_text(wanted)
    print(f"wrote {PACKAGE_JSON.relative_to(ROOT)} ({len(package()['urls'])} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
