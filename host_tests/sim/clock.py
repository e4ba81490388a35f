"""A deterministic clock with the `time.ticks_*` interface the firmware uses.

Time moves only when the simulator (or a test) advances it, so every run is repeatable.
The tick counters do not wrap; the firmware still uses ticks_diff/ticks_add as on a board.
"""


class SimClock:
    def __init__(self):
        self.now_us = 0
        self.sleepers = []  # called with the new time when sleep_ms moves the clock

    def ticks_us(self):
        return self.now_us

    def ticks_ms(self):
        return self.now_us // 1000

    def ticks_diff(self, a, b):
        return a - b

    def ticks_add(self, a, b):
        return a + b

    def advance_us(self, us):
        self.now_us += us

    def sleep_ms(self, ms):
        # A blocking sleep in firmware (start-up sequencing only) lets simulated time pass.
        self.advance_us(ms * 1000)

    def sleep_us(self, us):
        self.advance_us(us)
