"""The virtual board's hardware model leaves the firmware its time (sim/realtime.py, Budget).

Found hunting the hang seen after a second deploy (the raw REPL never came, zero bytes back,
settings.json.tmp left on the flash): every modelled millisecond re-imported `array`, a search
of the flash through the Python Flash class, and on a loaded host the model then took 99 % of
the MCU process's time, so main.py's way out (the settings save) and the REPL starved."""

from sim import realtime


def _diff(a, b):
    return a - b


def test_the_model_stops_at_its_share_of_a_window():
    budget = realtime.Budget(60, 100_000, 0, _diff)
    assert budget.allow(0)
    budget.spent(50_000)
    assert budget.allow(50_000)  # 50 % used: still within 60 %
    budget.spent(20_000)
    assert not budget.allow(70_000)  # 70 %: the firmware's turn until the window ends
    assert not budget.allow(99_999)
    assert budget.allow(100_000)  # a new window
    assert budget.last_pct == 70


def test_a_clock_that_goes_back_never_locks_the_model_out():
    budget = realtime.Budget(60, 100_000, 1000, _diff)
    budget.spent(90_000)
    assert not budget.allow(2000)
    assert budget.allow(500)  # ticks_us wrapped (or the window start is in the future)
    assert budget.used == 0
