"""Headphone profiles and loudness: the SPL a full-scale (0 dBFS) signal reaches at a volume.

Formulas from docs/headphones.md: P = V^2 / Z; SPL = S_mW + 10 log10(P / 1 mW);
SPL = S_V + 20 log10(V / 1 V); S_V = S_mW + 10 log10(1000 / Z); V = V_fs * 10^(G / 20), doubled
(+6 dB) by a balanced output; output impedance divides V by Z_load / (Z_load + Z_out); the amp
clips at the smaller of V_max and I_max * Z. Pure math, no hardware: the host tool
(tools/recommend.py) imports this module too, so the board and the tool agree.
"""

import math

UNITS = ("mw", "v")
# A level worth having: 85 dB SPL average music (NIOSH 8 h limit) with 15 dB of peaks on top
# (music peaks run 10-20 dB above average). A chain that cannot reach this at 0 dBFS is weak.
USEFUL_SPL_DB = 100.0
# The loudness cap of a headphone profile added without its own max SPL: as loud as the target
# above (0 dBFS peaks at 100 dB SPL), never the amp's full output into a sensitive headphone.
DEFAULT_MAX_SPL_DB = 100.0
NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-_."
MAX_NAME = 16


def check_name(name):
    """Profile names: short, lowercase letters, digits and -_. (they are console words)."""
    if type(name) is not str or not 0 < len(name) <= MAX_NAME:
        raise ValueError("name must be 1..%d characters" % MAX_NAME)
    for ch in name:
        if ch not in NAME_CHARS:
            raise ValueError("name may use only a-z 0-9 - _ . (got '%s')" % name)
    return name


def _number(value, what, lo, hi):
    if type(value) not in (int, float) or value != value or not lo <= value <= hi:
        raise ValueError("%s must be a number %g..%g" % (what, lo, hi))
    return float(value)


def db20(ratio):
    return 20 * math.log10(ratio)


class Headphone:
    """Impedance (ohm), sensitivity (dB SPL per mW or per V) and an optional max SPL."""

    def __init__(self, name, ohm, sensitivity_db, unit="mw", max_spl_db=None):
        self.name = check_name(name)
        self.ohm = _number(ohm, "impedance (ohm)", 1, 100000)
        self.sensitivity_db = _number(sensitivity_db, "sensitivity (dB)", 60, 150)
        if unit not in UNITS:
            raise ValueError("sensitivity unit must be 'mw' or 'v'")
        self.unit = unit
        self.max_spl_db = None
        if max_spl_db is not None:
            self.max_spl_db = _number(max_spl_db, "max SPL (dB)", 40, 140)

    def sens_per_volt(self):
        """dB SPL at 1 Vrms."""
        if self.unit == "v":
            return self.sensitivity_db
        return self.sensitivity_db + 10 * math.log10(1000 / self.ohm)

    def spl_at(self, volts):
        if volts <= 0:
            return -200.0
        return self.sens_per_volt() + db20(volts)

    def volts_for(self, spl_db):
        return 10 ** ((spl_db - self.sens_per_volt()) / 20)

    def power_mw(self, volts):
        return volts * volts / self.ohm * 1000

    def to_dict(self):
        return {
            "ohm": self.ohm,
            "sens": self.sensitivity_db,
            "unit": self.unit,
            "max_spl": self.max_spl_db,
        }

    @classmethod
    def from_dict(cls, name, data):
        if not isinstance(data, dict):
            raise ValueError("profile '%s' must be an object" % name)
        return cls(
            name, data.get("ohm"), data.get("sens"), data.get("unit", "mw"), data.get("max_spl")
        )

    def describe(self):
        unit = "dB/mW" if self.unit == "mw" else "dB/V"
        text = "%s: %g ohm, %g %s" % (self.name, self.ohm, self.sensitivity_db, unit)
        if self.max_spl_db is not None:
            text += ", max %g dB SPL" % self.max_spl_db
        return text


class Chain:
    """The board's analog output chain: the profile's optional `output` section.

    The volume is the level before the gain mode's gain (docs/seams.md): the output level is
    volume + the mode's gain (`app.volume.mode_gain_db`) + `amp_gain_db` (fixed gain after the
    volume stage that no mode switches; 0 for most builds)."""

    def __init__(self, cfg):
        self.dac_vfs = float(cfg["dac_vfs_vrms"])
        self.amp_gain_db = float(cfg.get("amp_gain_db") or 0)
        self.vmax = float(cfg["vmax_vrms"])
        self.imax = float(cfg["imax_ma"]) / 1000
        self.zout = float(cfg.get("zout_ohm") or 0)
        self.balanced = bool(cfg.get("balanced", False))

    def volts(self, volume_db, ohm, mode_gain_db=0.0):
        """Voltage at the headphone for 0 dBFS at this volume, ignoring clipping."""
        v = self.dac_vfs * 10 ** ((volume_db + mode_gain_db + self.amp_gain_db) / 20)
        if self.balanced:
            v *= 2
        return v * ohm / (ohm + self.zout)

    def clip_volts(self, ohm):
        return min(self.vmax, self.imax * ohm)


def spl(hp, chain, volume_db, mode_gain_db=0.0):
    """(SPL of 0 dBFS at this volume in dB, True if the amp would clip there)."""
    v = chain.volts(volume_db, hp.ohm, mode_gain_db)
    clip = chain.clip_volts(hp.ohm)
    return hp.spl_at(min(v, clip)), v > clip


def volume_for_spl(hp, chain, spl_db, mode_gain_db=0.0):
    """The volume (dB) at which 0 dBFS reaches spl_db, if the amp could get there."""
    return volume_db_for_volts(chain, hp.ohm, hp.volts_for(spl_db), mode_gain_db)


def volume_db_for_volts(chain, ohm, volts, mode_gain_db=0.0):
    return db20(volts / chain.volts(0.0, ohm, mode_gain_db))


def clip_volume_db(hp, chain, mode_gain_db=0.0):
    """The volume above which 0 dBFS clips the amp."""
    return volume_db_for_volts(chain, hp.ohm, chain.clip_volts(hp.ohm), mode_gain_db)


def safe_cap_db(hp, chain, mode_gain_db=0.0):
    """Highest volume that keeps 0 dBFS below both the clip point and the profile's max SPL."""
    cap = clip_volume_db(hp, chain, mode_gain_db)
    if hp.max_spl_db is not None:
        cap = min(cap, volume_for_spl(hp, chain, hp.max_spl_db, mode_gain_db))
    return cap


def warnings(hp, chain, max_volume_db, mode_gain_db=0.0):
    """One line per problem of this headphone on this chain, up to the volume cap."""
    out = []
    best, clipped = spl(hp, chain, max_volume_db, mode_gain_db)
    if best < USEFUL_SPL_DB:
        out.append(
            "warning: %s reaches only %.0f dB SPL at full volume (useful: %.0f)"
            % (hp.name, best, USEFUL_SPL_DB)
        )
    if clipped:
        out.append(
            "warning: the amp clips %s above %.1f dB volume"
            % (hp.name, clip_volume_db(hp, chain, mode_gain_db))
        )
    if 8 * chain.zout > hp.ohm:
        out.append("warning: output impedance %g ohm > 1/8 of %g ohm" % (chain.zout, hp.ohm))
    return out
