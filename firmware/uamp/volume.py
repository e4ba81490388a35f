"""Volume controller: the user's level in dB, reached in small ramp steps, never above the cap.

The volume (dB, on a 0.5 dB grid) is the level before the gain mode's gain: the output level
is volume + mode gain, as the profile's `output.gain_db` says. The volume IC takes what its
steps allow (always at least the request, so the trim, which can only attenuate, makes the
level exact); the engine's per-channel digital trim does the rest, plus balance and the mute
fade. A mode's gain comes from a relay, or (no relay) from the top of the IC's range. Changing
mode moves the volume the other way, so the output level stays where it was.

Order of a change (no overshoot): when the analog gain goes up (IC code or relay), the lower
trim goes to the engine first and the analog step waits until the engine plays it
(`engine.trim_excess_db()` at most OVERSHOOT_DB); the ramp holds meanwhile. When the analog
gain goes down it steps first and the trim rises after. The IC moves one code a tick, so the
output moves by at most one of the chip's steps at a time (TPA6130A2: 6 dB at -59.5 dB, which
is 0.05 % of full scale; 0.3..0.7 dB above -14 dB). It dips during a step, never overshoots.

Safety: the volume never goes above the cap (board cap, user limit, what the mode allows).
A driver fault (OSError from the bus) silences the trim, mutes what still answers, and is
reported in `fault`.
"""

from uamp.dsp.gain import UNITY

TYPE_CHECKING = False  # pyright reads this as True: the typing import is the checker's only
if TYPE_CHECKING:
    from typing import Callable

STEP_DB = 0.5  # largest level or balance change per tick
OVERSHOOT_DB = 0.2  # an analog step up may meet a trim still this much above the new one
FADE_STEP_DB = 1.5  # mute fade per tick: 45 dB in 30 ticks (300 ms), then the hardware mute
FADE_DEPTH_DB = 45.0
BALANCE_MAX_DB = 12.0


def db_to_q15(db):
    """Linear Q15 gain for an attenuation in dB (0 dB and above -> unity), rounded down: a
    trim never comes out louder than asked, so rounding cannot cross a cap."""
    if db >= 0:
        return UNITY
    return int(UNITY * 10 ** (db / 20))


def db_to_q24(db):
    """db_to_q15 with 2**24 as unity, for engines with fine trims (set_trim_q24): 0.0001 dB
    at -60 dB, where Q15 is off by up to 0.26 dB."""
    if db >= 0:
        return 1 << 24
    return int((1 << 24) * 10 ** (db / 20))


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


_INF = float("inf")  # made at run time: mpy-tool cannot freeze an infinite literal (1e999)


def _number(value, what):
    if type(value) not in (int, float) or value != value or abs(value) == _INF:
        raise ValueError("%s must be a number of dB" % what)
    return float(value)


def _beyond(old, step, wanted):
    """True when `wanted` lies past the chip's next step from `old` (in either direction)."""
    return old < step < wanted or wanted < step < old


def _toward(now, target, step):
    if now < target:
        return min(target, now + step)
    return max(target, now - step)


class Volume:
    """`ic` is a volume driver (gain_for, set_gain_db, mute, enable, min_db, max_db); `modes` a
    tuple of (name, gain_db), gains on the 0.5 dB grid; `relay` the pin that adds the gain of
    the modes with a non-zero gain, or None when the IC supplies it."""

    def __init__(self, ic, engine, cap_db, modes=(("normal", 0.0),), relay=None):
        self.ic = ic
        self.engine = engine
        self.modes = modes
        self.relay = relay
        for _name, gain in modes:
            if gain * 2 != int(gain * 2):
                raise ValueError("gain mode gains must be on the 0.5 dB grid")
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
        # called with the description when a fault happens
        self.on_fault: "Callable[[str], None] | None" = None
        # called when unmuting after a fault; may raise OSError
        self.on_recover: "Callable[[], None] | None" = None
        # Optional: called first when unmuting after a fault; True means the app powers up
        # again itself (its sequence enables the chips), so the chips are left alone here.
        self.power_up: "Callable[[], bool] | None" = None
        # Optional: (mode gain dB, switching) -> the limit for that mode (the app's headphone
        # SPL cap moves with the mode's gain). Asked with switching=True in the very step that
        # switches modes, so the new mode's cap is in force before its gain is heard.
        self.limit_for_mode: "Callable[[float, bool], float] | None" = None
        self.trims = (0, 0)  # trims last sent to the engine (Q24 with set_trim_q24, else Q15)
        self.levels = (None, None)  # dB commanded per channel (None = silent)
        self.ic_gains = (ic.min_db, ic.min_db)  # analog gains last written to the IC
        self.relay_db = 0.0  # gain the relay adds now
        self.waiting = False  # a lower trim is sent; the analog step up waits for it
        self.allowance_db = 0.0  # what the step being waited for may meet (see _apply)
        self._fine = hasattr(engine, "set_trim_q24")  # trims in Q24 (`trims` then too)
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
    def mode_gain_db(self):
        """Analog gain of the mode in effect, after the volume stage (0 in the lowest mode)."""
        return self._gain(self.mode_index)

    @property
    def max_db(self):
        """The cap in force: board cap, user limit and what the gain mode allows."""
        return grid_floor(min(self.cap_db, self.limit_db, self._mode_max(self.mode_index)))

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
        """Switch at the next tick, the volume moved so the output level stays. When the
        output is too loud for the new mode's range, the volume first ramps down to fit."""
        for index in range(len(self.modes)):
            if self.modes[index][0] == name:
                self.wanted_mode = index
                fits = self._fits(index)
                if self.target_db > fits:
                    self.target_db = fits
                return
        raise ValueError("gain mode must be one of %s" % ", ".join(self.gain_modes))

    def mute(self, on):
        """Fade out and mute, or unmute and fade in. After a fault, unmuting retries the chip."""
        on = bool(on)
        if not on and self.fault is not None:
            self.fault = None
            if self.power_up is not None and self.power_up():
                return  # still muted: the power-up sequence unmutes at its end
            if not self._guard(self._recover):
                return
        self.muted = on

    # --- ticking ---
    def tick(self):
        """One ramp step; called every app tick (10 ms)."""
        if self.fault is not None:
            return
        if self.waiting:
            if self._trim_heard():
                self.waiting = False
                self._guard(self._apply)
                return  # one analog step a tick: the ramp goes on at the next
            if not self.muted:
                return  # hold the ramp: the analog step up is not safe yet
            self.waiting = False  # a mute never waits: its fade only lowers the trims
        changed = False
        target = self._clamp(self.target_db)
        if self.current_db != target:
            self.current_db = _toward(self.current_db, target, STEP_DB)
            changed = True
        elif self.current_balance != self.balance_db:
            self.current_balance = _toward(self.current_balance, self.balance_db, STEP_DB)
            changed = True
        if self.wanted_mode != self.mode_index and (
            self.current_db <= self._fits(self.wanted_mode) or self.hardware_muted
        ):
            if self._switch_mode():  # while muted nothing is heard: no need to fit first
                changed = True
        fade = _toward(self.fade_db, -FADE_DEPTH_DB if self.muted else 0.0, FADE_STEP_DB)
        if fade != self.fade_db or self.muted != self.hardware_muted:
            self.fade_db = fade
            changed = True
        if changed:
            self._guard(self._apply)

    # --- internals ---
    def _gain(self, index):
        return self.modes[index][1]

    def _mode_max(self, index):
        """Highest volume a mode allows: the IC's top, less the mode's gain when the IC
        supplies that gain itself (no relay)."""
        if self.relay is not None:
            return self.ic.max_db
        return self.ic.max_db - self._gain(index)

    def _fits(self, index):
        """Highest volume, in the current mode, that is still inside mode `index` once the
        switch moves the volume by the difference of the two gains."""
        mode_cap = grid_floor(min(self.cap_db, self._limit(index), self._mode_max(index)))
        return mode_cap + self._gain(index) - self._gain(self.mode_index)

    def _limit(self, index, switching=False):
        """The limit in force in mode `index` (the current limit without a limit_for_mode); it
        may lie below the floor (the caller decides)."""
        if index == self.mode_index or self.limit_for_mode is None:
            return self.limit_db
        return min(self.cap_db, self.limit_for_mode(self._gain(index), switching))

    def _switch_mode(self):
        """Switch to the wanted mode, its limit in force in the same step. A limit under the
        floor waits until the output is muted (the hook mutes it): False, not switched."""
        limit = self._limit(self.wanted_mode, True)
        if limit < grid_ceil(self.min_db) and not self.hardware_muted:
            return False
        shift = self._gain(self.wanted_mode) - self._gain(self.mode_index)
        self.limit_db = max(self.min_db, limit)
        self.mode_index = self.wanted_mode
        self.current_db -= shift
        self.target_db = self._clamp(self.target_db - shift)
        if self.hardware_muted:
            self.current_db = min(self.current_db, self.target_db)  # silent: no ramp needed
        return True

    def _trim_heard(self):
        """The engine plays the trim last sent, near enough. There is no time-out: an engine
        that never catches up holds the level where it is, which is the safe side."""
        excess = getattr(self.engine, "trim_excess_db", None)
        return excess is None or excess() <= self.allowance_db

    def _clamp(self, db):
        return max(grid_ceil(self.min_db), min(self.max_db, db))

    def _guard(self, action):
        try:
            action()
            return True
        except OSError as e:
            self.fail(e)
            return False

    def fail(self, error, part="volume chip"):
        """A chip did not answer: silence, mute what still answers, report. The app calls it
        for DAC faults too, so one `fault` describes whatever failed last."""
        self.fault = "%s: %s" % (part, error)
        self.waiting = False
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
        if self.on_recover is not None:
            self.on_recover()
        self.hardware_muted = True
        self.fade_db = -FADE_DEPTH_DB
        self._apply()

    def _apply(self):
        """Send the current state to the relay, the chip and the engine, quiet side first."""
        old_relay = self.relay_db
        gain = self._gain(self.mode_index)
        relay_db = gain if self.relay is not None else 0.0
        balance = self.current_balance
        left = self.current_db + gain - (balance if balance > 0 else 0.0)
        right = self.current_db + gain - (-balance if balance < 0 else 0.0)
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
        audible = louder and not muting and not self.hardware_muted
        # The old trim may still be heard by OVERSHOOT_DB after the step, but never past the
        # cap: at the cap the step waits until the new trim has fully landed.
        headroom = self.max_db + gain - max(left, right)
        self.allowance_db = max(0.0, min(OVERSHOOT_DB, headroom))
        if not muting and not self.hardware_muted and relay_db == old_relay:
            # One IC step at a time (where the IC's steps are finer than the ramp's, the level
            # would skip one): a larger jump would be a click. Up, the level stays under the
            # commanded one meanwhile; down, the trim takes it there. The next tick goes on
            # (`waiting`). A relay switch is the exception: the IC makes up for it at once.
            next_left = self.ic.next_gain_db(old_left, ic_left > old_left)
            next_right = self.ic.next_gain_db(old_right, ic_right > old_right)
            if _beyond(old_left, next_left, ic_left) or _beyond(old_right, next_right, ic_right):
                ic_left = next_left if _beyond(old_left, next_left, ic_left) else ic_left
                ic_right = next_right if _beyond(old_right, next_right, ic_right) else ic_right
                trim_left = min(0.0, left - relay_db - ic_left) + self.fade_db
                trim_right = min(0.0, right - relay_db - ic_right) + self.fade_db
                self.waiting = True
        if louder and not muting:
            # More analog gain: the (lower) trim first; the engine ramps it over a few
            # buffers and queues them, so the analog step waits until it is heard. While the
            # chip is muted nothing is heard: no wait.
            if self.trims != (self._trim_value(trim_left), self._trim_value(trim_right)):
                self._set_trims(trim_left, trim_right, old_left + old_relay, old_right + old_relay)
            if audible and not self._trim_heard():
                self.waiting = True
                return
            self.levels = (relay_db + ic_left + trim_left, relay_db + ic_right + trim_right)
        # With a relay switch the IC must move in the same instant: an IC that waits for a zero
        # crossing (PGA2311 ZCEN) would leave the relay's gain uncompensated meanwhile (12 dB
        # over the cap for up to 16 ms), so its wait is off for this one write.
        in_step = relay_db != old_relay and hasattr(self.ic, "zero_cross")
        if in_step:
            self.ic.zero_cross(False)
        relay = self.relay  # None: no relay, and then every mode's relay_db is 0
        try:
            if relay is not None and relay_db < old_relay:
                relay(0)  # less analog gain first
                self.relay_db = relay_db
            self.ic.set_gain_db(ic_left, ic_right)
            self.ic_gains = (ic_left, ic_right)
            if relay is not None and relay_db > old_relay:
                relay(1)
                self.relay_db = relay_db
        finally:
            if in_step:
                self.ic.zero_cross(True)
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
            self.trims = (self._trim_value(trim_left), self._trim_value(trim_right))
            self.levels = (analog_left + trim_left, analog_right + trim_right)
        if self._fine:
            self.engine.set_trim_q24(self.trims[0], self.trims[1])
        else:
            self.engine.set_trim(self.trims[0], self.trims[1])

    def _trim_value(self, db):
        """The trim for `db` as the engine takes it: Q24 when it has fine trims, else Q15."""
        return db_to_q24(db) if self._fine else db_to_q15(db)
