"""Volume controller: the user's level in dB, reached in small ramp steps, never above the cap.

All levels are output levels: the analog gain of the volume IC plus any gain-mode relay plus
the engine's per-channel digital trim. The IC takes what its steps allow (always at least the
request, so the trim, which can only attenuate, makes the level exact); the trim does the rest,
plus balance and the mute fade. Levels sit on a 0.5 dB grid.

Safety: every level commanded is at most the board's cap. A driver fault (OSError from the
bus) silences the trim, mutes what still answers, and is reported in `fault`.
"""

from uamp.dsp.gain import UNITY

GRID_DB = 0.5
STEP_DB = 0.5  # largest level or balance change per tick
FADE_STEP_DB = 1.5  # mute fade per tick: 45 dB in 30 ticks (300 ms), then the hardware mute
FADE_DEPTH_DB = 45.0
BALANCE_MAX_DB = 12.0


def db_to_q15(db):
    """Linear Q15 gain for an attenuation in dB (0 dB and above -> unity)."""
    if db >= 0:
        return UNITY
    return int(UNITY * 10 ** (db / 20) + 0.5)


def snap(db):
    """Nearest point of the 0.5 dB grid."""
    return round(db * 2) / 2


def grid_floor(db):
    """Highest grid point not above db (for caps that are off the grid)."""
    steps = int(db * 2)
    if steps / 2 > db:
        steps -= 1
    return steps / 2


def grid_ceil(db):
    return -grid_floor(-db)


def _number(value, what):
    if type(value) not in (int, float) or value != value or value in (1e999, -1e999):
        raise ValueError("%s must be a number of dB" % what)
    return float(value)


def _toward(now, target, step):
    if now < target:
        return min(target, now + step)
    return max(target, now - step)


class Volume:
    """`ic` is a volume driver (set_gain_db, mute, enable, min_db, max_db); `modes` a tuple of
    (name, gain_db) with the first at 0 dB; `relay` the pin that adds the non-zero mode's gain,
    or None when the modes are ranges of the IC itself."""

    def __init__(self, ic, engine, cap_db, modes=(("normal", 0.0),), relay=None):
        self.ic = ic
        self.engine = engine
        self.modes = modes
        self.relay = relay
        self.min_db = ic.min_db
        self.cap_db = min(cap_db, max(self._mode_max(i) for i in range(len(modes))))
        if self.cap_db < self.min_db:
            raise ValueError("volume cap %.1f dB is below the range of the chip" % cap_db)
        self.limit_db = self.cap_db
        self.mode_index = 0
        self.wanted_mode = 0
        self.target_db = self.min_db
        self.current_db = self.min_db
        self.balance_db = 0.0
        self.current_balance = 0.0
        self.muted = True
        self.fade_db = -FADE_DEPTH_DB
        self.hardware_muted = True
        self.fault = None
        self.on_fault = None  # called with the description when a fault happens
        self.trims = (0, 0)  # Q15 trims last sent to the engine
        self.levels = (None, None)  # dB commanded per channel (None = silent)
        self.ic_gains = (ic.min_db, ic.min_db)  # analog gains last written to the IC
        if relay is not None:
            relay(0)
        engine.set_trim(0, 0)
        self._guard(self._apply)

    # --- the seam: app.volume ---
    @property
    def gain_modes(self):
        return tuple(name for name, _gain in self.modes)

    @property
    def gain_mode(self):
        return self.modes[self.wanted_mode][0]

    @property
    def max_db(self):
        """The cap in force: board cap, user limit and what the gain mode can reach."""
        mode_max = self._mode_max(self.wanted_mode)
        return grid_floor(min(self.cap_db, self.limit_db, mode_max))

    def set_db(self, db):
        """Request a level; clamps to the range in force and returns what will be reached."""
        db = _number(db, "volume")
        self.target_db = self._clamp(snap(db))
        return self.target_db

    def set_limit(self, db):
        db = _number(db, "limit")
        if not self.min_db <= db <= self.cap_db:
            raise ValueError("limit must be %.1f..%.1f dB" % (self.min_db, self.cap_db))
        self.limit_db = db
        self.target_db = self._clamp(self.target_db)

    def set_balance(self, db):
        db = _number(db, "balance")
        if not -BALANCE_MAX_DB <= db <= BALANCE_MAX_DB:
            raise ValueError("balance must be -%.0f..%.0f dB" % (BALANCE_MAX_DB, BALANCE_MAX_DB))
        self.balance_db = snap(db)

    def set_gain_mode(self, name):
        for index in range(len(self.modes)):
            if self.modes[index][0] == name:
                self.wanted_mode = index
                self.target_db = self._clamp(self.target_db)
                return
        raise ValueError("gain mode must be one of %s" % ", ".join(self.gain_modes))

    def mute(self, on):
        """Fade out and mute, or unmute and fade in. After a fault, unmuting retries the chip."""
        on = bool(on)
        if not on and self.fault is not None:
            self.fault = None
            if not self._guard(self._recover):
                return
        self.muted = on

    # --- ticking ---
    def tick(self):
        """One ramp step; called every app tick (10 ms)."""
        if self.fault is not None:
            return
        changed = False
        target = self._clamp(self.target_db)
        if self.current_db != target:
            self.current_db = _toward(self.current_db, target, STEP_DB)
            changed = True
        elif self.current_balance != self.balance_db:
            self.current_balance = _toward(self.current_balance, self.balance_db, STEP_DB)
            changed = True
        if self.wanted_mode != self.mode_index and self._mode_allows(self.wanted_mode):
            changed = True
        fade = _toward(self.fade_db, -FADE_DEPTH_DB if self.muted else 0.0, FADE_STEP_DB)
        if fade != self.fade_db or self.muted != self.hardware_muted:
            self.fade_db = fade
            changed = True
        if changed:
            self._guard(self._apply)

    # --- internals ---
    def _mode_max(self, index):
        """Highest output level a mode reaches: a relay adds its gain on top of the IC's
        range; without a relay the lower modes leave the top of the IC's range unused."""
        gain = self.modes[index][1]
        if self.relay is not None:
            return self.ic.max_db + gain
        top = max(mode_gain for _name, mode_gain in self.modes)
        return self.ic.max_db - (top - gain)

    def _clamp(self, db):
        return max(grid_ceil(self.min_db), min(self.max_db, db))

    def _mode_allows(self, index):
        return self.current_db <= self._mode_cap(index)

    def _mode_cap(self, index):
        return grid_floor(min(self.cap_db, self._mode_max(index)))

    def _guard(self, action):
        try:
            action()
            return True
        except OSError as e:
            self.fail(e)
            return False

    def fail(self, error):
        """A chip did not answer: silence, mute what still answers, report. Also used by the
        app for DAC faults."""
        self.fault = "volume chip: %s" % (error,)
        self.muted = True
        self.hardware_muted = True
        self.fade_db = -FADE_DEPTH_DB
        self.trims = (0, 0)
        self.levels = (None, None)
        self.engine.set_trim(0, 0)  # digital silence needs no bus
        try:
            self.ic.mute(True)
        except OSError:
            pass
        if self.on_fault is not None:
            self.on_fault(self.fault)

    def _recover(self):
        self.ic.mute(True)
        self.ic.enable(True)
        self.hardware_muted = True
        self.fade_db = -FADE_DEPTH_DB
        self._apply()

    def _relay_db(self, index):
        return self.modes[index][1] if self.relay is not None else 0.0

    def _apply(self):
        """Send the current state to the chip and the engine, quiet side first."""
        old_relay = self._relay_db(self.mode_index)
        if self.wanted_mode != self.mode_index and self._mode_allows(self.wanted_mode):
            self.mode_index = self.wanted_mode
        relay_db = self._relay_db(self.mode_index)
        balance = self.current_balance
        left = self.current_db - (balance if balance > 0 else 0.0)
        right = self.current_db - (-balance if balance < 0 else 0.0)
        unmuting = not self.muted and self.hardware_muted
        muting = self.muted and self.fade_db <= -FADE_DEPTH_DB
        ic_left, ic_right = self.ic.gain_for(left - relay_db, right - relay_db)
        if muting:
            self._set_trims(0, 0, None, None)
            self.ic.mute(True)
            self.hardware_muted = True
        trim_left = min(0.0, left - relay_db - ic_left) + self.fade_db
        trim_right = min(0.0, right - relay_db - ic_right) + self.fade_db
        old_left, old_right = self.ic_gains
        louder = (
            ic_left + relay_db > old_left + old_relay
            or ic_right + relay_db > old_right + old_relay
        )
        if louder and not muting:
            # More analog gain: lower the trim first, so a transient is quieter, never louder.
            self._set_trims(trim_left, trim_right, relay_db + ic_left, relay_db + ic_right)
        if relay_db < old_relay:
            self.relay(0)  # less analog gain first
        self.ic.set_gain_db(left - relay_db, right - relay_db)
        self.ic_gains = (ic_left, ic_right)
        if relay_db > old_relay:
            self.relay(1)
        if muting:
            return
        if not louder:
            self._set_trims(trim_left, trim_right, relay_db + ic_left, relay_db + ic_right)
        if unmuting:
            self.engine.set_gain(UNITY)  # the engine's own fade-in gain; the trim does the rest
            self.ic.mute(False)
            self.hardware_muted = False

    def _set_trims(self, trim_left, trim_right, analog_left, analog_right):
        if analog_left is None:
            self.trims = (0, 0)
            self.levels = (None, None)
        else:
            self.trims = (db_to_q15(trim_left), db_to_q15(trim_right))
            self.levels = (analog_left + trim_left, analog_right + trim_right)
        self.engine.set_trim(self.trims[0], self.trims[1])
