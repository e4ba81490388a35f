"""Puts the firmware and the simulated board on the import path and installs the simulated
`machine` (plus, on CPython, the `micropython` stand-in). Used by conftest.py (pytest on
CPython) and mp_run.py (the MicroPython unix port), so both interpreters see the same setup."""

import sys


def _dirname(path):
    path = path.replace("\\", "/")
    return path[: path.rfind("/")] if "/" in path else "."


HERE = _dirname(__file__)
REPO = _dirname(HERE) if HERE != "." else ".."
ON_MICROPYTHON = sys.implementation.name == "micropython"


def install():
    for path in (REPO + "/firmware", HERE):
        if path not in sys.path:
            sys.path.insert(0, path)
    if not ON_MICROPYTHON:
        shim = HERE + "/sim/cpython"
        if shim not in sys.path:
            sys.path.insert(0, shim)
    from sim import machine

    sys.modules["machine"] = machine
