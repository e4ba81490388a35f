"""Volume controller with real drivers on simulated chips; levels are measured from the chip
models' analog state plus the trim the engine was sent."""

from chip_rigs import (
    RecordingEngine,
    digital_rig,
    output_db,
    pga2311_rig,
    relay_pin,
    tpa6130a2_rig,
)

from support import raises
from uamp import volume as volume_module
from uamp.volume import Volume


def _running(rig, cap=0.0, level=None, **kwargs):
    world, chip, driver = rig()
    engine = RecordingEngine()
    volume = Volume(driver, engine, cap, **kwargs)
    driver.enable(True)
    volume.mute(False)
    if level is not None:
        volume.set_db(level)
    _settle(volume)
    return world, chip, engine, volume


def _settle(volume, ticks=400):
    for _ in range(ticks):
        volume.tick()


def _levels(chip, engine, relay_db=0.0):
    return output_db(chip, engine, 0, relay_db), output_db(chip, engine, 1, relay_db)


def test_starts_silent_and_muted():
    for rig in (pga2311_rig, tpa6130a2_rig, digital_rig):
        _world, chip, driver = rig()
        engine = RecordingEngine()
        volume = Volume(driver, engine, 0.0)
        assert volume.muted and engine.trim == (0, 0)
        assert chip is None or chip.gain_db(0) is None


def test_cap_off_the_grid_is_never_exceeded_by_rounding():
    _world, _chip, _engine, volume = _running(pga2311_rig, cap=-10.2)
    assert volume.max_db == -10.5
    assert volume.set_db(-10.2) == -10.5  # rounding to -10.0 would pass the cap
    assert volume.set_db(100) == -10.5
    assert volume.set_db(-10.7) == -10.5
    assert volume.set_db(-10.8) == -11.0


def test_bad_values_raise_and_change_nothing():
    _world, _chip, _engine, volume = _running(pga2311_rig, level=-20.0)
    for bad in ("loud", None, float("nan"), float("inf"), True, [1]):
        raises(ValueError, volume.set_db, bad)
        raises(ValueError, volume.set_balance, bad)
        raises(ValueError, volume.set_limit, bad)
    raises(ValueError, volume.set_balance, 13)
    raises(ValueError, volume.set_limit, 1.0)  # above the board's cap
    raises(ValueError, volume.set_gain_mode, "turbo")
    assert volume.target_db == -20.0 and volume.balance_db == 0 and volume.max_db == 0.0


def test_pga2311_level_is_reached_in_half_db_steps():
    _world, chip, engine, volume = _running(pga2311_rig, level=-40.0)
    volume.set_db(-20.0)
    last = _levels(chip, engine)[0]
    for _ in range(60):
        volume.tick()
        now = _levels(chip, engine)[0]
        assert abs(now - last) <= 0.5 + 1e-9
        last = now
    assert _levels(chip, engine) == (-20.0, -20.0)
    assert chip.gain_db(0) == -20.0 and engine.trim == (32768, 32768)


def test_tpa6130a2_every_grid_level_is_exact_within_005_db():
    _world, chip, engine, volume = _running(tpa6130a2_rig, level=-59.5)
    worst = 0.0
    steps = int((volume.max_db - volume.min_db) * 2)
    for i in range(steps + 1):
        level = volume.min_db + i / 2
        volume.set_db(level)
        _settle(volume, 3)
        left, right = _levels(chip, engine)
        worst = max(worst, abs(left - level), abs(right - level))
        assert chip.gain_db(0) >= level - 0.001  # the analog step covers it, the trim trims
    print("TPA6130A2 + trim: worst level error %.4f dB over %d levels" % (worst, steps + 1))
    assert worst <= 0.05


def test_tpa6130a2_ramp_never_steps_more_than_half_a_db():
    _world, chip, engine, volume = _running(tpa6130a2_rig, level=-50.0)
    volume.set_db(0.0)
    last = _levels(chip, engine)[0]
    for _ in range(120):
        volume.tick()
        now = _levels(chip, engine)[0]
        assert now - last <= 0.5 + 0.01, (last, now)
        last = now
    assert abs(last) <= 0.05


def test_balance_attenuates_the_other_side():
    for rig in (pga2311_rig, tpa6130a2_rig, digital_rig):
        _world, chip, engine, volume = _running(rig, level=-20.0)
        volume.set_balance(6)  # positive: right louder
        _settle(volume, 40)
        left, right = _levels(chip, engine)
        assert abs(left - -26.0) <= 0.05 and abs(right - -20.0) <= 0.05, (rig, left, right)
        volume.set_balance(-3.5)
        _settle(volume, 40)
        left, right = _levels(chip, engine)
        assert abs(left - -20.0) <= 0.05 and abs(right - -23.5) <= 0.05


def test_mute_fades_then_mutes_the_chip_and_unmute_fades_back():
    _world, chip, engine, volume = _running(pga2311_rig, level=-20.0)
    volume.mute(True)
    seen = []
    for _ in range(40):
        volume.tick()
        seen.append(_levels(chip, engine)[0])
    fading = [x for x in seen if x is not None]
    assert fading == sorted(fading, reverse=True) and len(fading) >= 20
    assert seen[-1] is None and chip.gain_db(0) is None and engine.trim == (0, 0)
    volume.mute(False)
    _settle(volume, 40)
    assert _levels(chip, engine) == (-20.0, -20.0)


def test_limit_lowers_the_cap_in_force():
    _world, chip, engine, volume = _running(pga2311_rig, level=-6.0)
    volume.set_limit(-12.3)
    assert volume.max_db == -12.5 and volume.target_db == -12.5
    _settle(volume, 30)
    assert _levels(chip, engine)[0] == -12.5
    assert volume.set_db(0) == -12.5


def test_relay_gain_mode_keeps_the_output_level():
    world, chip, driver = pga2311_rig()
    relay = relay_pin(world)
    engine = RecordingEngine()
    volume = Volume(driver, engine, 0.0, (("low", 0.0), ("high", 10.0)), relay)
    volume.mute(False)
    volume.set_db(-20.0)
    _settle(volume)
    assert volume.gain_modes == ("low", "high") and volume.gain_mode == "low"
    before = _levels(chip, engine)[0]
    volume.set_gain_mode("high")
    volume.tick()
    relay_db = 10.0 if world.pin(8).level() else 0.0
    assert relay_db == 10.0 and chip.gain_db(0) == -30.0  # the IC gave back what the relay added
    assert volume.target_db == -30.0 and volume.current_db == -30.0  # the volume moved instead
    assert output_db(chip, engine, 0, relay_db) == before
    volume.set_gain_mode("low")
    volume.tick()
    assert world.pin(8).level() == 0 and output_db(chip, engine, 0) == before
    assert volume.target_db == -20.0


def test_ic_range_gain_mode_takes_its_gain_from_the_top_of_the_ic():
    modes = (("low", 0.0), ("high", 6.0))
    _world, chip, driver = tpa6130a2_rig()
    engine = RecordingEngine()
    volume = Volume(driver, engine, 0.0, modes)
    driver.enable(True)
    volume.mute(False)
    assert volume.max_db == 0.0  # low: the board cap
    volume.set_gain_mode("high")
    volume.tick()
    assert volume.max_db == -2.5  # high: the IC's +3.6 dB top less the 6 dB it supplies
    volume.set_db(-2.5)
    _settle(volume)
    high_out = _levels(chip, engine)[0]
    assert abs(high_out - 3.5) <= 0.05  # volume -2.5 + 6 dB of mode gain
    # Back to low: +3.5 dB does not fit under the 0 dB cap, so the volume first ramps down
    # in the high mode, then switches where the output stays put.
    volume.set_gain_mode("low")
    last = high_out
    for _ in range(20):
        volume.tick()
        now = _levels(chip, engine)[0]
        assert abs(now - last) <= 0.5 + 0.01
        last = now
    assert volume.gain_mode == "low" and volume.mode_index == 0
    assert volume.target_db == 0.0 and abs(last - 0.0) <= 0.05


def test_driver_fault_mutes_reports_and_recovers():
    world, chip, engine, volume = _running(tpa6130a2_rig, level=-20.0)
    reports = []
    volume.on_fault = reports.append
    chip.fault = "nack"
    volume.set_db(-10.0)
    volume.tick()
    assert volume.fault is not None and reports == [volume.fault]
    assert engine.trim == (0, 0) and volume.muted
    for _ in range(50):
        volume.tick()  # nothing is commanded while the fault stands
    assert engine.trim == (0, 0)
    volume.mute(False)  # the chip still NACKs: the retry fails and reports again
    assert volume.fault is not None and volume.muted and len(reports) == 2
    chip.fault = None
    volume.mute(False)
    assert volume.fault is None
    _settle(volume)
    assert abs(_levels(chip, engine)[0] - -10.0) <= 0.05


def test_stuck_bus_is_a_fault_too():
    world, chip, engine, volume = _running(tpa6130a2_rig, level=-20.0)
    world.i2c_bus(0).stuck = True
    volume.set_db(-10.0)
    volume.tick()
    assert "110" in volume.fault and engine.trim == (0, 0)


def test_digital_only_volume_reaches_its_floor_and_top():
    _world, chip, engine, volume = _running(digital_rig, level=-60.0)
    assert volume.min_db == -60.0 and abs(_levels(chip, engine)[0] - -60.0) < 0.3
    volume.set_db(0)
    _settle(volume)
    assert engine.trim == (32768, 32768)


def test_fade_constants_are_what_the_docs_say():
    # 45 dB at 1.5 dB per 10 ms tick: the fade takes 300 ms before the chip mutes.
    assert volume_module.FADE_DEPTH_DB / volume_module.FADE_STEP_DB == 30


def test_limit_below_the_floor_is_refused_and_changes_nothing():
    for rig in (pga2311_rig, tpa6130a2_rig, digital_rig):
        _world, chip, engine, volume = _running(rig, level=-20.0)
        floor = volume.min_db
        for bad in (-150, floor - 0.5, floor - 0.01):
            e = raises(ValueError, volume.set_limit, bad)
            assert str(e) == "limit must be %.1f..%.1f dB" % (floor, volume.cap_db), str(e)
            assert volume.limit_db == volume.cap_db and volume.max_db == 0.0
            assert volume.target_db == -20.0
        _settle(volume, 30)
        assert abs(_levels(chip, engine)[0] - -20.0) <= 0.05
        volume.set_limit(floor)  # the floor itself is a limit: the level goes down to it
        assert volume.max_db == floor and volume.target_db == floor
        _settle(volume)
        assert abs(_levels(chip, engine)[0] - floor) <= 0.3, rig  # digital: Q15 at -60 dB


class _NoPort:
    def irq(self, handler):
        pass


def _engine_levels(chip, engine):
    """The level (dB) the real AudioEngine's gain ramp lands on, plus the chip's analog gain."""
    import math

    out = []
    for ch in range(2):
        gain = engine._gain_target[ch]
        analog = 0.0 if chip is None else chip.gain_db(ch)
        out.append(
            None if gain == 0 or analog is None else analog + 20 * math.log10(gain / (1 << 24))
        )
    return out


def test_every_level_within_005_db_and_every_step_half_a_db_on_every_board():
    """With the real engine's fine (Q24) trims, over the whole range of each volume stage
    (PGA2311, TPA6130A2 + trim, digital only down to -60 dB): within 0.05 dB of the request,
    and each 0.5 dB step is 0.5 dB (Q15 trims were up to 0.2 dB off below -40 dB)."""
    from uamp.audio import AudioEngine

    for rig in (pga2311_rig, tpa6130a2_rig, digital_rig):
        _world, chip, driver = rig()
        engine = AudioEngine(_NoPort(), 48000)
        engine.set_gain(32768)
        volume = Volume(driver, engine, 0.0)
        driver.enable(True)
        volume.mute(False)
        volume.set_db(volume.max_db)
        _settle(volume, 600)
        level = volume.max_db
        last = None
        while level >= volume_module.grid_ceil(volume.min_db):
            volume.set_db(level)
            _settle(volume, 4)
            volume.engine.trim_excess_db = lambda: 0.0  # no audio plays here: nothing lags
            _settle(volume, 4)
            got = _engine_levels(chip, engine)
            assert abs(got[0] - level) <= 0.05 and abs(got[1] - level) <= 0.05, (rig, level, got)
            if last is not None:
                assert abs(last - got[0] - 0.5) <= 0.05, (rig, level, last, got)
            last = got[0]
            level -= 0.5
