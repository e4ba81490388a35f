"""A board whose profile is broken, or whose chips do not answer, boots to one clear line and
the REPL (nothing was unmuted: the profile is checked before any pin is touched):
firmware/main.py on the virtual board."""

SKIP_ON_MICROPYTHON = "drives the MicroPython unix port through a pty from CPython"

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from vboard_client import Client  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import vboard  # noqa: E402


def _boot(tmp_path, profile_text):
    flash, link = tmp_path / "flash", tmp_path / "tty"
    vboard.install_source(flash, "pico-pcm5102a-pga2311")
    if isinstance(profile_text, bytes):
        (flash / "board.json").write_bytes(profile_text)
    else:
        (flash / "board.json").write_text(profile_text)
    with vboard.VirtualBoard(flash=flash, link=link):
        term = Client(link)
        try:
            out = term.expect("uamp not started: ")
            out += term.expect("\r\n")
            term.expect(">>> ")  # main.py returned: the friendly REPL, not a traceback
            term.write("6 * 7\r")
            assert term.expect(">>> ").endswith("42\r\n>>> ")
        finally:
            term.close()
    return out


def test_corrupt_profile_boots_to_one_clear_line_and_the_repl(tmp_path):
    out = _boot(tmp_path, '{"name": "pico", "mcu": ')
    assert "not valid JSON" in out and "Traceback" not in out


def test_out_of_range_profile_names_the_key(tmp_path):
    profile = json.loads((ROOT / "boards" / "pico-pcm5102a-pga2311.json").read_text())
    profile["limits"]["max_db"] = 99
    out = _boot(tmp_path, json.dumps(profile))
    assert "limits.max_db" in out and "Traceback" not in out


def test_a_profile_that_is_not_utf8_boots_to_one_clear_line(tmp_path):
    text = (ROOT / "boards" / "pico-pcm5102a-pga2311.json").read_bytes()
    out = _boot(tmp_path, text.replace(b'"pico', b'"pic\xf6', 1))  # Latin-1, as an editor saves
    assert "not UTF-8" in out and "Traceback" not in out


def test_an_mcu_given_as_a_list_names_the_key(tmp_path):
    profile = json.loads((ROOT / "boards" / "pico-pcm5102a-pga2311.json").read_text())
    profile["mcu"] = ["rp2040"]
    out = _boot(tmp_path, json.dumps(profile))
    assert "mcu: must be one of" in out and "Traceback" not in out
