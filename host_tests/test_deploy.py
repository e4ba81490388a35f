"""`make deploy` end to end against the virtual board, with the real mpremote client: compile,
copy only what changed, soft-reset, ready line; then the firmware answers through the pty."""

SKIP_ON_MICROPYTHON = "runs make, mpremote and the virtual board from CPython"

import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from vboard_client import Client  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import vboard  # noqa: E402

BOARD = "pico-pcm5102a-pga2311"


def make_deploy(board, port):
    result = subprocess.run(
        ["make", "--no-print-directory", "deploy", f"BOARD={board}", f"PORT={port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return result.returncode, result.stdout + result.stderr


def test_make_deploy_boots_and_answers_on_the_pty(tmp_path):
    flash, link = tmp_path / "flash", tmp_path / "tty"
    with vboard.VirtualBoard(board=BOARD, flash=flash, link=link):
        code, out = make_deploy(BOARD, link)
        assert code == 0, out
        assert f"uamp ready: {BOARD}" in out
        assert (flash / "board.json").exists() and (flash / "uamp" / "app.mpy").exists()
        assert not list((flash / "uamp").rglob("*.py"))  # compiled modules only
        # Deploying again copies nothing: mpremote compares SHA-256 first.
        code, out = make_deploy(BOARD, link)
        assert code == 0, out
        assert "Up to date: " in out and f"uamp ready: {BOARD}" in out
        term = Client(link)
        try:
            from uamp import VERSION

            term.write("version\r")
            term.expect(f"uamp {VERSION}", timeout=10)
            term.write("status --json\r")
            term.expect("\r\n{", timeout=10)  # after the echoed command line
            status = json.loads("{" + term.expect("\r\n", timeout=10))
            assert isinstance(status["volume_db"], float) and status["uptime"] >= 0
        finally:
            term.close()
        # Then the on-board benchmark (mpremote stops the firmware, as on a real board).
        bench = subprocess.run(
            ["make", "--no-print-directory", "bench-board", f"PORT={link}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert bench.returncode == 0, bench.stdout + bench.stderr
        print(bench.stdout)  # the figures (x64 viper on the host: not a board's numbers)
        assert re.search(r"us/buffer +[0-9.]+ % of the core", bench.stdout)


def test_deploy_failure_is_clear(tmp_path):
    # A board whose boot.py puts a broken package first on the path: the firmware cannot start,
    # and deploy must say so, with the board's traceback, instead of claiming success.
    flash, link = tmp_path / "flash", tmp_path / "tty"
    import mpy_build

    assert not mpy_build.build("x64", tmp_path / "mpy")
    shutil.copytree(tmp_path / "mpy" / "x64" / "uamp", flash / "uamp")  # hashes match: no copy
    (flash / "broken" / "uamp").mkdir(parents=True)
    (flash / "broken" / "uamp" / "__init__.py").write_text("raise ImportError('stale copy')\n")
    (flash / "boot.py").write_text("import sys\nsys.path.insert(0, '/broken')\n")
    with vboard.VirtualBoard(board=BOARD, flash=flash, link=link):
        code, out = make_deploy(BOARD, link)
    assert code != 0 and "deploy: the firmware failed to start" in out
    assert "ImportError: stale copy" in out and "deployed" not in out


def test_deploy_to_a_missing_port_fails_cleanly(tmp_path):
    code, out = make_deploy(BOARD, tmp_path / "no-such-tty")
    assert code != 0 and "deploy: " in out and "Traceback" not in out


def test_manifest_freezes_the_uamp_package_at_its_version():
    calls = []

    def record(name):
        return lambda *args, **kwargs: calls.append((name, args, kwargs))

    names = {n: record(n) for n in ("metadata", "include", "package", "module", "require")}
    exec((ROOT / "manifest.py").read_text(), names)
    from uamp import VERSION

    assert (
        "metadata",
        (),
        {"description": calls[0][2]["description"], "version": VERSION},
    ) in calls
    packages = [c for c in calls if c[0] == "package"]
    assert packages == [("package", ("uamp",), {"base_path": "firmware"})]
    assert (ROOT / "firmware" / "uamp" / "__init__.py").exists()


def test_deploy_refuses_a_profile_for_another_board_before_copying(tmp_path):
    # Before: the ESP32 profile deployed onto a virtual Pico was copied, then failed to start.
    flash, link = tmp_path / "flash", tmp_path / "tty"
    with vboard.VirtualBoard(board=BOARD, flash=flash, link=link):
        code, out = make_deploy("esp32-pcm5122-tpa6130a2", link)
        assert code != 0, out
        assert f"simulates '{BOARD}'" in out and "nothing was copied" in out, out
        assert "Traceback" not in out and "[3/5]" not in out  # stopped at the board check
        assert not (flash / "board.json").exists() and not (flash / "uamp").exists()
        assert not (flash / "main.py").exists()


def test_a_real_board_of_another_mcu_is_refused():
    import deploy

    from uamp import profile

    esp32 = profile.load(str(ROOT / "boards" / "esp32-pcm5122-tpa6130a2.json"))
    try:
        deploy.choose_arch(esp32, "rp2", "armv6m")
    except deploy.DeployError as e:
        assert "xtensawin" in str(e) and "nothing was copied" in str(e)
    else:
        raise AssertionError("an ESP32 profile was accepted for a Pico")
    pico = profile.load(str(ROOT / "boards" / f"{BOARD}.json"))
    assert deploy.choose_arch(pico, "rp2", "armv6m") == "armv6m"
    assert deploy.choose_arch(pico, "linux", "x64", (BOARD, "rp2040"), BOARD) == "x64"
