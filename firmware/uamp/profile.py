"""Board profiles: load the JSON description of a board and check it against the schema.

The schema is documented for people in boards/README.md; this module is its executable form.
Every problem is reported as ProfileError naming the profile and the dotted key, so a typo in a
pin number stops the boot with a clear message instead of driving the wrong GPIO.
"""

import json

from uamp.headphones import check_name

# Highest GPIO number per MCU (RP2040 datasheet 1.4.3: GPIO0..29; ESP32: GPIO0..39).
MCU_MAX_GPIO = {"rp2040": 29, "esp32": 39}
SAMPLE_RATES = (44100, 48000, 96000)
SAMPLE_BITS = (16, 32)  # output word length (uamp/audio.py: 32 bits carry the whole Q23 sample)

# Field kinds: "pin", "bool", "str", ("int", lo, hi), ("num", lo, hi), ("one of", a, b, ...).
# A key ending in "?" is optional (absent or null).
_I2S = {
    "id": ("int", 0, 1),
    "sck": "pin",
    "ws": "pin",
    "sd": "pin",
    "rate": ("one of",) + SAMPLE_RATES,
    "bits": ("one of",) + SAMPLE_BITS,
    "ibuf": ("int", 1024, 65536),
}
# Optional I2S receiver (S/PDIF or Bluetooth module) passed through as the "i2s" input: 32-bit
# words at the output's rate, clocked by the receiver module.
_I2S_IN = {
    "id": ("int", 0, 1),
    "sck": "pin",
    "ws": "pin",
    "sd": "pin",
    "ibuf": ("int", 1024, 65536),
}
_SPI = {
    "id": ("int", 0, 1),
    "sck": "pin",
    "mosi": "pin",
    "miso?": "pin",
    "baudrate": ("int", 10000, 10000000),
}
_I2C = {"id": ("int", 0, 1), "sda": "pin", "scl": "pin", "freq": ("int", 10000, 1000000)}
# Button actions (uamp/buttons.py ACTIONS); `long` and `double` are optional extra actions.
BUTTON_ACTIONS = ("mute", "menu", "input", "gain", "eq", "standby")
_ENCODER = {
    "a": "pin",
    "b": "pin",
    "steps_per_detent": ("one of", 1, 2, 4),
    "invert?": "bool",
    "max_rise_db_s?": ("int", 10, 60),  # default knob speed limit (uamp/encoder.py Accelerator)
}
_BUTTON = {
    "name": "str",
    "pin": "pin",
    "active_low?": "bool",
    "action": ("one of",) + BUTTON_ACTIONS,
    "long?": ("one of",) + BUTTON_ACTIONS,
    "double?": ("one of",) + BUTTON_ACTIONS,
}
_DISPLAY = {
    "type": ("one of", "ssd1306"),
    "bus": ("one of", "i2c"),
    "addr": ("int", 0x3C, 0x3D),
    "width": ("one of", 128),
    "height": ("one of", 32, 64),
    "dim_s?": ("int", 5, 3600),
    "blank_s?": ("int", 0, 3600),
}
_LIMITS = {"max_db": ("num", -60, 31.5), "power_on_db": ("num", -100, 0)}
# Gain modes "low" and "high": in "high" a relay GPIO adds high_db of analog gain after the
# volume stage, or (no relay) the volume IC supplies it from the top of its range.
_GAIN = {"high_db": ("num", 1, 30), "relay?": "pin"}
# Analog output chain, for loudness (uamp/headphones.py).
_OUTPUT = {
    "dac_vfs_vrms": ("num", 0.1, 20),
    "amp_gain_db?": ("num", -20, 40),
    "vmax_vrms": ("num", 0.1, 50),
    "imax_ma": ("num", 1, 5000),
    "zout_ohm?": ("num", 0, 100),
    "balanced?": "bool",
}
_HEADPHONE = {
    "name": "str",
    "impedance_ohm": ("num", 1, 100000),
    "sensitivity_db": ("num", 60, 150),
    "sensitivity_unit?": ("one of", "mw", "v"),
    "max_spl_db?": ("num", 40, 140),
}

# Chip sections: the "type" selects which keys the section takes.
DAC_TYPES = {
    "pcm5102a": {"xsmt": "pin", "flt?": "pin", "demp?": "pin"},
    "pcm5122": {"bus": ("one of", "i2c"), "addr": ("int", 0x4C, 0x4F)},
}
VOLUME_TYPES = {
    "pga2311": {"bus": ("one of", "spi"), "cs": "pin", "mute?": "pin", "zcen?": "pin"},
    "tpa6130a2": {"bus": ("one of", "i2c"), "addr": ("one of", 0x60)},
    "digital": {},
}


class ProfileError(ValueError):
    pass


def _one_of(value, options):
    """`value` is one of `options`, and of the same type: 16.0 is not the word length 16 (it
    would crash later, where an int is needed), and true is not 1."""
    for option in options:
        if type(value) is type(option) and value == option:
            return True
    return False


class _Checker:
    def __init__(self, name, mcu):
        self.name = name
        self.max_gpio = MCU_MAX_GPIO[mcu]
        self.pins_used = {}  # gpio -> key, to catch one pin wired to two functions

    def fail(self, key, message):
        raise ProfileError("board profile '%s': %s: %s" % (self.name, key, message))

    def section(self, data, fields, path):
        if not isinstance(data, dict):
            self.fail(path, "must be an object")
        known = {}
        for field, kind in fields.items():
            optional = field.endswith("?")
            key = field[:-1] if optional else field
            known[key] = True
            value = data.get(key)
            if value is None:
                if not optional:
                    self.fail(path + "." + key, "missing")
                continue
            self.field(value, kind, path + "." + key)
        for key in data:
            if key not in known:
                self.fail(path + "." + key, "unknown key")
        return data

    def field(self, value, kind, key):
        if kind == "pin":
            if type(value) is not int or not 0 <= value <= self.max_gpio:
                self.fail(key, "must be a GPIO number 0..%d, got %r" % (self.max_gpio, value))
            other = self.pins_used.get(value)
            if other is not None:
                self.fail(key, "GPIO %d is already used by %s" % (value, other))
            self.pins_used[value] = key
        elif kind == "bool":
            if type(value) is not bool:
                self.fail(key, "must be true or false, got %r" % (value,))
        elif kind == "str":
            if type(value) is not str or not value:
                self.fail(key, "must be a non-empty string, got %r" % (value,))
        elif kind[0] == "one of":
            if not _one_of(value, kind[1:]):
                self.fail(key, "must be one of %s, got %r" % (list(kind[1:]), value))
        else:
            number_types = (int,) if kind[0] == "int" else (int, float)
            if type(value) not in number_types or not kind[1] <= value <= kind[2]:
                self.fail(
                    key, "must be a %s in %r..%r, got %r" % (kind[0], kind[1], kind[2], value)
                )

    def chip(self, data, types, path, buses):
        if not isinstance(data, dict):
            self.fail(path, "must be an object")
        kind = data.get("type")
        if type(kind) is not str or kind not in types:
            self.fail(path + ".type", "must be one of %s, got %r" % (sorted(types), kind))
        fields = {"type": "str"}
        fields.update(types[kind])
        self.section(data, fields, path)
        bus = data.get("bus")
        if bus is not None and bus not in buses:
            self.fail(path + ".bus", "the profile has no '%s' section" % bus)


def _check_gain(check, gain):
    check.section(gain, _GAIN, "gain")
    high = gain["high_db"]
    if high * 2 != int(high * 2):
        check.fail("gain.high_db", "must be on the 0.5 dB grid, got %r" % (high,))


def validate(profile, name="?"):
    """Check a decoded profile; returns it unchanged or raises ProfileError."""
    if not isinstance(profile, dict):
        raise ProfileError("board profile '%s': must be a JSON object" % name)
    name = profile.get("name", name)
    mcu = profile.get("mcu")
    if type(mcu) is not str or mcu not in MCU_MAX_GPIO:
        raise ProfileError(
            "board profile '%s': mcu: must be one of %s, got %r"
            % (name, sorted(MCU_MAX_GPIO), mcu)
        )
    check = _Checker(name, mcu)
    top = {
        "name": "str",
        "mcu": "str",
        "description?": "str",
        "i2s": None,
        "i2s_in?": None,
        "spi?": None,
        "i2c?": None,
        "dac": None,
        "volume": None,
        "amp_enable?": "pin",
        "led?": "pin",
        "encoder?": None,
        "buttons?": None,
        "display?": None,
        "gain?": None,
        "limits": None,
        "output?": None,
        "headphone?": None,
    }
    for key in profile:
        if key not in top and key + "?" not in top:
            check.fail(key, "unknown key")
    for key in ("name", "i2s", "dac", "volume", "limits"):
        if profile.get(key) is None:
            check.fail(key, "missing")
    check.field(profile["name"], "str", "name")
    for key in ("amp_enable", "led"):
        if profile.get(key) is not None:
            check.field(profile[key], "pin", key)

    i2s = check.section(profile["i2s"], _I2S, "i2s")
    if mcu == "rp2040" and i2s["ws"] != i2s["sck"] + 1:
        # RP2040 machine.I2S runs on PIO with WS on the pin after SCK (MicroPython rp2 docs).
        check.fail(
            "i2s.ws",
            "on rp2040 must be the pin after i2s.sck (%d), got %d" % (i2s["sck"] + 1, i2s["ws"]),
        )
    if profile.get("i2s_in") is not None:
        i2s_in = check.section(profile["i2s_in"], _I2S_IN, "i2s_in")
        if i2s_in["id"] == i2s["id"]:
            check.fail("i2s_in.id", "must differ from i2s.id (%d)" % i2s["id"])
    buses = {}
    for key, fields in (("spi", _SPI), ("i2c", _I2C)):
        if profile.get(key) is not None:
            buses[key] = check.section(profile[key], fields, key)
    check.chip(profile["dac"], DAC_TYPES, "dac", buses)
    check.chip(profile["volume"], VOLUME_TYPES, "volume", buses)
    if profile.get("encoder") is not None:
        check.section(profile["encoder"], _ENCODER, "encoder")
    buttons = profile.get("buttons") or []
    if not isinstance(buttons, list):
        check.fail("buttons", "must be a list")
    names = {}
    for index, button in enumerate(buttons):
        check.section(button, _BUTTON, "buttons[%d]" % index)
        if button["name"] in names:
            check.fail("buttons[%d].name" % index, "'%s' is used twice" % button["name"])
        names[button["name"]] = True
    if profile.get("display") is not None:
        check.section(profile["display"], _DISPLAY, "display")
        if "i2c" not in buses:
            check.fail("display.bus", "the profile has no 'i2c' section")
    if profile.get("output") is not None:
        check.section(profile["output"], _OUTPUT, "output")
    if profile.get("gain") is not None:
        _check_gain(check, profile["gain"])
    if profile.get("headphone") is not None:
        hp = check.section(profile["headphone"], _HEADPHONE, "headphone")
        try:
            check_name(hp["name"])
        except ValueError as e:
            check.fail("headphone.name", str(e))
    limits = check.section(profile["limits"], _LIMITS, "limits")
    if limits["power_on_db"] > limits["max_db"]:
        check.fail("limits.power_on_db", "must not exceed limits.max_db")
    return profile


def load(path):
    """Read and validate a profile file. Raises ProfileError (never a bare JSON error)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ProfileError("board profile '%s': cannot read (%s)" % (path, e))
    try:
        text = data.decode()
    except ValueError:  # UnicodeError on MicroPython, UnicodeDecodeError on CPython
        raise ProfileError("board profile '%s': not UTF-8 text" % path)
    try:
        profile = json.loads(text)
    except ValueError:
        raise ProfileError("board profile '%s': not valid JSON" % path)
    except RuntimeError:  # MicroPython: nesting too deep for its parser
        raise ProfileError("board profile '%s': not valid JSON (nested too deep)" % path)
    return validate(profile, path)
