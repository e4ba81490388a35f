"""Screens drawn from fixed values, shared by test_screens.py (which compares them with the
reference images in host_tests/screens/) and tools/screenshot.py (which writes those images and
the PNGs in docs/). Drawing goes through the real `framebuf` on MicroPython and the stand-in on
CPython: both must produce the same pixels."""

import framebuf

from sim.chips.ssd1306 import Screen
from uamp.ui import screens
from uamp.ui.painter import Painter

REFERENCE_DIR = "screens"  # under host_tests/


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


def _status(**values):
    s = screens.Status()
    s.volume_db = -23.5
    s.min_db = -95.5
    s.max_db = 0.0
    s.input_name = "usb"
    s.gain_mode = "low"
    s.eq_preset = "harman"
    s.spl_db = 81.6
    for key in values:
        setattr(s, key, values[key])
    return s


MENU_ROWS = [
    ("Input", "usb"),
    ("Gain", "low"),
    ("Bass", "+3.0 dB"),
    ("EQ preset", "harman"),
    ("EQ bands", ">"),
    ("Crossfeed", "1"),
    ("Balance", "center"),
    ("Headphone", "HD600"),
    ("Max volume", "-6.0 dB"),
    ("Brightness", "8"),
    ("Knob limit", "20 dB/s"),
    ("About", ">"),
]


def _main(p):
    screens.main_screen(p, _status())


def _main_muted_clip(p):
    screens.main_screen(p, _status(volume_db=-6.0, muted=True, clipping=True, spl_db=None))


def _main_plus(p):
    screens.main_screen(p, _status(volume_db=12.5, input_name="tone", gain_mode="high"))


def _menu(p):
    screens.menu_screen(p, "menu", MENU_ROWS, 3, False)


def _menu_edit(p):
    screens.menu_screen(p, "menu", MENU_ROWS, 6, True)


def _confirm(p):
    screens.confirm_screen(p, ["factory reset?", "all settings", "to defaults"], ("no", "yes"), 1)


def _main_32(p):
    screens.main_screen(p, _status(volume_db=-40.0, muted=True))


# name -> (width, height, draw)
SCENARIOS = {
    "main": (128, 64, _main),
    "main-muted-clip": (128, 64, _main_muted_clip),
    "main-positive": (128, 64, _main_plus),
    "menu": (128, 64, _menu),
    "menu-edit": (128, 64, _menu_edit),
    "confirm-reset": (128, 64, _confirm),
    "main-128x32": (128, 32, _main_32),
}


def render(name):
    width, height, draw = SCENARIOS[name]
    painter, buf = canvas(width, height)
    draw(painter)
    return to_screen(buf, width, height)
