"""Quadrature rotary encoder decoded from pin-change interrupts with a transition table.

The IRQ handler does one table lookup and one counter update; detents are taken out by the
main loop. Invalid transitions (both pins changed: contact bounce) count zero, so bounce
cancels out instead of adding steps.
"""

# Index: previous (A, B) state * 4 + new state. +1 = one quarter step clockwise.
_TRANSITIONS = (0, -1, 1, 0, 1, 0, 0, -1, -1, 0, 0, 1, 0, 1, -1, 0)


class Encoder:
    def __init__(self, pin_a, pin_b, steps_per_detent=4, invert=False):
        self.pin_a = pin_a
        self.pin_b = pin_b
        self.steps_per_detent = steps_per_detent
        self.direction = -1 if invert else 1
        self.state = (pin_a() << 1) | pin_b()
        self.count = 0  # quarter steps not yet taken as detents

    def isr(self, _pin):
        new = (self.pin_a() << 1) | self.pin_b()
        self.count += _TRANSITIONS[(self.state << 2) | new]
        self.state = new

    def take_detents(self):
        """Whole detents turned since the last call (signed); the remainder stays."""
        count = self.count
        spd = self.steps_per_detent
        detents = count // spd if count >= 0 else -((-count) // spd)
        self.count = count - detents * spd
        return detents * self.direction
