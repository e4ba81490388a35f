"""package.json (for `mip install github:<owner>/uamp`) matches the firmware tree, carries the
firmware's version, and installs the package onto a virtual board with the pinned mpremote."""

SKIP_ON_MICROPYTHON = "reads the repository and runs mpremote and the virtual board from CPython"

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import mip_package  # noqa: E402
import vboard  # noqa: E402


def test_package_json_lists_every_firmware_module_at_the_firmware_version():
    have = json.loads((ROOT / "package.json").read_text())
    from uamp import VERSION

    assert have["version"] == VERSION
    sources = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "firmware" / "uamp").rglob("*.py")
        if "__pycache__" not in p.parts
    )
    assert sorted(src for _dest, src in have["urls"]) == sources, (
        "package.json is stale: run .venv/bin/python tools/mip_package.py"
    )
    for dest, src in have["urls"]:
        assert src == "firmware/" + dest and (ROOT / src).is_file()
    # byte for byte what the generator writes, so a regenerated file shows no diff
    assert (ROOT / "package.json").read_text() == mip_package.text()


def test_mip_install_puts_the_package_on_a_board(tmp_path):
    flash, link = tmp_path / "flash", tmp_path / "tty"
    with vboard.VirtualBoard(flash=flash, link=link):  # an empty board: a bare REPL
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "mpremote"),
                "connect",
                str(link),
                "mip",
                "install",
                str(ROOT / "package.json"),
            ],
            cwd=tmp_path,  # the sources resolve against package.json, not the cwd
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    installed = sorted(p.relative_to(flash / "lib").as_posix() for p in flash.rglob("*.py"))
    wanted = sorted(dest for dest, _src in mip_package.package()["urls"])
    assert installed == wanted  # all under /lib (the board's sys.path), nothing elsewhere
    for dest in wanted:
        assert (flash / "lib" / dest).read_bytes() == (ROOT / "firmware" / dest).read_bytes()
