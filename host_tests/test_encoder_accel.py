"""Knob acceleration: slow turns exact, fast turns bigger, the rise capped in dB/s over every
window of time whatever the pattern of detents (seeded random streams, both interpreters)."""

from test_encoder_storms import Rng

from support import raises
from uamp.encoder import Accelerator

TICK_MS = 10


def _diff(a, b):
    return a - b


def test_slow_turns_are_exact_half_db_steps():
    accel = Accelerator()
    total = 0.0
    now = 0
    for _ in range(200):  # one detent every 80 ms for 16 s, up then down
        now += 80
        total += accel.change_db(1, now, _diff)
    assert total == 100.0
    for _ in range(40):
        now += 80
        total += accel.change_db(-1, now, _diff)
    assert total == 80.0


def test_fast_turns_take_bigger_steps():
    accel = Accelerator(60)
    accel.change_db(1, 0, _diff)
    assert accel.change_db(1, 40, _diff) == 1.0  # 40 ms apart: 2x
    assert accel.change_db(2, 60, _diff) == 4.0  # 10 ms a detent: 4x
    assert accel.change_db(-1, 70, _diff) == -0.5  # a reversal starts slow again


def test_rise_never_beats_the_cap_in_any_window():
    for seed in (2, 31, 777):
        rng = Rng(seed)
        cap = 10 + rng.below(51)
        accel = Accelerator(cap)
        burst = cap * Accelerator.BURST_S
        levels = [0.0]
        level = 0.0
        for tick in range(1, 1500):
            detents = rng.below(9) - 2 if rng.below(4) else 0  # mostly up, sometimes hard
            level += accel.change_db(detents, tick * TICK_MS, _diff)
            levels.append(level)
        for start in range(0, len(levels), 37):
            for end in range(start + 1, len(levels), 13):
                rise = levels[end] - levels[start]
                seconds = (end - start) * TICK_MS / 1000
                assert rise <= cap * seconds + burst + 1e-9, (seed, start, end, rise)


def test_turning_down_is_never_limited():
    accel = Accelerator(10)
    total = 0.0
    for tick in range(1, 21):
        total += accel.change_db(-5, tick * TICK_MS, _diff)
    assert total <= -5 * 20 * 0.5


def test_cap_setting_is_checked():
    accel = Accelerator()
    raises(ValueError, accel.set_cap, 5)
    raises(ValueError, accel.set_cap, 61)
    raises(ValueError, accel.set_cap, "fast")
    assert accel.cap_db_s == Accelerator.CAP_DEFAULT
    accel.set_cap(40)
    assert accel.cap_db_s == 40
