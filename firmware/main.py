"""Entry point on the board: load /board.json (installed by `make deploy`) and run.

Ctrl-C (or mpremote) interrupts asyncio.run with KeyboardInterrupt as usual; on the way out the
amp is muted and pending settings are written, then the REPL takes over.
"""

import asyncio
import sys
import time

from uamp import profile
from uamp.app import App
from uamp.board import Board
from uamp.settings import OsFs


def main():
    board_profile = profile.load("/board.json")
    board = Board(board_profile, time)
    board.fs = OsFs()  # settings live in the board's own filesystem
    app = App(board_profile, board, time, sys.stdout.write)
    app.console.echo = True  # a terminal on USB serial shows only what we echo
    print("uamp ready: %s (type 'help')" % board_profile["name"])
    app.console.prompt()
    try:
        asyncio.run(app.run())
    finally:
        app.volume.mute(True)
        app.settings.save()


main()
