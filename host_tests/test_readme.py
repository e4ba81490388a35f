"""The README's commands work as written on a fresh clone: every command line in its code blocks
runs a make target the Makefile has, or a program the project's .venv provides (no bare
`mpremote`, `picocom` or `screen`, which a fresh machine does not have on its PATH)."""

SKIP_ON_MICROPYTHON = "reads the repository's files from CPython"

import importlib.util  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def command_lines(text):
    """Indented code lines that are commands (not the stimulus example's `<ms> event` lines)."""
    for line in text.splitlines():
        if line.startswith("    ") and not line.startswith("     "):
            command = line.strip().split("  #")[0].strip()
            if command and not command[0].isdigit() and not command.startswith("#"):
                yield command


def test_every_readme_command_runs_from_a_fresh_clone():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split())
    commands = list(command_lines((ROOT / "README.md").read_text()))
    assert len(commands) > 10
    for command in commands:
        words = command.split()
        program = words[0]
        if program == "make":
            assert words[1] in targets, command
        elif program.startswith(".venv/bin/"):
            # the venv's own programs (make venv installs them from requirements.txt)
            assert (ROOT / program).exists(), command
            if words[1:3] == ["-m", "serial.tools.miniterm"]:
                assert importlib.util.find_spec("serial.tools.miniterm") is not None
            if program.endswith("python") and words[1].endswith(".py"):
                assert (ROOT / words[1]).is_file(), command
        else:
            raise AssertionError("not runnable on a fresh clone as written: " + command)
