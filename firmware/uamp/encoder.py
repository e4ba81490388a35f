"""Quadrature rotary encoder decoded from pin-change interrupts with a transition table, and the
knob acceleration that turns detents into volume steps.

The IRQ handler does one table lookup, one counter update and sets a flag; detents are taken
out by the panel task. Invalid transitions (both pins changed: an edge was missed) count zero,
and a single contact bouncing gives +1/-1 pairs, so bounce cancels instead of adding steps.
Only the IRQ writes `count` and only the task writes `taken`, so no update is ever lost to a
race and no critical section is needed.
"""

# Index: previous (A, B) state * 4 + new state. +1 = one quarter step clockwise.
_TRANSITIONS = (0, -1, 1, 0, 1, 0, 0, -1, -1, 0, 0, 1, 0, 1, -1, 0)
STEPS_PER_DETENT = (1, 2, 4)  # full-step, half-step and quarter-step (EC11) encoders


class Encoder:
    def __init__(self, pin_a, pin_b, steps_per_detent=4, invert=False):
        if steps_per_detent not in STEPS_PER_DETENT:
            raise ValueError("steps_per_detent must be 1, 2 or 4")
        self.pin_a = pin_a
        self.pin_b = pin_b
        self.steps_per_detent = steps_per_detent
        self.direction = -1 if invert else 1
        self.state = (pin_a() << 1) | pin_b()
        self.rest = self.state  # at power-up the knob sits in a detent
        self.count = 0  # quarter steps seen by the IRQ (written only by isr)
        self.taken = 0  # quarter steps already returned as detents (written only by the task)
        self.moved = False  # set by the IRQ, cleared by take_detents

    def isr(self, _pin):
        new = (self.pin_a() << 1) | self.pin_b()
        self.count += _TRANSITIONS[(self.state << 2) | new]
        self.state = new
        self.moved = True

    def _at_rest(self, state):
        spd = self.steps_per_detent
        if spd == 1:
            return True
        if spd == 2:  # half-step encoders rest at both 00 and 11 (or 01 and 10)
            return state == self.rest or state == self.rest ^ 3
        return state == self.rest

    def take_detents(self):
        """Whole detents turned since the last call (signed); a partial detent stays pending.

        When the knob sits in a detent and a remainder is left over, edges were missed (both pins
        changed between two interrupts): the count is resynchronised to the detent, rounding a
        half-detent or more in its direction.
        """
        self.moved = False
        count = self.count
        state = self.state
        if count != self.count:  # the IRQ ran in between: resync next time
            state = -1
        pending = count - self.taken
        spd = self.steps_per_detent
        detents = pending // spd if pending >= 0 else -((-pending) // spd)
        taken = self.taken + detents * spd
        if state >= 0 and self._at_rest(state) and taken != count:
            rest = count - taken
            if 2 * abs(rest) >= spd:
                detents += 1 if rest > 0 else -1
            taken = count
        self.taken = taken
        return detents * self.direction


class Accelerator:
    """Volume change in dB for the detents of one panel tick.

    Slow turns move exactly STEP_DB per detent; faster turns take 2x and 4x steps. Raising the
    volume is limited by a token bucket refilled at `cap_db_s` (a user setting): whatever the
    knob does, the level can rise at most cap_db_s * t + a burst of BURST_S * cap_db_s. Turning
    down is never limited (quieter is always safe).
    """

    STEP_DB = 0.5
    SLOW_MS = 60  # detents at least this far apart are slow: exact STEP_DB each
    FAST_MS = 25  # closer than this: 4x; in between: 2x
    BURST_S = 0.25
    CAP_MIN, CAP_MAX, CAP_DEFAULT = 10, 60, 20  # dB/s; CAP_MIN keeps slow turns exact

    def __init__(self, cap_db_s=CAP_DEFAULT):
        self.cap_db_s = self.CAP_DEFAULT
        self.set_cap(cap_db_s)
        self.last_ms = None
        self.last_sign = 0
        self.bucket = self.cap_db_s * self.BURST_S
        self.bucket_ms = None

    def set_cap(self, db_s):
        if type(db_s) not in (int, float) or not self.CAP_MIN <= db_s <= self.CAP_MAX:
            raise ValueError("knob speed limit must be %d..%d dB/s" % (self.CAP_MIN, self.CAP_MAX))
        self.cap_db_s = db_s

    def _refill(self, now_ms, ticks_diff):
        full = self.cap_db_s * self.BURST_S
        if self.bucket_ms is not None:
            elapsed = ticks_diff(now_ms, self.bucket_ms)
            self.bucket = min(full, self.bucket + self.cap_db_s * elapsed / 1000)
        self.bucket_ms = now_ms

    def change_db(self, detents, now_ms, ticks_diff):
        """dB to add to the volume for `detents` turned in the tick ending at now_ms."""
        self._refill(now_ms, ticks_diff)
        if detents == 0:
            return 0.0
        sign = 1 if detents > 0 else -1
        n = detents * sign
        factor = 1
        if self.last_ms is not None and sign == self.last_sign:
            gap = ticks_diff(now_ms, self.last_ms) / n  # ms per detent
            if gap < self.FAST_MS:
                factor = 4
            elif gap < self.SLOW_MS:
                factor = 2
        self.last_ms = now_ms
        self.last_sign = sign
        change = n * self.STEP_DB * factor
        if sign > 0:
            # Whole steps only, so a slow turn is never shortened to an odd fraction.
            allowed = int(self.bucket / self.STEP_DB) * self.STEP_DB
            change = min(change, allowed)
            self.bucket -= change
            return change
        return -change
