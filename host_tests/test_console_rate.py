"""The sample rate on the console (`rate`), in `status`, and in the settings: saved, migrated from
version 2, restored at boot before the first unmute, on both board profiles."""

import json

from fake_parts import Rig
from test_console import snapshot

from sim.flashfs import FlashFS
from sim.simboard import SimBoard
from uamp import app as app_module
from uamp import settings
from uamp.settings import PATH

BOARDS = ("pico-pcm5102a-pga2311", "esp32-pcm5122-tpa6130a2")


def test_rate_command_shows_sets_and_refuses():
    rig = Rig().boot()
    eng = rig.app.engine
    assert rig.send("rate\r") == "rate 48000 Hz\r\n"
    assert rig.send("rate 48000\r") == "rate 48000 Hz\r\n"  # already: nothing to change
    before = snapshot(rig)
    for bad in ("rate 32000", "rate fast", "rate 44100.5", "rate 44100 48000", "rate -44100"):
        out = rig.send(bad + "\r")
        assert out.startswith("error: ") and out.count("\r\n") == 1, (bad, out)
        assert snapshot(rig) == before and rig.app.state == app_module.RUNNING, bad
    assert rig.send("rate 32000\r") == "error: rate must be one of 44100, 48000, 96000 Hz\r\n"
    assert rig.send("rate 44100\r").startswith("rate 44100 Hz (fading out")
    rig.run_ms(1000)  # fade out, switch, fade back in
    assert eng.rate == 44100 and rig.app.state == app_module.RUNNING and not rig.app.volume.muted
    assert json.loads(rig.send("status --json\r"))["rate"] == 44100
    assert "rate 44100 Hz" in rig.send("status\r")
    rig.app.shutdown()
    rig.run_ms(500)
    out = rig.send("rate 96000\r")
    assert out.startswith("error: not running") and eng.rate == 44100


def test_rate_is_saved_and_restored_before_the_first_unmute_on_both_boards():
    for name in BOARDS:
        _rate_saved_and_restored(name)


def _rate_saved_and_restored(name):
    board = SimBoard(name).boot()
    board.run_until(lambda: board.app.state == app_module.RUNNING, 1000)
    board.send("rate 96000\r")
    board.run_until(lambda: board.app.engine.rate == 96000, 2000)
    board.run_until(lambda: board.app.state == app_module.RUNNING, 1000)
    assert board.i2s.rate == 96000, name
    assert json.loads(board.send("status --json\r"))["rate"] == 96000, name
    assert board.send("save\r") == "settings saved\r\n", name
    again = SimBoard(name, flash=FlashFS(board.flash.image()))
    first_port = again.i2s  # opened at the profile's rate when the app was built
    assert first_port.rate == 48000, name
    again.boot()
    again.run_until(lambda: again.app.state == app_module.RUNNING, 1000)
    # The first unmute comes after the change: the 48 kHz port only ever played silence.
    assert again.i2s.rate == 96000 and again.app.engine.rate == 96000, name
    assert first_port.captured and not first_port.active, name
    assert not any(first_port.capture[: first_port.captured]), name
    again.run_until(lambda: again.app.volume.current_db == again.app.power_on_db, 3000)
    assert max(abs(s) for s in again.samples(0)) > 0, name  # and then it plays
    if hasattr(again.app.dac, "rate"):
        assert again.app.dac.rate == 96000, name  # the PCM5122 was told
    assert again.send("reset\r").endswith("settings reset to defaults\r\n"), name
    again.run_until(lambda: again.app.engine.rate == 48000, 2000)  # the profile's rate


def test_rate_setting_is_validated_and_migrated():
    for bad in (44000, "48000", True, 48000.0, [96000]):
        body = settings.defaults()
        body["rate"] = bad
        rig = Rig(flash=FlashFS({PATH: settings.encode(body)})).boot()
        assert rig.app.settings.values["rate"] is None, bad
        assert "settings: rate: must be one of 44100, 48000, 96000 Hz" in "".join(rig.out), bad
        assert rig.app.engine.rate == 48000, bad
    # Version 2 had no rate: every field comes back, the rate is the profile's.
    v2 = {"volume_db": -41.0, "bass_db": 2.0, "mute": True}
    rig = Rig(flash=FlashFS({PATH: settings.encode(v2, version=2)})).boot()
    values = rig.app.settings.values
    assert "settings: migrated from version 2" in "".join(rig.out)
    assert values["rate"] is None and values["volume_db"] == -41 and values["bass_db"] == 2
    assert rig.app.engine.rate == 48000 and rig.app.volume.target_db == -41
    assert rig.app.volume.muted
    body = settings.defaults()
    body["rate"] = 44100
    rig = Rig(flash=FlashFS({PATH: settings.encode(body)})).boot()
    assert rig.app.engine.rate == 44100 and rig.app.engine.i2s.rate == 44100
