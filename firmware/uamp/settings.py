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


# name -> default; None means "leave the part's own default alone". Each name's check is in
# uamp/settings_check.py CHECKS.
DEFAULTS = {
    "volume_db": None,
    "mute": False,
    "limit_db": None,
    "balance_db": 0.0,
    "gain": None,
    "input": None,
    "eq_enabled": False,
    "eq_preset": None,
    "eq_bands": None,
    "eq_user": {},
    "bass_db": 0.0,
    "crossfeed": 0.0,
    "headphone": None,
    "headphones": {},
    "brightness": None,  # front panel (display contrast)
    "knob_db_s": None,  # front panel: how fast the knob may raise
    "rate": None,  # sample rate (Hz); None: the board profile's (i2s.rate)
}


def defaults():
    out = {}
    for name in DEFAULTS:
        default = DEFAULTS[name]
        out[name] = dict(default) if isinstance(default, dict) else default
    return out


# --- encoding -----------------------------------------------------------------------------


def encode(values, version=VERSION):
    body = json.dumps(values).encode()
    header = "%s %d %08x %d\n" % (MAGIC, version, crc32(body), len(body))
    return header.encode() + body


def decode(data, problems):
    """bytes -> validated values, or None (with the reason in problems) if the file is bad."""
    return _checked("decode", data, problems)


def validate(data, problems):
    """Per-field check of a decoded body: each bad or missing field gets its default."""
    return _checked("validate", data, problems)


def _checked(name, data, problems):
    # The checks (uamp/settings_check.py) run at boot and when a file is read; on a small heap
    # the module is dropped again after, so its code is not on the heap while the amp plays.
    from uamp import forget, settings_check

    try:
        return getattr(settings_check, name)(data, problems)
    finally:
        forget("uamp.settings_check")


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
