"""Settings: document format, checksum, per-field fallback, migration, debounce, restore at boot
(never loud), bad files of every kind."""

import json

from fake_parts import Rig

from sim.flashfs import FlashFS
from sim.simboard import SimBoard
from uamp import settings
from uamp.settings import PATH


class Clock:
    def __init__(self):
        self.now = 0

    def ticks_ms(self):
        return self.now

    def ticks_diff(self, a, b):
        return a - b


def _file(body, version=settings.VERSION):
    return settings.encode(body, version)


def _boot_with(data):
    """Boot the fake-parts app on a flash holding `data` as the settings file."""
    files = {} if data is None else {PATH: data}
    rig = Rig(flash=FlashFS(files)).boot()
    return rig


def test_crc32_check_value_and_both_implementations_agree():
    for crc in (settings.crc32, settings.crc32_bits):
        assert crc(b"123456789") == 0xCBF43926
        assert crc(b"") == 0
    data = bytes(range(256)) * 3
    assert settings.crc32(data) == settings.crc32_bits(data)
    assert settings.crc32(data[:-1] + b"\x00") != settings.crc32(data)


def test_encode_decode_round_trip():
    values = settings.defaults()
    values["volume_db"] = -12.5
    values["headphones"] = {"hd600": {"ohm": 300.0, "sens": 97.0, "unit": "mw", "max_spl": None}}
    problems = []
    assert settings.decode(settings.encode(values), problems) == values
    assert problems == []


def test_bad_files_boot_with_defaults_and_say_why():
    good = _file({"volume_db": -10.0})
    cases = {
        b"": "empty",
        good[:20]: "truncated",
        good[:-3]: "truncated",
        good.replace(b"-10.0", b"-19.0"): "checksum",
        b"\xff\x00garbage\n{}": "not a settings file",
        b"uamp-settings 2 zz 10\n0123456789": "bad header",
        _file({"volume_db": -10.0}, version=9): "unknown version",
        b"x" * (settings.MAX_BYTES + 10): "too large",
    }
    deep = b"[" * 2000 + b"]" * 2000
    header = "%s 2 %08x %d\n" % (settings.MAGIC, settings.crc32(deep), len(deep))
    cases[header.encode() + deep] = ""  # deep nesting: refused one way or another
    for data, why in cases.items():
        rig = _boot_with(data)
        assert rig.app.settings.values == settings.defaults(), why
        text = "".join(rig.out)
        assert "booting with defaults" in text and why in text, (why, text)
        assert rig.app.volume.target_db == -30  # the board's power-on level


def test_hostile_values_fall_back_field_by_field():
    body = {
        "volume_db": 30.0,  # loud: allowed in the file, capped at boot
        "mute": "yes",
        "balance_db": float("1e300"),
        "gain": "high",
        "input": ["usb"],
        "bass_db": 3.0,
        "headphones": {"a": {"ohm": -5, "sens": 100}},
        "crossfeed": None,
        "bogus": 1,
    }
    rig = _boot_with(_file(body))
    values = rig.app.settings.values
    defaults = settings.defaults()
    assert values["mute"] is False and values["balance_db"] == 0.0
    assert values["input"] is None and values["headphones"] == {}
    assert values["crossfeed"] == defaults["crossfeed"]
    assert values["gain"] == "high" and values["bass_db"] == 3.0
    text = "".join(rig.out)
    for field in ("mute", "balance_db", "input", "headphones", "crossfeed", "bogus"):
        assert "settings: %s" % field in text or "'%s'" % field in text, field
    # Never loud: the saved +30 dB comes back as the board's power-on level.
    assert rig.app.volume.target_db == -30
    assert rig.app.volume.gain_mode == "high" and rig.app.engine.bass_db == 3.0


def test_version_1_is_migrated():
    v1 = {"vol": -40.0, "muted": True, "hp": {"ohm": 32, "sens": 100}}
    rig = _boot_with(_file(v1, version=1))
    values = rig.app.settings.values
    assert values["volume_db"] == -40.0 and values["mute"] is True
    assert values["headphone"] == "default" and values["headphones"]["default"]["ohm"] == 32.0
    assert "migrated from version 1" in "".join(rig.out)
    assert rig.app.volume.target_db == -40 and rig.app.volume.muted
    assert rig.app.headphone.name == "default"


def test_debounce_one_write_after_the_knob_stops():
    fs = FlashFS()
    clock = Clock()
    store = settings.Settings(fs, clock)
    level = [-30.0]

    def capture():
        values = settings.defaults()
        values["volume_db"] = level[0]
        return values

    store.capture = capture
    for _ in range(50):  # a knob turned for 5 s, a change every 100 ms
        level[0] += 0.5
        store.changed()
        clock.now += 100
        store.tick()
    assert store.saves == 0
    clock.now += settings.SAVE_DELAY_MS
    store.tick()
    assert store.saves == 1
    assert json.loads(fs.files[PATH].split(b"\n", 1)[1])["volume_db"] == -5.0
    for _ in range(20):
        store.tick()
    assert store.saves == 1
    # Endless change still saves once MAX_DELAY_MS has passed.
    for _ in range(settings.MAX_DELAY_MS // 100 + 1):
        level[0] -= 0.01
        store.changed()
        clock.now += 100
        store.tick()
    assert store.saves == 2


def test_unchanged_settings_are_not_rewritten():
    fs = FlashFS()
    store = settings.Settings(fs, Clock())
    assert store.save()
    steps = fs.steps
    assert store.save() and fs.steps == steps


def test_full_flash_is_reported_once_and_retried():
    rig = Rig(flash=FlashFS(full=True)).boot()
    rig.send("vol -20\r")
    out = rig.send("save\r")
    assert out.startswith("error: settings not saved") and out.count("\r\n") == 1
    assert rig.send("vol\r") == "vol -20.0 dB\r\n"
    start = len(rig.out)
    rig.run_ms(settings.RETRY_MS // 2)
    assert "".join(rig.out[start:]) == ""  # no error flood while it keeps failing
    rig.flash.full = False
    rig.run_ms(settings.RETRY_MS)
    assert "settings saved" in "".join(rig.out[start:])
    again = Rig(flash=FlashFS(rig.flash.image())).boot()
    assert again.app.volume.target_db == -30 and again.app.settings.values["volume_db"] == -20


def test_everything_comes_back_after_a_reboot():
    rig = Rig().boot()
    for line in (
        "vol -24",
        "mute on",
        "gain high",
        "bal -1.5",
        "input spdif",
        "eq band 3 highshelf 8000 2 0.7",
        "eq on",
        "eq save warm",
        "bass 2",
        "xfeed 3",
        "limit -20",
        "hp add hd600 300 97 mw max 105",
        "hp use hd600",
    ):
        assert not rig.send(line + "\r").startswith("error"), line
    rig.run_ms(settings.SAVE_DELAY_MS + 100)
    assert rig.app.settings.saves >= 1
    again = Rig(flash=FlashFS(rig.flash.image())).boot()
    app = again.app
    assert app.volume.target_db == -36  # -24 moved to -36 by 'gain high' (+12 dB) was saved
    assert app.volume.muted
    assert app.volume.gain_mode == "high" and app.volume.balance_db == -1.5
    assert app.engine.input_name == "spdif" and app.engine.eq_enabled
    assert app.engine.bands[2] == ["highshelf", 8000.0, 2.0, 0.7]
    assert app.engine.bass_db == 2 and app.engine.crossfeed == 3
    assert app.user_limit_db == -20 and app.headphone.name == "hd600"
    assert "warm" in app.settings.values["eq_user"]


def test_quiet_level_comes_back_exactly():
    rig = Rig().boot()
    rig.send("vol -42.5\r")
    rig.run_ms(settings.SAVE_DELAY_MS + 100)
    again = Rig(flash=FlashFS(rig.flash.image())).boot()
    assert again.app.volume.target_db == -42.5 and not again.app.volume.muted


def test_knob_changes_are_saved_on_the_real_board():
    """The real parts do not call settings.changed() yet: the app's poll catches the knob."""
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_until(lambda: board.app.volume.current_db == -30, 5000)
    board.turn(-8)
    board.run_ms(settings.SAVE_DELAY_MS + 1500)
    again = SimBoard("pico-pcm5102a-pga2311", flash=FlashFS(board.flash.image())).boot()
    again.run_until(lambda: again.app.volume.current_db == -34, 5000)
    again.run_ms(20)  # ZCEN high: the last word waits for a zero crossing (16 ms at most)
    assert again.volume_ic.gain_db(0) == -34


def test_muted_restore_never_sounds():
    rig = Rig().boot()
    rig.send("mute on\rsave\r")
    board = SimBoard("pico-pcm5102a-pga2311", flash=FlashFS(rig.flash.image())).boot()
    board.run_ms(2000)
    assert board.app.volume.muted and board.volume_ic.gain_db(0) is None
    assert max(abs(s) for s in board.samples(0)) == 0


def test_reset_restores_defaults_and_never_raises_the_volume():
    rig = Rig().boot()
    for line in ("vol -50", "bal 3", "bass 5", "hp add a 32 100 mw", "hp use a", "limit -40"):
        rig.send(line + "\r")
    out = rig.send("reset\r")
    assert out.endswith("settings reset to defaults\r\n")
    app = rig.app
    assert app.volume.target_db == -50  # defaults would be -30: reset never turns it up
    assert app.volume.balance_db == 0 and app.engine.bass_db == 0
    assert app.headphone is None and app.user_limit_db is None and app.volume.max_db == 0
    rig.send("vol -10\r")
    rig.send("reset\r")
    assert app.volume.target_db == -30  # ...but does bring a loud level down to power-on
    rig.run_ms(settings.SAVE_DELAY_MS + 100)
    again = Rig(flash=FlashFS(rig.flash.image())).boot()
    assert again.app.settings.values["headphones"] == {}


def test_factory_reset_from_the_panel_side():
    rig = Rig().boot()
    rig.send("bass 5\rvol -10\r")
    rig.app.settings.factory_reset()
    assert rig.app.engine.bass_db == 0 and rig.app.volume.target_db == -30


def test_panel_settings_come_back_after_a_reboot():
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_ms(400)
    board.app.panel.set_brightness(3)
    board.app.panel.set_knob_limit(40)
    board.send("save\r")
    again = SimBoard("pico-pcm5102a-pga2311", flash=FlashFS(board.flash.image())).boot()
    assert again.app.panel.brightness == 3 and again.app.panel.accel.cap_db_s == 40
    hostile = settings.defaults()
    hostile["brightness"] = 11
    rig = _boot_with(_file(hostile))
    assert "settings: brightness" in "".join(rig.out)
