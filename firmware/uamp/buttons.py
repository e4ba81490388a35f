"""Push buttons, polled and debounced in the panel task (no IRQs: a bouncing contact costs
nothing but a few samples).

`poll(now_ms)` returns at most one event per call: SHORT, LONG or DOUBLE. LONG fires while the
button is still held, so holding feels immediate. A button with no double-press action reports
SHORT on release; one with a double-press action waits DOUBLE_MS for a second press first.
"""

SHORT = "short"
LONG = "long"
DOUBLE = "double"
ACTIONS = ("mute", "menu", "input", "gain", "eq", "standby")


class Button:
    DEBOUNCE_MS = 20  # a level must stay this long to count (contact bounce is < 5 ms)
    LONG_MS = 700
    DOUBLE_MS = 300  # longest gap between the two presses of a double press

    def __init__(self, pin, name, now_ms, ticks_diff, active_low=True, wants_double=False):
        self.pin = pin
        self.name = name
        self.active_low = active_low
        self.wants_double = wants_double
        self._diff = ticks_diff
        self.pressed = self._raw()
        self.held_at_boot = self.pressed
        self._raw_level = self.pressed
        self._raw_since = now_ms
        self.down_ms = now_ms  # when the current (or last) press began
        self._long_done = self.pressed  # a press held at boot never reports SHORT or LONG
        self._second = False  # this press is the second of a double press
        self._release_ms = None  # a release is waiting to see if a second press follows

    def _raw(self):
        level = self.pin()
        return not level if self.active_low else bool(level)

    def held_ms(self, now_ms):
        """How long the button has been held (0 when released)."""
        return self._diff(now_ms, self.down_ms) if self.pressed else 0

    def poll(self, now_ms):
        raw = self._raw()
        if raw != self._raw_level:
            self._raw_level = raw
            self._raw_since = now_ms
        diff = self._diff
        if raw != self.pressed and diff(now_ms, self._raw_since) >= self.DEBOUNCE_MS:
            self.pressed = raw
            return self._pressed(now_ms) if raw else self._released(now_ms)
        if self.pressed:
            if not self._long_done and diff(now_ms, self.down_ms) >= self.LONG_MS:
                self._long_done = True
                self._second = False
                return LONG
        elif self._release_ms is not None and diff(now_ms, self._release_ms) >= self.DOUBLE_MS:
            self._release_ms = None
            return SHORT
        return None

    def _pressed(self, now_ms):
        self.down_ms = now_ms
        self._long_done = False
        self._second = self._release_ms is not None
        self._release_ms = None
        return None

    def _released(self, now_ms):
        if self._long_done:
            return None
        if self._second:
            self._second = False
            return DOUBLE
        if self.wants_double:
            self._release_ms = now_ms
            return None
        return SHORT
