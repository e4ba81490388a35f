"""Buttons: polled debouncing, short/long/double press, held at boot. Pin levels go through the
simulated GPIOs; time is whatever the test says it is (the panel polls every 10 ms)."""

from sim import machine
from uamp.buttons import DOUBLE, LONG, SHORT, Button

POLL_MS = 10


def _diff(a, b):
    return a - b


class Rig:
    def __init__(self, wants_double=False, held=False, active_low=True):
        machine.reset_world()
        pin = machine.Pin(12, machine.Pin.IN, machine.Pin.PULL_UP)
        self.contact = pin.state
        self.active_low = active_low
        if held:
            self.set(True)
        elif not active_low:
            self.contact.drive(0)
        self.now = 0
        self.button = Button(pin, "push", 0, _diff, active_low, wants_double)
        self.events = []

    def set(self, down):
        level = (0 if down else 1) if self.active_low else (1 if down else 0)
        self.contact.drive(level)

    def run(self, ms):
        for _ in range(ms // POLL_MS):
            self.now += POLL_MS
            event = self.button.poll(self.now)
            if event:
                self.events.append((event, self.now))

    def bouncy(self, down, rng_seed=3):
        """Contact chatter: 1 ms flips for a few ms, sampled wherever the poll lands."""
        x = rng_seed
        for _ in range(4):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
            self.set((x >> 16) & 1)
            self.run(POLL_MS)
        self.set(down)


def test_short_press_reports_on_release():
    rig = Rig()
    rig.set(True)
    rig.run(100)
    assert rig.events == []
    rig.set(False)
    rig.run(50)
    assert [e for e, _ in rig.events] == [SHORT]


def test_bounce_gives_one_press():
    rig = Rig()
    rig.bouncy(True)
    rig.run(150)
    rig.bouncy(False)
    rig.run(400)
    assert [e for e, _ in rig.events] == [SHORT]


def test_glitch_shorter_than_debounce_is_ignored():
    rig = Rig()
    rig.set(True)
    rig.run(POLL_MS)  # 10 ms: below DEBOUNCE_MS
    rig.set(False)
    rig.run(500)
    assert rig.events == []


def test_long_press_fires_while_held_and_release_is_silent():
    rig = Rig()
    rig.set(True)
    rig.run(Button.LONG_MS + 60)
    assert [e for e, _ in rig.events] == [LONG]
    rig.set(False)
    rig.run(500)
    assert [e for e, _ in rig.events] == [LONG]


def test_double_press():
    rig = Rig(wants_double=True)
    for _ in range(2):
        rig.set(True)
        rig.run(80)
        rig.set(False)
        rig.run(100)
    rig.run(500)
    assert [e for e, _ in rig.events] == [DOUBLE]


def test_single_press_of_double_button_waits_then_is_short():
    rig = Rig(wants_double=True)
    rig.set(True)
    rig.run(80)
    rig.set(False)
    rig.run(Button.DOUBLE_MS - 50)
    assert rig.events == []
    rig.run(200)
    assert [e for e, _ in rig.events] == [SHORT]


def test_two_slow_presses_are_two_shorts():
    rig = Rig(wants_double=True)
    for _ in range(2):
        rig.set(True)
        rig.run(80)
        rig.set(False)
        rig.run(Button.DOUBLE_MS + 100)
    assert [e for e, _ in rig.events] == [SHORT, SHORT]


def test_held_at_boot_is_flagged_and_never_a_press():
    rig = Rig(held=True)
    assert rig.button.held_at_boot and rig.button.pressed
    rig.run(3000)
    assert rig.button.held_ms(rig.now) == 3000
    rig.set(False)
    rig.run(500)
    assert rig.events == [] and rig.button.held_ms(rig.now) == 0


def test_active_high_button():
    rig = Rig(active_low=False)
    assert not rig.button.pressed
    rig.set(True)
    rig.run(60)
    rig.set(False)
    rig.run(60)
    assert [e for e, _ in rig.events] == [SHORT]


def test_bounce_storms_give_exactly_one_event_per_press():
    for seed in (5, 17, 4242):
        rig = Rig()
        x = seed
        presses = 0
        for _ in range(12):
            # Chatter on press and release: 1-ms flips for up to 15 ms, sampled every 10 ms.
            for down in (True, False):
                for _ in range(3):
                    x = (x * 1103515245 + 12345) & 0x7FFFFFFF
                    rig.set(bool((x >> 16) & 1))
                    rig.now += 3
                    event = rig.button.poll(rig.now)
                    if event:
                        rig.events.append((event, rig.now))
                rig.set(down)
                rig.run(200 if down else 300)
            presses += 1
        assert [e for e, _ in rig.events] == [SHORT] * presses, (seed, rig.events)
