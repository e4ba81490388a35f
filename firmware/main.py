"""Entry point on the board: load /board.json (installed by `make deploy`) and run."""

import asyncio
import sys
import time

from uamp import profile
from uamp.app import App
from uamp.board import Board


def main():
    board_profile = profile.load("/board.json")
    app = App(board_profile, Board(board_profile, time), time, sys.stdout.write)
    print("uamp ready: %s" % board_profile["name"])
    asyncio.run(app.run())


main()
