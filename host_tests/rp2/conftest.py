"""Fixtures for the emulated-Pico tests (`make test-rp2`): one booted board shared by a module.

The board runs MicroPython v1.28.0 for RPI_PICO on rp2040js (tools/rp2emu) with the layout
`make deploy` installs. Emulation runs at a fraction of real time, so tests share boots.
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "rp2emu"))

import harness  # noqa: E402

BOARD = "pico-pcm5102a-pga2311"


class Booted:
    """A board after boot: the Pico, and why the plain deploy layout failed (None if not)."""

    def __init__(self, pico, plain_failure):
        self.pico = pico
        self.plain_failure = plain_failure


def boot(board=BOARD):
    reason = harness.missing()
    if reason:
        pytest.skip(reason)
    try:
        return Booted(*harness.boot_deploy_layout(board))
    except harness.EmulatorError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def booted():
    b = boot()
    yield b
    b.pico.close()


@pytest.fixture(scope="module")
def pico(booted):
    return booted.pico
