"""Property test: whatever the sequence of inputs, faults included, the volume controller never
commands a level above the board's cap (plus, in a high gain mode, that mode's gain, which the
volume is compensated for), and level changes never step more than 0.5 dB per tick outside the
mute fade. Levels are measured from the simulated chips plus the engine's trim."""

SKIP_ON_MICROPYTHON = "hypothesis is CPython-only"

import math  # noqa: E402

from chip_rigs import (  # noqa: E402
    RELAY_PIN,
    LaggingEngine,
    RecordingEngine,
    digital_rig,
    output_db,
    pga2311_rig,
    relay_pin,
    tpa6130a2_rig,
)
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from uamp.volume import Volume  # noqa: E402

numbers = st.one_of(
    st.floats(min_value=-150, max_value=60),
    st.integers(min_value=-150, max_value=60),
    st.sampled_from(["loud", None, True, float("nan"), float("inf"), -float("inf")]),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("db"), numbers),
        st.tuples(st.just("limit"), numbers),
        st.tuples(st.just("balance"), numbers),
        st.tuples(st.just("mute"), st.booleans()),
        st.tuples(st.just("mode"), st.sampled_from(["low", "high", "normal", "x"])),
        st.tuples(st.just("tick"), st.integers(min_value=1, max_value=40)),
        st.tuples(st.just("fault"), st.sampled_from([None, "nack", "timeout"])),
        st.tuples(st.just("stuck"), st.booleans()),
    ),
    max_size=40,
)
RIGS = {
    "pga2311+relay": (pga2311_rig, (("low", 0.0), ("high", 10.0)), True),
    "tpa6130a2 range": (tpa6130a2_rig, (("low", 0.0), ("high", 6.0)), False),
    "digital": (digital_rig, (("normal", 0.0),), False),
}


def _measure(world, chip, engine, volume):
    relay_db = 0.0
    if volume.relay is not None and world.pin(RELAY_PIN).level():
        relay_db = volume.modes[1][1]
    return [output_db(chip, engine, ch, relay_db) for ch in (0, 1)]


def _apply(world, chip, volume, op, value):
    try:
        if op == "db":
            volume.set_db(value)
        elif op == "limit":
            volume.set_limit(value)
        elif op == "balance":
            volume.set_balance(value)
        elif op == "mute":
            volume.mute(value)
        elif op == "mode":
            volume.set_gain_mode(value)
        elif op == "fault" and chip is not None and hasattr(chip, "fault"):
            chip.fault = value
        elif op == "stuck" and world.i2c_buses:
            world.i2c_bus(0).stuck = value
    except ValueError:
        pass


def _unmuted(rig_name, cap, engine):
    """The rig's chip and a Volume on it with `engine`, enabled and unmuted."""
    make, modes, has_relay = RIGS[rig_name]
    world, chip, driver = make()
    relay = relay_pin(world) if has_relay else None
    volume = Volume(driver, engine, cap, modes, relay)
    driver.enable(True)
    volume.mute(False)
    return world, chip, volume, engine, has_relay


@settings(max_examples=400, deadline=None)
@given(
    rig_name=st.sampled_from(sorted(RIGS)),
    cap=st.floats(min_value=-40, max_value=12),
    ops=operations,
)
def test_never_above_the_cap_and_never_a_big_step(rig_name, cap, ops):
    cap = min(cap, 0.0) if rig_name == "digital" else cap
    world, chip, volume, engine, has_relay = _unmuted(rig_name, cap, RecordingEngine())
    for op, value in ops:
        _apply(world, chip, volume, op, value)
        ticks = value if op == "tick" else 1
        for _ in range(ticks):
            before = _measure(world, chip, engine, volume)
            q15_before = min(engine.trim)
            steady = volume.fade_db == 0 and volume.fault is None
            volume.tick()
            after = _measure(world, chip, engine, volume)
            steady = steady and volume.fade_db == 0 and volume.fault is None
            assert volume.target_db <= volume.max_db <= cap and volume.current_db <= cap
            mode_gain = volume.modes[volume.mode_index][1]
            for channel in (0, 1):
                level = after[channel]
                assert level is None or level - mode_gain <= cap + 1e-6, (level, cap)
                if steady and before[channel] is not None and level is not None:
                    # Q15 rounding of the trim, before and after: one LSB at the quieter one.
                    lsb_db = 20 * math.log10(1 + 1 / min(q15_before, min(engine.trim)))
                    assert abs(level - before[channel]) <= 0.5 + lsb_db + 1e-9


@settings(max_examples=200, deadline=None)
@given(
    rig_name=st.sampled_from(sorted(RIGS)),
    cap=st.one_of(  # caps on the 0.5 dB grid leave no slack for an overshoot to hide in
        st.integers(min_value=-80, max_value=24).map(lambda n: n / 2),
        st.floats(min_value=-40, max_value=12),
    ),
    ops=operations,
)
def test_an_engine_that_lags_never_lets_an_analog_step_pass_the_cap(rig_name, cap, ops):
    """The engine plays each trim one tick late (the real one: a few buffers): an analog step
    up waits for the lower trim, so what is heard, old trim included, stays under the cap."""
    cap = min(cap, 0.0) if rig_name == "digital" else cap
    world, chip, volume, engine, has_relay = _unmuted(rig_name, cap, LaggingEngine())
    for op, value in ops:
        _apply(world, chip, volume, op, value)
        for _ in range(value if op == "tick" else 1):
            volume.tick()
            relay_db = volume.modes[1][1] if has_relay and world.pin(RELAY_PIN).level() else 0.0
            mode_gain = volume.modes[volume.mode_index][1]
            for channel in (0, 1):
                trim = engine.heard_db(channel)
                analog = 0.0 if chip is None else chip.gain_db(channel)
                if trim is not None and analog is not None:
                    level = analog + relay_db + trim
                    assert level - mode_gain <= cap + 1e-6, (level, cap, volume.waiting)
            engine.play()
