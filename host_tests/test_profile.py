"""Board profiles: both shipped profiles validate; every kind of mistake is named by its key."""

import json

from sim.simboard import profile_path
from support import raises
from uamp import profile

SHIPPED = ("pico-pcm5102a-pga2311", "esp32-pcm5122-tpa6130a2")


def _pico():
    with open(profile_path("pico-pcm5102a-pga2311")) as f:
        return json.loads(f.read())


def _error(data):
    return str(raises(profile.ProfileError, profile.validate, data, "test"))


def test_shipped_profiles_validate():
    for name in SHIPPED:
        loaded = profile.load(profile_path(name))
        assert loaded["name"] == name


def test_rp2040_ws_must_follow_sck():
    data = _pico()
    data["i2s"]["ws"] = 9  # a free pin, but not sck + 1
    message = _error(data)
    assert "i2s.ws" in message and "pin after i2s.sck" in message


def test_pin_out_of_range_names_key():
    data = _pico()
    data["volume"]["cs"] = 30  # RP2040 has GPIO0..29
    message = _error(data)
    assert "volume.cs" in message and "0..29" in message


def test_pin_used_twice_is_rejected():
    data = _pico()
    data["volume"]["mute"] = data["dac"]["xsmt"]
    assert "already used by dac.xsmt" in _error(data)


def test_unknown_and_missing_keys():
    data = _pico()
    data["i2s"]["sampel_rate"] = 48000
    assert "i2s.sampel_rate: unknown key" in _error(data)
    data = _pico()
    del data["i2s"]["rate"]
    assert "i2s.rate: missing" in _error(data)
    data = _pico()
    del data["limits"]
    assert "limits: missing" in _error(data)


def test_bad_values():
    data = _pico()
    data["i2s"]["rate"] = 22050
    assert "i2s.rate" in _error(data)
    data = _pico()
    data["volume"]["type"] = "pga9999"
    assert "volume.type" in _error(data)
    data = _pico()
    data["limits"]["power_on_db"] = 6
    assert "limits.power_on_db" in _error(data)
    data = _pico()
    data["encoder"]["invert"] = 1
    assert "encoder.invert" in _error(data)
    data = _pico()
    data["mcu"] = "stm32"
    assert "mcu" in _error(data)


def test_chip_bus_must_exist():
    data = _pico()
    del data["spi"]
    assert "volume.bus" in _error(data)


def test_unreadable_or_corrupt_file():
    message = str(raises(profile.ProfileError, profile.load, "/nonexistent/board.json"))
    assert "cannot read" in message
    message = str(raises(profile.ProfileError, profile.validate, [1, 2], "x"))
    assert "JSON object" in message


def test_button_long_and_double_actions_are_checked():
    data = _pico()
    data["buttons"][1]["long"] = "standby"
    data["buttons"][1]["double"] = "input"
    profile.validate(data, "test")
    data["buttons"][1]["long"] = "explode"
    message = _error(data)
    assert "buttons[1].long" in message and "standby" in message


def test_button_names_must_be_unique():
    data = _pico()
    data["buttons"][1]["name"] = "push"
    assert "buttons[1].name" in _error(data)


def test_display_idle_times_and_knob_limit_are_checked():
    data = _pico()
    data["display"]["dim_s"] = 2
    assert "display.dim_s" in _error(data)
    data = _pico()
    data["encoder"]["max_rise_db_s"] = 200
    assert "encoder.max_rise_db_s" in _error(data)
