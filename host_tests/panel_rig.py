"""Shared by the front-panel tests: boards with edited profiles, the level that reaches the
headphones (captured I2S output plus the analog gain the chip models report), the knob menu
driven as a person would, and a spy on what the panel asks of the real settings part.

Everything here drives the real firmware parts; nothing stands in for them."""

import json
import math

from sim.simboard import SimBoard, peak, profile_path
from uamp import profile as profiles
from uamp.app import RUNNING
from uamp.audio import TONE_DBFS

PICO = "pico-pcm5102a-pga2311"
ESP32 = "esp32-pcm5122-tpa6130a2"
BOARDS = (PICO, ESP32)
TONE_PEAK = 32767 * 10 ** (TONE_DBFS / 20)
RELAY_PIN = 21  # a free GPIO on both boards, for a test profile's gain relay


def profile(name=PICO, edit=None):
    with open(profile_path(name)) as f:
        data = json.loads(f.read())
    if edit is not None:
        edit(data)
    return profiles.validate(data, name)


def with_gain(data):
    """A gain section (the shipped profiles have none yet): +12 dB high mode on a relay."""
    data["gain"] = {"high_db": 12, "relay": RELAY_PIN}


def running(name=PICO, edit=None, held=None, flash=None):
    """A board booted with the edited profile, the volume at its power-on level; pass the
    flash of an earlier board to reboot with its saved settings."""
    board = SimBoard(
        name, profile(name, edit), flash=flash, held_buttons=() if held is None else (held,)
    )
    board.boot()
    board.run_until(lambda: board.app.state == RUNNING, 2000)
    board.run_until(lambda: board.app.volume.current_db == board.app.power_on_db, 5000)
    return board


def led(board):
    return board.pin(board.profile["led"]).level()


def analog_db(board, channel):
    """Gain after the digital samples: DAC + volume IC + gain relay; None when muted/off."""
    dac = board.dac.gain_db(channel)
    ic = board.volume_ic.gain_db(channel)
    if dac is None or ic is None:
        return None
    amp = board.profile.get("amp_enable")
    if amp is not None and board.pin(amp).level() == 0:
        return None
    gain = board.profile.get("gain") or {}
    relay = gain.get("relay")
    return dac + ic + (gain["high_db"] if relay is not None and board.pin(relay).level() else 0)


def amplitude(samples):
    """Tone amplitude from the RMS (the output dither biases a peak, not the RMS)."""
    if peak(samples) == 0:
        return 0
    return math.sqrt(2 * sum(s * s for s in samples) / len(samples))


def level_db(board, ms=60, channel=0):
    """Level at the headphones over the next `ms`, in dB relative to the tone at full digital
    and 0 dB analog gain; None when nothing reaches them."""
    board.i2s.clear_capture()
    board.run_ms(ms)
    amp = amplitude(board.samples(channel))
    analog = analog_db(board, channel)
    if amp == 0 or analog is None:
        return None
    return 20 * math.log10(amp / TONE_PEAK) + analog


def open_menu(board):
    board.press("push")
    return [label for label, _ in board.app.panel.menu.rows()]


def edit_item(board, label, detents, labels=None):
    """From the top of the open menu: select `label`, edit it by `detents`, confirm, and go back
    to the top row."""
    labels = labels or [row[0] for row in board.app.panel.menu.rows()]
    index = labels.index(label)
    board.turn(index)
    board.press("push")
    board.turn(detents)
    board.press("push")
    board.turn(-index)


class SettingsSpy:
    """Counts what the panel asks of the settings part; the real part still runs."""

    def __init__(self, app):
        self.changes = 0
        self.resets = 0
        settings = app.settings
        real_changed = settings.changed
        real_reset = settings.factory_reset

        def changed():
            self.changes += 1
            real_changed()

        def factory_reset():
            self.resets += 1
            real_reset()

        settings.changed = changed
        settings.factory_reset = factory_reset
