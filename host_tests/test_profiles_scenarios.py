"""The emulated Pico's scenarios (host_tests/rp2) on the simulated board, for every shipped
profile, under CPython and the MicroPython unix port. Only the Pico profile also runs on an
emulated RP2040 (`make test-rp2`); the ESP32 profile is not emulated, so this is where its
logic (power-up, console, knob, audio, settings across a reboot) is proven end to end."""

import json

from sim.simboard import SimBoard

SHIPPED = ("pico-pcm5102a-pga2311", "esp32-pcm5122-tpa6130a2")
RUNNING = 2  # uamp/app.py state once power-up is done


def _status(board):
    reply = board.send("status --json\r")
    return json.loads(reply[reply.index("{") : reply.rindex("}") + 1])


def _scenario(name):
    board = SimBoard(name).boot()
    board.run_until(lambda: board.app.state == RUNNING, 3000)
    assert "vol -20.0 dB" in board.send("vol -20\r")
    board.send("mute off\r")
    board.run_until(lambda: board.app.volume.current_db == -20.0, 4000)
    board.turn(2)  # two slow detents: 0.5 dB each
    board.run_until(lambda: board.app.volume.current_db == -19.0, 2000)
    board.send("bal 1.5\r")
    board.run_ms(500)
    status = _status(board)
    assert status["volume_db"] == -19.0 and status["balance_db"] == 1.5
    assert status["underruns"] == 0 and status["mute"] is False
    assert "error:" in board.send("frobnicate\r")
    board.send("vol -36\r")
    board.send("save\r")
    again = SimBoard(name, flash=board.flash).boot()  # a power cycle: the same flash
    again.run_until(lambda: again.app.state == RUNNING, 3000)
    again.run_until(lambda: _status(again)["volume_db"] == -36.0, 2000)
    assert _status(again)["balance_db"] == 1.5


def test_pico_profile_scenarios_on_the_sim():
    _scenario(SHIPPED[0])


def test_esp32_profile_scenarios_on_the_sim():
    _scenario(SHIPPED[1])
