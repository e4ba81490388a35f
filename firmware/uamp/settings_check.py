"""Reading a settings file (uamp/settings.py): header, checksum, version migration and a check
of every field, each bad field falling back to its default (reported) and a bad file to None.
Loaded for the read and dropped again on a small heap (settings.decode, settings.validate).
"""

import json

from uamp.settings import (
    MAGIC,
    MAX_BYTES,
    MAX_EQ_BANDS,
    MAX_EQ_PRESETS,
    MAX_NAME,
    MAX_PROFILES,
    VERSION,
    crc32,
    defaults,
)

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


# name -> validator; uamp/settings.py DEFAULTS has the same names, in the same order.
CHECKS = {
    "volume_db": _num(-150, 40, True),
    "mute": _bool,
    "limit_db": _num(-150, 40, True),
    "balance_db": _num(-40, 40),
    "gain": _name,
    "input": _name,
    "eq_enabled": _bool,
    "eq_preset": _name,
    "eq_bands": _bands,
    "eq_user": _presets,
    "bass_db": _num(-40, 40),
    "crossfeed": _num(0, 100),
    "headphone": _name,
    "headphones": _profiles,
    "brightness": _int(1, 10),  # front panel (display contrast)
    "knob_db_s": _num(10, 60, True),  # front panel: how fast the knob may raise
    "rate": _rate,  # sample rate (Hz); None: the board profile's (i2s.rate)
}


def validate(data, problems):
    """Per-field check of a decoded body: each bad or missing field gets its default."""
    values = defaults()
    for name in CHECKS:
        if name not in data:
            continue
        check = CHECKS[name]
        try:
            if check in _PER_ENTRY:
                values[name] = check(data[name], problems)
            else:
                values[name] = check(data[name])
        except (ValueError, TypeError, KeyError) as e:
            problems.append("settings: %s: %s; using the default" % (name, e))
    for name in data:
        if name not in CHECKS:
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
