"""Encoder decoding through simulated pin edges."""

from sim import machine
from uamp.encoder import Encoder

CW = ((0, 1), (0, 0), (1, 0), (1, 1))  # one clockwise detent from rest (1, 1)
CCW = ((1, 0), (0, 0), (0, 1), (1, 1))


def _setup(invert=False):
    machine.reset_world()
    a = machine.Pin(10, machine.Pin.IN, machine.Pin.PULL_UP)
    b = machine.Pin(11, machine.Pin.IN, machine.Pin.PULL_UP)
    enc = Encoder(a, b, 4, invert)
    a.irq(enc.isr, machine.Pin.IRQ_RISING | machine.Pin.IRQ_FALLING)
    b.irq(enc.isr, machine.Pin.IRQ_RISING | machine.Pin.IRQ_FALLING)
    return a.state, b.state, enc


def _play(a, b, sequence, times=1):
    for _ in range(times):
        for level_a, level_b in sequence:
            a.drive(level_a)
            b.drive(level_b)


def test_clockwise_and_back():
    a, b, enc = _setup()
    _play(a, b, CW, 3)
    assert enc.take_detents() == 3
    _play(a, b, CCW, 5)
    assert enc.take_detents() == -5
    assert enc.take_detents() == 0


def test_partial_detent_is_kept():
    a, b, enc = _setup()
    _play(a, b, CW[:2])
    assert enc.take_detents() == 0
    _play(a, b, CW[2:])
    assert enc.take_detents() == 1


def test_bounce_cancels():
    a, b, enc = _setup()
    # Contact A chatters on its first edge: fall, rise, fall, then the turn goes on.
    a.drive(0)
    a.drive(1)
    a.drive(0)
    _play(a, b, CW[1:])
    assert enc.take_detents() == 1


def test_invert():
    a, b, enc = _setup(invert=True)
    _play(a, b, CW, 2)
    assert enc.take_detents() == -2
