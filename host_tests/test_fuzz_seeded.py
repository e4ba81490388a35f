"""A deterministic, seeded fuzzer for issue 14 that runs on both interpreters (hypothesis is
CPython-only): its own xorshift generator gives the same inputs on CPython and on the
MicroPython unix port. It attacks what the issue found broken: serial bytes, console lines with
characters that are not printable ASCII, settings documents, board profiles, and chip faults
during quiet changes and wakes. Each test prints what it tried.

UAMP_FUZZ_SCALE=N (environment) multiplies every count, for a long run; the default keeps the
whole file at a few seconds of CPU.
"""

import json
import os

from fake_parts import Rig

from sim.flashfs import FlashFS
from sim.simboard import SimBoard, profile_path
from support import FakeAsyncio
from uamp import app as app_module
from uamp import profile as profiles
from uamp import settings, state


def _scale():
    try:
        return max(1, int(os.getenv("UAMP_FUZZ_SCALE") or 1))
    except ValueError:
        return 1


SCALE = _scale()
PICO = "pico-pcm5102a-pga2311"
ESP32 = "esp32-pcm5122-tpa6130a2"


class Random:
    """xorshift32: small, and the same numbers on every interpreter."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF or 1

    def next(self):
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x

    def below(self, n):
        return self.next() % n

    def choice(self, items):
        return items[self.below(len(items))]

    def chance(self, percent):
        return self.below(100) < percent


WORDS = (
    "help status --json vol up down mute on off toggle gain low high normal bal input tone "
    "sweep eq band preset save flat warm peak lowshelf highpass lowpass bass xfeed hp list use "
    "add del mw v max limit rate 44100 48000 96000 standby version 0 1 2 5 -3 -20 -0 12.5 +6 "
    "1000 0.7 23000 -12dB nan 1e3 0x10"
).split()
COMMANDS = "status vol mute bal eq bass xfeed hp limit rate gain input version".split()
# Characters the console must refuse a line for (not printable ASCII, not an editing key).
BAD = [chr(c) for c in range(32) if chr(c) not in "\r\n\x08\x1b\x15\x03"] + [
    "\x80",
    "\xa0",
    "\xe9",
    "\xff",
    "\u2212",  # Unicode minus
    "\u00ad",  # soft hyphen
    "\ufeff",  # byte-order mark
]
EDIT_KEYS = ["\x08", "\x7f", "\x1b[C", "\x1b[D", "\x1b[1;5C"]


def _line(rng):
    words = [rng.choice(COMMANDS)] + [rng.choice(WORDS) for _ in range(rng.below(5))]
    return " ".join(words)


def _console_state(app):
    vol = app.volume
    eng = app.engine
    return (
        vol.target_db,
        vol.muted,
        vol.balance_db,
        app.user_limit_db,
        eng.eq_bands(),
        getattr(eng, "eq_enabled", None),
        getattr(eng, "bass_db", None),
        getattr(eng, "crossfeed", None),
        getattr(eng, "rate", None),
        None if app.headphone is None else app.headphone.name,
        json.dumps(app.settings.values["eq_user"]),
    )


# --- console ---------------------------------------------------------------------------------


def test_lines_with_a_bad_character_are_refused_and_change_nothing():
    rng = Random(14)
    rig = Rig().boot()
    count = refused = 0
    for _ in range(600 * SCALE):
        line = _line(rng)
        at = rng.below(len(line) + 1)
        bad = rng.choice(BAD)
        line = line[:at] + bad + line[at:]
        before = _console_state(rig.app)
        out = rig.send(line + "\r")
        count += 1
        assert out == "error: character U+%04X is not printable ASCII, line ignored\r\n" % ord(
            bad
        ), (line, out)
        assert _console_state(rig.app) == before, line
        refused += 1
    print("seeded fuzz: %d lines with a bad character, %d refused, 0 ran" % (count, refused))
    assert refused == count == 600 * SCALE


def _stream(rng):
    """Raw serial bytes: pieces of commands, editing keys, escape sequences cut short, line
    ends, bytes that are not UTF-8, NULs."""
    out = bytearray()
    for _ in range(1 + rng.below(12)):
        kind = rng.below(6)
        if kind == 0:
            out += _line(rng).encode()
        elif kind == 1:
            out += rng.choice([b"\r", b"\n", b"\r\n"])
        elif kind == 2:
            out += rng.choice([b"\x1b", b"\x1b[", b"\x1b[1;", b"\x1b[A", b"\x1b[B", b"\x1bO"])
        elif kind == 3:
            out += bytes([rng.below(256) for _ in range(1 + rng.below(4))])
        elif kind == 4:
            out += rng.choice(EDIT_KEYS).encode()
        else:
            out += "bal \u22126".encode()  # UTF-8: three bytes of which none is ASCII
    return bytes(b for b in out if b != 3)  # Ctrl-C stops the firmware, by design


class _Stop(Exception):
    pass


class _Stdin:
    """sys.stdin with a .buffer of the given bytes, handed out one read(1) at a time."""

    def __init__(self, data):
        self.buffer = self
        self.data = data
        self.at = 0

    def read(self, n):
        if self.at >= len(self.data):
            raise _Stop()
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk


def _serial(app, data):
    """The bytes through the app's own console task (the board's stdin reader)."""
    task = app._console_task(FakeAsyncio, _Stdin(data))
    try:
        while True:
            task.send(None)
    except _Stop:
        pass


def test_serial_bytes_never_stop_the_console():
    rng = Random(1414)
    rig = Rig().boot()
    streams = total = 0
    for _ in range(400 * SCALE):
        data = _stream(rng)
        _serial(rig.app, data)
        streams += 1
        total += len(data)
        assert len(rig.app.console.line) <= 80
        # Whatever came before: a fresh line (Ctrl-U) and a command are answered as usual.
        start = len(rig.out)
        _serial(rig.app, b"\x15vol -20\r")
        out = "".join(rig.out[start:])
        assert out.endswith("vol -20.0 dB\r\n"), (data, out)
    print("seeded fuzz: %d serial byte streams (%d bytes), console answered after each"
          % (streams, total))  # fmt: skip


def test_serial_bytes_on_the_real_parts():
    rng = Random(77)
    board = SimBoard(PICO).boot()
    board.run_ms(400)
    streams = 0
    for _ in range(60 * SCALE):
        _serial(board.app, _stream(rng))
        board.run_ms(20)
        streams += 1
        start = len(board.serial_out)
        _serial(board.app, b"\x15vol -20\r")
        out = "".join(board.serial_out[start:])
        assert "vol -20.0 dB" in out or "in standby" in out or "capped" in out, out
    print("seeded fuzz: %d serial byte streams on the real parts, console answered after each"
          % streams)  # fmt: skip


# --- settings --------------------------------------------------------------------------------


def _full_settings():
    values = settings.defaults()
    values.update(
        {
            "volume_db": -12.0,
            "limit_db": -6.0,
            "balance_db": 1.5,
            "gain": "normal",
            "input": "tone",
            "eq_enabled": True,
            "eq_bands": [["peak", 1000.0 * (i + 1), 2.0, 1.0] for i in range(5)],
            "eq_user": {"mine": [["peak", 2000.0, 3.0, 1.0]] * 5},
            "bass_db": 3.0,
            "crossfeed": 1.0,
            "headphone": "hd600",
            "headphones": {"hd600": {"ohm": 300.0, "sens": 97.0, "unit": "mw", "max_spl": None}},
            "rate": 48000,
        }
    )
    return values


HOSTILE = [
    None,
    True,
    False,
    0,
    -0.0,
    16.0,
    44100,
    44100.0,
    96000,
    23000.0,
    99.0,
    -99.0,
    12.5,
    1e308,
    -1e308,
    "",
    "x" * 40,
    "flat",
    "My Preset",
    "\u2212",
    [],
    [1, 2],
    [["lowpass", 23000.0, 0.0, 0.7]],
    [["peak", 1000.0, 99.0, 1.0]],
    [["notch", 1000.0, 0.0, 1.0]],
    [[["deep"]]],
    {},
    {"a": 1},
    {"flat": [["peak", 1000.0, 1.0, 1.0]]},
    {"bad name": [["peak", 1000.0, 1.0, 1.0]]},
    {"loud": [["peak", 1000.0, 99.0, 1.0]]},
    {"x": {"ohm": -5, "sens": 100}},
]


def _mutate(rng, values):
    """1..3 changes: a field set to a hostile value, removed, or a part of it changed."""
    out = json.loads(json.dumps(values))
    names = sorted(out)
    for _ in range(1 + rng.below(3)):
        name = rng.choice(names)
        roll = rng.below(10)
        if roll == 0:
            out.pop(name, None)
        elif roll < 7 or not isinstance(out.get(name), (list, dict)) or not out[name]:
            out[name] = rng.choice(HOSTILE)
        elif isinstance(out[name], list):
            out[name][rng.below(len(out[name]))] = rng.choice(HOSTILE)
        else:
            key = rng.choice(sorted(out[name]))
            out[name][key] = rng.choice(HOSTILE)
    if rng.chance(10):
        out[rng.choice(["bogus", "Rate", "x" * 30])] = rng.choice(HOSTILE)
    return out


def _encode(body):
    data = json.dumps(body).encode()
    header = "%s %d %08x %d\n" % (
        settings.MAGIC,
        settings.VERSION,
        settings.crc32(data),
        len(data),
    )
    return header.encode() + data


def test_settings_documents_decode_to_valid_values():
    """Every mutated document decodes (bad fields reported, defaults in their place) to values
    that pass validation again with no problem at all: nothing invalid reaches the parts."""
    rng = Random(2800)
    base = _full_settings()
    count = reported = 0
    for _ in range(1500 * SCALE):
        body = _mutate(rng, base)
        problems = []
        values = settings.decode(_encode(body), problems)
        assert values is not None, problems
        again = []
        assert settings.validate(values, again) == values and again == [], (body, again)
        count += 1
        reported += len(problems)
    print("seeded fuzz: %d settings documents decoded, %d problems reported, 0 escaped"
          % (count, reported))  # fmt: skip


def test_any_settings_boot_never_loud():
    """Mutated settings on the real parts (rates, EQ, limits, headphones together): the board
    boots to RUNNING, the level is at most the power-on level and the cap in force, and the
    console answers."""
    rng = Random(524)
    base = _full_settings()
    base["rate"] = 44100
    boots = 0
    for _ in range(8 * SCALE):
        body = _mutate(rng, base)
        if rng.chance(50):
            body["eq_bands"] = [["lowpass", 23000.0, 0.0, 0.7]] + [["peak", 1000.0, 0.0, 1.0]] * 4
        board = SimBoard(PICO, flash=FlashFS({settings.PATH: _encode(body)})).boot()
        board.run_until(lambda b=board: b.app.state == app_module.RUNNING, 1000)
        board.run_ms(100)
        app = board.app
        assert app.volume.target_db <= min(app.power_on_db, state.effective_limit(app)), body
        assert board.i2s.rate == app.engine.rate, body
        assert "vol" in board.send("status\r"), body
        boots += 1
    print("seeded fuzz: %d boots from mutated settings, all running, none loud" % boots)


# --- board profiles --------------------------------------------------------------------------


def _shipped(name):
    with open(profile_path(name)) as f:
        return json.loads(f.read())


def _paths(data, prefix=()):
    """Every key path in a profile (dict keys and list indexes)."""
    out = []
    if isinstance(data, dict):
        for key in sorted(data):
            out.append(prefix + (key,))
            out += _paths(data[key], prefix + (key,))
    elif isinstance(data, list):
        for i in range(len(data)):
            out.append(prefix + (i,))
            out += _paths(data[i], prefix + (i,))
    return out


def _set(data, path, value):
    for key in path[:-1]:
        data = data[key]
    if value is _DELETE:
        if isinstance(data, dict):
            del data[path[-1]]
        else:
            data.pop(path[-1])
    else:
        data[path[-1]] = value


_DELETE = object()


def _ints_are_ints(profile):
    """What validation passed keeps its types: the fields the firmware does integer work with
    are ints (not floats, not bools)."""
    for key in ("id", "sck", "ws", "sd", "rate", "bits", "ibuf"):
        assert type(profile["i2s"][key]) is int, key
    for section in ("spi", "i2c"):
        for value in (profile.get(section) or {}).values():
            assert type(value) is int, (section, value)


def test_profile_mutations_give_a_profile_error_or_a_sound_profile():
    rng = Random(2500)
    tried = refused = 0
    for name in (PICO, ESP32):
        base = _shipped(name)
        paths = _paths(base)
        for _ in range(400 * SCALE):
            p = json.loads(json.dumps(base))
            for _ in range(1 + rng.below(2)):
                live = _paths(p)
                path = rng.choice(live if live else paths)
                _set(p, path, _DELETE if rng.chance(15) else rng.choice(HOSTILE))
            tried += 1
            try:
                profiles.validate(p, "fuzz")
            except profiles.ProfileError as e:
                refused += 1
                assert str(e).startswith("board profile "), e
                continue
            _ints_are_ints(p)
    print("seeded fuzz: %d profile mutations, %d refused with a ProfileError, 0 escaped"
          % (tried, refused))  # fmt: skip
    assert refused > tried // 2


def test_profile_files_of_any_bytes_give_a_profile_error():
    rng = Random(606)
    with open(profile_path(ESP32), "rb") as f:
        good = f.read()
    path = "/tmp/uamp-fuzz-profile.json"
    tried = 0
    for _ in range(150 * SCALE):
        data = bytearray(good)
        roll = rng.below(3)
        if roll == 0:
            data = data[: rng.below(len(data))]
        for _ in range(1 + rng.below(4)):
            data[rng.below(len(data))] = rng.choice([0xFF, 0xC3, 0x80, 0x00, rng.below(256)])
        with open(path, "wb") as f:
            f.write(data)
        tried += 1
        try:
            profiles.load(path)
        except profiles.ProfileError:
            pass
    os.remove(path)
    print("seeded fuzz: %d corrupted profile files, each loaded or refused with a ProfileError"
          % tried)  # fmt: skip


# --- chip faults during quiet changes and wakes ----------------------------------------------


def _silent_or_safe(board):
    """While a chip is faulted the output is muted: trims at zero or the chips muted."""
    app = board.app
    return app.volume.trims == (0, 0) or app.volume.hardware_muted


def test_faults_during_changes_and_wakes_always_recover():
    """A fault (NACK or time-out, DAC or volume chip) for a random while at a random moment
    of a rate change, a standby or a wake. Nothing escapes a tick; once the chip answers
    again, `standby off` and `mute off` bring the board back: playing, unmuted, port and
    engine at one rate, and a further rate change goes through."""
    rng = Random(500)
    scenarios = 0
    seen = {}
    for i in range(8 * SCALE):  # every action with each chip; moment, kind and length random
        board = SimBoard(ESP32).boot()
        board.run_until(lambda b=board: b.app.state == app_module.RUNNING, 1000)
        board.run_ms(200)
        action = ("rate", "standby on", "wake", "vol")[i % 4]
        if action == "wake":
            board.send("standby on\r")
            board.run_ms(600)
            board.send("standby off\r")
        elif action == "rate":
            board.send("rate %d\r" % rng.choice([44100, 96000]))
        elif action == "vol":
            board.send("vol %d\r" % -rng.below(40))
        else:
            board.send(action + "\r")
        board.run_ms(rng.below(400))
        chip = board.dac if i // 4 % 2 == 0 else board.volume_ic
        chip.fault = rng.choice(["nack", "timeout"])
        for _ in range(1 + rng.below(30)):
            board.run_ms(10)
            if board.app.volume.fault is not None:
                assert _silent_or_safe(board), action
        chip.fault = None
        board.run_ms(100)
        app = board.app
        board.send("standby off\r")
        board.run_ms(1500)
        board.send("mute off\r")
        board.run_ms(1500)
        name = (action, chip.__class__.__name__)
        assert app.state == app_module.RUNNING and app.volume.fault is None, (name, app.state)
        assert not app.volume.muted and board.i2s.rate == app.engine.rate, name
        rate = 48000 if app.engine.rate != 48000 else 44100
        assert "error" not in board.send("rate %d\r" % rate), name
        board.run_ms(800)
        assert app.engine.rate == rate == board.i2s.rate and app.state == app_module.RUNNING
        scenarios += 1
        seen[name] = seen.get(name, 0) + 1
    kinds = ", ".join("%s/%s %d" % (a, c[:-5], n) for (a, c), n in sorted(seen.items()))
    print("seeded fuzz: %d chip-fault scenarios, all recovered (%s)" % (scenarios, kinds))
