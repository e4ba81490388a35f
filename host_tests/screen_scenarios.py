"""Screens captured from the firmware running on a simulated board, shared by test_screens.py
(which compares them with the reference images in host_tests/screens/) and tools/screenshot.py
(which writes those images and the PNGs in docs/).

Each scenario boots a board, sets it up through the real parts (knob, buttons, console,
engine), lets the panel draw and send its frame, and returns what the simulated SSD1306 shows:
the real input, gain mode, EQ preset, SPL and clip state, through the driver and the I2C bus.
Drawing goes through the real `framebuf` on MicroPython and the stand-in on CPython: both must
produce the same pixels."""

import io
import struct

import framebuf
from panel_rig import ESP32, PICO, profile, with_gain

from sim.chips.ssd1306 import Screen
from sim.simboard import SimBoard
from uamp.app import RUNNING
from uamp.ui.painter import Painter

REFERENCE_DIR = "screens"  # under host_tests/
# a 250 ohm studio class (docs/headphones.md); its own max SPL above the amp's 114 dB, so the
# amp's clip point caps it (without one, hp add now caps at the 100 dB SPL default)
HEADPHONE = "hp add studio 250 97 mw max 120\r"


def canvas(width=128, height=64):
    buf = bytearray(width * height // 8)
    fb = framebuf.FrameBuffer(buf, width, height, framebuf.MONO_VLSB)
    return Painter(fb, width, height), buf


def to_screen(buf, width, height):
    """Decode a MONO_VLSB buffer (the SSD1306 page layout) into rows of pixels."""
    image = Screen(width, height)
    for y in range(height):
        row = image.rows[y]
        base = (y >> 3) * width
        bit = 1 << (y & 7)
        for x in range(width):
            row[x] = 1 if buf[base + x] & bit else 0
    return image


def square_wav(frames=4800, half_period=240, rate=48000):
    """A full-scale square wave (a hot master) as a mono 16-bit WAV file in memory: the output
    dither takes its samples over full scale, so the engine really clips."""
    data = bytearray(2 * frames)
    for i in range(frames):
        struct.pack_into("<h", data, 2 * i, 32767 if (i // half_period) % 2 == 0 else -32767)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, 2 * rate, 2, 16)
    return io.BytesIO(header + b"data" + struct.pack("<I", len(data)) + data)


def board(name=PICO, edit=None, held=()):
    """A booted board, running, the volume at its power-on level."""
    b = SimBoard(name, profile(name, edit), held_buttons=held).boot()
    b.run_until(lambda: b.app.state == RUNNING, 2000)
    b.run_until(lambda: b.app.volume.current_db == b.app.power_on_db, 5000)
    return b


def _select(b, label):
    """In the open menu, turn to the row labelled `label`."""
    menu = b.app.panel.menu
    labels = [row[0] for row in menu.rows()]
    b.turn(labels.index(label) - menu.selected())


def _listening():
    """The Pico with a gain relay, a headphone profile and an EQ preset, as people use it."""
    b = board(PICO, with_gain)
    b.send(HEADPHONE)
    b.send("hp use studio\r")
    b.app.panel.load_eq_preset("warm")  # what the menu's EQ preset item does
    return b


def _main():
    b = _listening()
    b.turn(13)  # -30 -> -23.5 dB, slowly: 0.5 dB a detent
    return b


def _main_muted_clip():
    b = board(PICO, with_gain)
    b.app.engine.open_wav(square_wav())
    b.app.engine.select_input("wav")
    b.run_ms(300)  # the input switch fades out and in; then the output clips
    b.press("mute")
    return b


def _main_esp32():
    b = board(ESP32)
    b.turn(-9)
    return b


def _menu():
    b = _listening()
    b.press("push")
    _select(b, "EQ preset")
    return b


def _menu_edit():
    b = _listening()
    b.press("push")
    _select(b, "Balance")
    b.press("push")
    b.turn(-3)
    return b


def _menu_eq_bands():
    b = _listening()
    b.press("push")
    _select(b, "EQ bands")
    b.press("push")
    _select(b, "4 peak 3k")
    b.press("push")
    b.turn(2)  # -1.5 -> -0.5 dB
    return b


def _confirm():
    b = board(PICO, held=("push",))
    b.run_ms(3000)  # held for the factory-reset request
    b.button_up("push")
    b.turn(1)  # YES
    return b


def _main_32():
    b = board(PICO, lambda p: p["display"].update({"height": 32}))
    b.turn(-20)
    b.press("mute")
    return b


# name -> (width, height, setup returning the board)
SCENARIOS = {
    "main": (128, 64, _main),
    "main-muted-clip": (128, 64, _main_muted_clip),
    "main-esp32": (128, 64, _main_esp32),
    "menu": (128, 64, _menu),
    "menu-edit": (128, 64, _menu_edit),
    "menu-eq-bands": (128, 64, _menu_eq_bands),
    "confirm-reset": (128, 64, _confirm),
    "main-128x32": (128, 32, _main_32),
}


def live(name):
    """The scenario's board, its frame drawn and sent."""
    b = SCENARIOS[name][2]()
    b.settle_screen()
    return b


def render(name):
    """What the scenario's display shows."""
    return live(name).screen()
