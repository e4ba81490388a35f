"""Persistent settings: a versioned document with a checksum, saved atomically and debounced.

File layout (text): a header line `uamp-settings <version> <crc32 hex> <length>` and then the
JSON body the checksum covers. A save writes the whole document to a temporary file, closes it
and renames it over the old one, so a power cut leaves the old file or the new one, never a mix;
where rename cannot replace a file (FAT) the old one is removed first and the loader falls back to
the complete temporary file. Every field is validated on its own: a bad field falls back to its
default and is reported; a bad file boots with defaults. Nothing here can make the amp loud: the
app caps the restored volume at the board's power-on level.

Saving is debounced: `changed()` marks the settings dirty, and `tick()` writes once the user
has left things alone for SAVE_DELAY_MS (or after MAX_DELAY_MS of continuous change), so
turning the knob costs one flash write, not one per detent.
"""

import json

TYPE_CHECKING = False  # pyright reads this as True: the typing import is the checker's only
if TYPE_CHECKING:
    from typing import Callable

VERSION = 3
PATH = "/settings.json"
MAGIC = "uamp-settings"
MAX_BYTES = 8192  # a larger file is not ours (or is hostile): refuse it before parsing
SAVE_DELAY_MS = 2000
MAX_DELAY_MS = 30000
RETRY_MS = 60000  # after a failed write (full or failing flash): try again this much later
MAX_NAME = 16
MAX_PROFILES = 8
MAX_EQ_PRESETS = 8
MAX_EQ_BANDS = 10


def crc32_bits(data):
    """CRC-32 (IEEE 802.3, reflected, the one zlib uses), bit by bit: no table in RAM.
    Check value: crc32_bits(b"123456789") == 0xCBF43926."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ 0xEDB88320
            else:
                crc >>= 1
    return crc ^ 0xFFFFFFFF


try:
    from binascii import crc32 as _builtin_crc32  # C code on ports that build it in
except ImportError:
    _builtin_crc32 = None


def crc32(data):
    """The same CRC-32; the built-in one when the port has it (the bitwise loop works on
    32-bit values, which are heap integers on MicroPython: slow, and it allocates)."""
    if _builtin_crc32 is not None:
        return _builtin_crc32(data) & 0xFFFFFFFF
    return crc32_bits(data)


# --- per-field validation ---------------------------------------------------------------


def _is_num(value):
    return type(value) in (int, float) and value == value and -1e9 < value < 1e9


def _num(lo, hi, nullable=False):
    def check(value):
        if value is None and nullable:
            return None
        if value is None or not _is_num(value) or not lo <= value <= hi:
            raise ValueError("must be a number %g..%g" % (lo, hi))
        return float(value)

    return check


def _int(lo, hi):
    def check(value):
        if value is None:
            return None
        if type(value) is not int or not lo <= value <= hi:
            raise ValueError("must be a whole number %d..%d" % (lo, hi))
        return value

    return check


def _bool(value):
    if type(value) is not bool:
        raise ValueError("must be true or false")
    return value


def _name(value):
    if value is None:
        return None
    if type(value) is not str or not 0 < len(value) <= MAX_NAME:
        raise ValueError("must be a name of 1..%d characters" % MAX_NAME)
    return value


def _rate(value):
    from uamp.audio import RATES

    if value is None:
        return None
    if type(value) is not int or value not in RATES:
        raise ValueError("must be one of %s Hz" % ", ".join(str(r) for r in RATES))
    return value


# What the engine takes (docs/seams.md: kinds, gains -12..+12 dB, Q 0..20); the frequency is
# checked against the sample rate when the band is used (uamp/dsp/eq.py).
EQ_KINDS = ("peak", "lowshelf", "highshelf", "lowpass", "highpass")
EQ_GAIN_DB = 12
EQ_MAX_Q = 20
EQ_MAX_HZ = 48000  # Nyquist at the highest rate


def _band(value):
    if not isinstance(value, list) or len(value) != 4:
        raise ValueError("an EQ band is [kind, freq_hz, gain_db, q]")
    kind, freq, gain, q = value
    if type(kind) is not str or kind not in EQ_KINDS:
        raise ValueError("EQ band kind must be one of %s" % ", ".join(EQ_KINDS))
    for number in (freq, gain, q):
        if not _is_num(number):
            raise ValueError("EQ band values must be numbers")
    if not 0 < freq < EQ_MAX_HZ:
        raise ValueError("EQ band frequency must be 0..%d Hz" % EQ_MAX_HZ)
    if not -EQ_GAIN_DB <= gain <= EQ_GAIN_DB:
        raise ValueError("EQ band gain must be -%d..+%d dB" % (EQ_GAIN_DB, EQ_GAIN_DB))
    if not 0 < q <= EQ_MAX_Q:
        raise ValueError("EQ band Q must be 0..%d" % EQ_MAX_Q)
    return [kind, float(freq), float(gain), float(q)]


def _bands(value):
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_EQ_BANDS:
        raise ValueError("must be a list of at most %d bands" % MAX_EQ_BANDS)
    return [_band(b) for b in value]


def _each(value, check, what, problems):
    """The entries of an object that pass `check`; each bad one is dropped and reported, so
    one bad entry does not lose the others."""
    out = {}
    for name in value:
        try:
            out[name] = check(name, value[name])
        except (ValueError, TypeError, KeyError) as e:
            problems.append("settings: %s: '%s' dropped (%s)" % (what, str(name)[:MAX_NAME], e))
    return out


def _profile(name, data):
    from uamp.headphones import Headphone

    return Headphone.from_dict(name, data).to_dict()


def _profiles(value, problems):
    if not isinstance(value, dict) or len(value) > MAX_PROFILES:
        raise ValueError("must be an object of at most %d profiles" % MAX_PROFILES)
    return _each(value, _profile, "headphones", problems)


def _preset(name, bands):
    """A saved EQ preset: a name the console can select (`eq preset NAME`: a console word, not
    hidden behind a built-in preset of that name) and bands the engine takes."""
    from uamp.headphones import check_name

    check_name(name)  # one a built-in preset hides is dropped by uamp/state.py (it knows them)
    if bands is None:
        raise ValueError("no bands")
    return _bands(bands)


def _presets(value, problems):
    if not isinstance(value, dict) or len(value) > MAX_EQ_PRESETS:
        raise ValueError("must be an object of at most %d presets" % MAX_EQ_PRESETS)
    return _each(value, _preset, "eq_user", problems)


_PER_ENTRY = (_profiles, _presets)  # validators that report their entries one by one


# name -> (validator, default). None means "leave the part's own default alone".
FIELDS = {
    "volume_db": (_num(-150, 40, True), None),
    "mute": (_bool, False),
    "limit_db": (_num(-150, 40, True), None),
    "balance_db": (_num(-40, 40), 0.0),
    "gain": (_name, None),
    "input": (_name, None),
    "eq_enabled": (_bool, False),
    "eq_preset": (_name, None),
    "eq_bands": (_bands, None),
    "eq_user": (_presets, {}),
    "bass_db": (_num(-40, 40), 0.0),
    "crossfeed": (_num(0, 100), 0.0),
    "headphone": (_name, None),
    "headphones": (_profiles, {}),
    "brightness": (_int(1, 10), None),  # front panel (display contrast)
    "knob_db_s": (_num(10, 60, True), None),  # front panel: how fast the knob may raise
    "rate": (_rate, None),  # sample rate (Hz); None: the board profile's (i2s.rate)
}


def defaults():
    out = {}
    for name in FIELDS:
        default = FIELDS[name][1]
        out[name] = dict(default) if isinstance(default, dict) else default
    return out


def validate(data, problems):
    """Per-field check of a decoded body: each bad or missing field gets its default."""
    values = defaults()
    for name in FIELDS:
        if name not in data:
            continue
        check = FIELDS[name][0]
        try:
            if check in _PER_ENTRY:
                values[name] = check(data[name], problems)
            else:
                values[name] = check(data[name])
        except (ValueError, TypeError, KeyError) as e:
            problems.append("settings: %s: %s; using the default" % (name, e))
    for name in data:
        if name not in FIELDS:
            problems.append("settings: unknown field '%s' ignored" % str(name)[:MAX_NAME])
    return values


# --- migration ----------------------------------------------------------------------------


def _from_v1(body):
    """Version 1 (the first layout) kept `vol`, `muted` and one unnamed headphone `hp`."""
    if not isinstance(body, dict):
        return body
    out = {}
    if "vol" in body:
        out["volume_db"] = body["vol"]
    if "muted" in body:
        out["mute"] = body["muted"]
    hp = body.get("hp")
    if hp is not None:
        out["headphones"] = {"default": hp}
        out["headphone"] = "default"
    return out


def _from_v2(body):
    """Version 2 had no sample rate: it comes back as the board profile's (the default)."""
    return body


MIGRATIONS = {
    1: _from_v1,
    2: _from_v2,
}  # version -> function turning that body into the next version's


# --- encoding -----------------------------------------------------------------------------


def encode(values, version=VERSION):
    body = json.dumps(values).encode()
    header = "%s %d %08x %d\n" % (MAGIC, version, crc32(body), len(body))
    return header.encode() + body


def decode(data, problems):
    """bytes -> validated values, or None (with the reason in problems) if the file is bad."""
    if len(data) > MAX_BYTES:
        problems.append("settings: file too large (%d bytes)" % len(data))
        return None
    end = data.find(b"\n")
    if end < 0:
        problems.append("settings: empty or truncated file" if data else "settings: empty file")
        return None
    words = data[:end].split()
    if len(words) != 4 or words[0] != MAGIC.encode():
        problems.append("settings: not a settings file")
        return None
    try:
        version = int(words[1])
        crc = int(words[2], 16)
        length = int(words[3])
    except ValueError:
        problems.append("settings: bad header")
        return None
    body = data[end + 1 :]
    if len(body) != length:
        problems.append("settings: truncated (%d of %d bytes)" % (len(body), length))
        return None
    if crc32(body) != crc:
        problems.append("settings: checksum mismatch")
        return None
    if not 1 <= version <= VERSION:
        problems.append("settings: unknown version %d" % version)
        return None
    try:
        parsed = json.loads(body)
    except Exception:  # noqa: BLE001 - ValueError, or RuntimeError on deep nesting (MicroPython)
        problems.append("settings: body is not valid JSON")
        return None
    if not isinstance(parsed, dict):
        problems.append("settings: body is not an object")
        return None
    while version < VERSION:
        parsed = MIGRATIONS[version](parsed)
        version += 1
        problems.append("settings: migrated from version %d" % (version - 1))
    return validate(parsed, problems)


class OsFs:
    """The board's own filesystem, with the three calls Settings needs."""

    def open(self, path, mode):
        return open(path, mode)

    def rename(self, old, new):
        import os

        os.rename(old, new)

    def remove(self, path):
        import os

        os.remove(path)


class Settings:
    def __init__(self, fs, clock, path=PATH, report=None):
        self.fs = fs
        self.clock = clock
        self.path = path
        self.tmp_path = path + ".tmp"
        self.report = report
        self.values = defaults()
        self.problems = []
        # set by the app: returns the values to save, from the live parts
        self.capture: "Callable[[], dict] | None" = None
        # set by the app: puts the defaults into the parts
        self.on_reset: "Callable[[], None] | None" = None
        self.dirty = False
        self.first_change = 0
        self.last_change = 0
        self.saved = None  # bytes of the last document written or loaded
        self.saves = 0
        self.failed_at = None  # ticks_ms of the last failed write, while failing
        self.error = None

    def _read(self, path):
        try:
            with self.fs.open(path, "rb") as f:
                return f.read(MAX_BYTES + 1)
        except OSError:
            return None

    def load(self):
        """Read the file (or the complete temporary file a cut rename left); returns problems."""
        self.problems = []
        data = None if self.fs is None else self._read(self.path)
        values = None
        if data is not None:
            values = decode(data, self.problems)
        if values is None and self.fs is not None:
            spare = self._read(self.tmp_path)
            if spare is not None:
                values = decode(spare, [])
                if values is not None:
                    self.problems.append("settings: recovered the last save")
                    data = spare
                    self._promote()
        if values is None:
            if data is not None:
                self.problems.append("settings: booting with defaults")
            values = defaults()
            data = None
        self.values = values
        self.saved = data
        return self.problems

    def _promote(self):
        """Make the recovered temp file the settings file before the next save reuses the temp
        name (else that save would truncate the only good copy)."""
        try:
            self._replace()
        except OSError:
            pass  # read-only or failing flash: the next boot recovers it again

    def changed(self):
        """A user-visible setting changed: save once things are quiet."""
        now = self.clock.ticks_ms()
        if not self.dirty:
            self.first_change = now
        self.dirty = True
        self.last_change = now

    def tick(self):
        if not self.dirty:
            return
        now = self.clock.ticks_ms()
        if self.failed_at is not None and self.clock.ticks_diff(now, self.failed_at) < RETRY_MS:
            return
        quiet = self.clock.ticks_diff(now, self.last_change) >= SAVE_DELAY_MS
        overdue = self.clock.ticks_diff(now, self.first_change) >= MAX_DELAY_MS
        if quiet or overdue:
            self.save()

    def save(self, report=True):
        """Write now (if anything differs from the file). Returns True when the file is current;
        on a failure `error` says why (reported here unless the caller reports it)."""
        self.dirty = False
        if self.capture is not None:
            self.values = self.capture()
        data = encode(self.values)
        if data == self.saved:
            return True
        if self.fs is None:
            self.error = "no filesystem"
            return False
        try:
            self._write(data)
        except OSError as e:
            self.error = "%s" % e
            if report and self.failed_at is None and self.report is not None:
                self.report("error: settings not saved (%s); retrying every minute" % e)
            self.failed_at = self.clock.ticks_ms()
            self.dirty = True  # keep them pending: a failed save must not be forgotten
            return False
        if self.failed_at is not None and self.report is not None:
            self.report("settings saved")
        self.failed_at = None
        self.saved = data
        self.saves += 1
        return True

    def _write(self, data):
        with self.fs.open(self.tmp_path, "wb") as f:
            f.write(data)
        self._replace()

    def _replace(self):
        try:
            self.fs.rename(self.tmp_path, self.path)
        except OSError:
            # FAT cannot rename over a file; the loader uses the complete temp file if we are
            # cut between these two steps.
            try:
                self.fs.remove(self.path)
            except OSError:
                pass
            self.fs.rename(self.tmp_path, self.path)

    def factory_reset(self):
        """Back to defaults, in the parts too (the front panel's long-hold reset)."""
        if self.on_reset is not None:
            self.on_reset()
        else:
            self.values = defaults()
            self.changed()
