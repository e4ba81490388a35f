"""Entry point on the board: load /board.json (installed by `make deploy`) and run.

Ctrl-C (or mpremote) interrupts asyncio.run with KeyboardInterrupt as usual; on the way out the
user's settings are written and the amp goes quiet (App.serve/App.stop), one line says so, and the
REPL takes over.
"""

import gc

# A Pico's heap is 240 KB and the uamp modules take about 140 KB of it as .mpy files. Loading a
# module leaves garbage between the objects it keeps; left to pile up, it splits the free heap
# into small pieces and the audio buffers no longer fit (MemoryError at boot). Collecting every
# 32 KB allocated while the modules load keeps the free heap in one piece (measured on the
# emulated RP2040: largest free block 12 KB -> 64 KB); start() sets the default back. Only on a
# small heap: on the virtual board's 32 MB heap each collection costs more than it saves.
_boot_threshold = gc.threshold()
if gc.mem_free() + gc.mem_alloc() < 1024 * 1024:
    gc.threshold(32768)

import asyncio  # noqa: E402 - after the threshold, which must be set before the imports
import sys  # noqa: E402
import time  # noqa: E402

from uamp.app import App, ChipError  # noqa: E402
from uamp.board import Board  # noqa: E402
from uamp.settings import OsFs  # noqa: E402


def read_profile(path):
    """(profile, None), or (None, the error). The checker runs once per boot and then is
    forgotten: as a .mpy it holds about 11 KB of RAM that nothing needs afterwards."""
    from uamp import profile

    try:
        return profile.load(path), None
    except profile.ProfileError as e:
        return None, e
    finally:
        del sys.modules["uamp.profile"]
        del sys.modules["uamp"].profile  # pyright: ignore[reportAttributeAccessIssue] (stubs)


def start():
    """Build the app, or say in one line why not. Nothing was unmuted then: the profile is
    checked before any pin is touched, and the app drives the amp enable low before the chips."""
    board_profile, problem = read_profile("/board.json")
    app = None
    if problem is None and board_profile is not None:  # (the same test, for the checker)
        try:
            board = Board(board_profile, time)
            board.fs = OsFs()  # settings live in the board's own filesystem
            app = App(board_profile, board, time, sys.stdout.write)
        except ChipError as e:
            problem = e
    gc.threshold(_boot_threshold)  # loading is over: collect only when the heap runs out
    gc.collect()
    if app is None:
        print("uamp not started: %s" % problem)
        print("fix it, then Ctrl-D to restart (the REPL works meanwhile)")
    return app


def main():
    app = start()
    if app is None:
        return
    board_profile = app.profile
    app.console.echo = True  # a terminal on USB serial shows only what we echo
    print("uamp ready: %s (type 'help')" % board_profile["name"])
    app.console.prompt()
    app.serve(lambda: asyncio.run(app.run()))


main()
