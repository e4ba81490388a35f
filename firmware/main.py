"""Entry point on the board: load /board.json (installed by `make deploy`) and run.

Ctrl-C (or mpremote) interrupts asyncio.run with KeyboardInterrupt as usual; on the way out the
user's settings are written and the amp goes quiet (App.serve/App.stop), one line says so, and the
REPL takes over.
"""

import asyncio
import sys
import time

from uamp import profile
from uamp.app import App, ChipError
from uamp.board import Board
from uamp.settings import OsFs


def start():
    """Build the app, or say in one line why not. Nothing was unmuted then: the profile is
    checked before any pin is touched, and the app drives the amp enable low before the chips."""
    try:
        board_profile = profile.load("/board.json")
        board = Board(board_profile, time)
        board.fs = OsFs()  # settings live in the board's own filesystem
        return App(board_profile, board, time, sys.stdout.write)
    except (profile.ProfileError, ChipError) as e:
        print("uamp not started: %s" % e)
        print("fix it, then Ctrl-D to restart (the REPL works meanwhile)")
        return None


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
