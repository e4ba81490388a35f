"""Encoder decoding under abuse: bounce storms, reversals at every phase, missed edges, all
encoder types. Pin levels are driven through the simulated GPIOs, so the firmware's IRQ handler
sees exactly the edges a real contact would make. The net count must be exact."""

from sim import machine
from support import raises
from uamp.encoder import Encoder

# Quadrature levels (A, B) in clockwise order from rest (both high: pull-ups).
GRAY = ((1, 1), (0, 1), (0, 0), (1, 0))


class Rng:
    """xorshift32: the same sequence on CPython and MicroPython for a given seed."""

    def __init__(self, seed):
        self.x = seed or 1

    def below(self, n):
        x = self.x
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.x = x
        return x % n


class Knob:
    """A physical encoder: moves its contacts one quarter step at a time."""

    def __init__(self, steps_per_detent=4, invert=False):
        machine.reset_world()
        a = machine.Pin(10, machine.Pin.IN, machine.Pin.PULL_UP)
        b = machine.Pin(11, machine.Pin.IN, machine.Pin.PULL_UP)
        self.enc = Encoder(a, b, steps_per_detent, invert)
        a.irq(self.enc.isr, machine.Pin.IRQ_RISING | machine.Pin.IRQ_FALLING)
        b.irq(self.enc.isr, machine.Pin.IRQ_RISING | machine.Pin.IRQ_FALLING)
        self.a, self.b = a.state, b.state
        self.phase = 0
        self.spd = steps_per_detent

    def step(self, direction, rng=None, bounces=0):
        """One quarter step; the contact that changes chatters `bounces` times first."""
        old = GRAY[self.phase]
        self.phase = (self.phase + direction) % 4
        new = GRAY[self.phase]
        pin = self.a if old[0] != new[0] else self.b
        level = new[0] if pin is self.a else new[1]
        chatter = rng.below(bounces + 1) if rng is not None else 0
        for _ in range(chatter):
            pin.drive(level)
            pin.drive(1 - level)
        pin.drive(level)

    def detents(self, n, rng=None, bounces=0):
        direction = 1 if n > 0 else -1
        for _ in range(abs(n) * self.spd):
            self.step(direction, rng, bounces)


def test_bounce_storms_exact_net_count():
    for seed in (1, 7, 1234, 99991):
        rng = Rng(seed)
        knob = Knob()
        expected = 0
        total = 0
        for _ in range(40):
            n = rng.below(9) - 4
            knob.detents(n, rng, bounces=6)
            expected += n
            if rng.below(3) == 0:  # the task samples at random moments
                total += knob.enc.take_detents()
        total += knob.enc.take_detents()
        assert total == expected, (seed, total, expected)


def test_reversal_at_every_phase_never_gains_or_loses():
    for spd in (1, 2, 4):
        for start in range(4 * spd):
            for back in range(1, 4 * spd + 1):
                knob = Knob(spd)
                knob.detents(1)  # leave rest, then go `start` quarter steps on
                for _ in range(start):
                    knob.step(1)
                for _ in range(back):
                    knob.step(-1)
                net_steps = spd + start - back
                # Finish at the nearest detent in the direction we were last moving.
                while net_steps % spd:
                    knob.step(-1)
                    net_steps -= 1
                got = knob.enc.take_detents()
                assert got == net_steps // spd, (spd, start, back, got)
                assert knob.enc.take_detents() == 0


def test_very_fast_turn_counts_every_detent():
    knob = Knob()
    knob.detents(500)  # edges back to back: no time passes between them
    knob.detents(-137)
    assert knob.enc.take_detents() == 363


def test_half_and_full_step_encoders():
    for spd in (1, 2):
        knob = Knob(spd)
        knob.detents(5, Rng(3), bounces=3)
        assert knob.enc.take_detents() == 5
        knob.detents(-8)
        assert knob.enc.take_detents() == -8


def test_missed_edges_resync_at_the_detent():
    # The IRQ came late: both contacts changed before it read them (an invalid transition that
    # counts zero). Back at rest the decoder rounds the half detent it saw to a whole one.
    # The task sees the knob resting in each detent (it samples every 10 ms).
    knob = Knob()
    handler = knob.a.irq_handler
    total = 0
    for _ in range(3):
        knob.a.irq_handler = None
        knob.step(1)
        knob.a.irq_handler = handler
        knob.step(1)  # this edge's IRQ sees two changes at once
        knob.step(1)
        knob.step(1)
        total += knob.enc.take_detents()
    assert total == 3 and knob.enc.count == 6


def test_partial_detent_waits_for_the_rest():
    knob = Knob()
    knob.step(1)
    knob.step(1)
    assert knob.enc.take_detents() == 0
    knob.step(1)
    knob.step(1)
    assert knob.enc.take_detents() == 1


def test_invert_and_bad_type():
    knob = Knob(4, invert=True)
    knob.detents(3, Rng(5), bounces=4)
    assert knob.enc.take_detents() == -3
    a = machine.Pin(10)
    raises(ValueError, Encoder, a, a, 3)


def test_isr_flag_is_set_and_cleared():
    knob = Knob()
    assert not knob.enc.moved
    knob.step(1)
    assert knob.enc.moved
    knob.enc.take_detents()
    assert not knob.enc.moved
