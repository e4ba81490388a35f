"""uamp on an emulated Raspberry Pi Pico: the board's own MicroPython (v1.28.0 RPI_PICO) on
rp2040js, booting the layout `make deploy` installs. One board is shared by the module's tests
(in file order): boot, console, the PGA2311's SPI words, the knob, the display, the I2S output
and settings that survive a power cycle.
"""

import json

import harness
import numpy as np
import pytest

SKIP_ON_MICROPYTHON = "drives the rp2040js emulator from CPython"

FRAME_HZ = 48000
# Issue 11: the heap the firmware leaves after boot, read from the allocation table without a
# collection (garbage counts as used), at `uamp ready` (console commands add garbage).
# `make bench-rp2 BENCH_ARGS=--heap` shows where it goes.
HEAP_FREE_MIN = 64 * 1024
HEAP_BLOCK_MIN = 16 * 1024


def gains(word):
    return harness.pga2311_gains(word)


def settle_volume(pico, word, timeout_ms=4000):
    """Run until the PGA2311 latched `word`; returns every word latched meanwhile."""
    words = []
    deadline = pico.now_ms + timeout_ms
    while pico.now_ms < deadline:
        pico.run_ms(200)
        words += pico.pga2311_words()
        if words and words[-1] == word:
            pico.run_ms(100)  # nothing may follow it
            words += pico.pga2311_words()
            return words
    raise AssertionError(
        f"no word {word:#06x} within {timeout_ms} ms; got {[hex(w) for w in words]}"
    )


def word_for(db):
    n = round(255 - (31.5 - db) / 0.5)  # SBOS218: gain = 31.5 - 0.5 * (255 - N) dB
    return (n << 8) | n


def test_deploy_layout_boots(booted):
    assert booted.plain_failure is None, booted.plain_failure


def assert_heap_room(pico):
    heap = pico.heap(collect_within_ms=0)
    assert heap["free"] >= HEAP_FREE_MIN, heap
    assert heap["largest_free"] >= HEAP_BLOCK_MIN, heap


def test_boot_leaves_heap_room(pico):
    assert_heap_room(pico)


def test_boot_reaches_ready_muted(pico):
    assert "uamp ready: pico-pcm5102a-pga2311" in pico.output
    assert "Traceback" not in pico.output
    words = pico.pga2311_words()
    assert words, "the volume IC was never written"
    assert all(gains(w) in ((None, None), (-95.5, -95.5)) for w in words)  # muted or floor
    pins = pico.outputs()
    assert pins[pico.profile["amp_enable"]] == 0  # the amp stays off until unmuted


def test_display_answers_and_lights(pico):
    log = pico.i2c_transactions()
    addr = pico.profile["display"]["addr"]
    assert log and all(t["addr"] == addr and t["ack"] for t in log)
    display = pico.ssd1306
    assert display.protocol_errors == []
    assert display.on and display.ready()
    assert display.screen().lit() > 100  # the main screen is drawn


def test_console_replies(pico):
    status = json.loads(pico.command("status --json"))
    assert status["rate"] == FRAME_HZ
    assert status["input"] == "tone"
    assert "uamp" in pico.command("version")
    assert pico.command("frobnicate 12").startswith("error:")
    assert json.loads(pico.command("status --json"))["underruns"] == 0


def wait_powered_up(pico, volume_db, timeout_ms=2000):
    """`uamp ready` comes before the power-up sequence ends; a volume set meanwhile is
    replaced by the power-on level. Wait until status shows `volume_db`."""
    deadline = pico.now_ms + timeout_ms
    status = json.loads(pico.command("status --json"))
    while status["volume_db"] != volume_db and pico.now_ms < deadline:
        pico.run_ms(50)
        status = json.loads(pico.command("status --json"))
    assert status["volume_db"] == volume_db, status
    return status


def test_vol_minus_20_reaches_the_pga2311_in_steps(pico):
    wait_powered_up(pico, pico.profile["limits"]["power_on_db"])
    assert pico.command("vol -20") == "vol -20.0 dB"
    pico.command("mute off")
    # the unmute fades in from the floor one IC step (0.5 dB) at a time, each step waiting
    # until the audio queued before it has played: about 150 steps, 4-5 s on this board
    words = settle_volume(pico, word_for(-20), timeout_ms=8000)
    levels = [gains(w) for w in words]
    assert all(left == right for left, right in levels)  # balance 0: both channels alike
    db = [left for left, _ in levels if left is not None]
    assert db == sorted(db), "the ramp went down on its way up"
    assert max(b - a for a, b in zip(db, db[1:])) <= 0.5  # one IC step at a time: no click
    assert pico.outputs()[pico.profile["amp_enable"]] == 1


# Issue 11 (open): today's firmware keeps the emulated Pico's core 86-100 % busy, so whether a
# knob edge or an I2S refill lands in time depends on when the host's input reaches emulated
# time: these two fail on some runs. Not strict: they must pass again once the load fits.
OVERLOADED = pytest.mark.xfail(
    reason="issue 11: the core is overloaded (86 % with DSP off), knob edges and refills are late",
    strict=False,
)


@OVERLOADED
def test_knob_turns_step_the_volume(pico):
    pico.pga2311_words()
    # slow detents (160 ms each) step 0.5 dB; at 80 ms a detent the busy core's panel task
    # can take two at once, which the knob acceleration answers with bigger steps
    pico.turn(2, ms_per_edge=40)
    words = settle_volume(pico, word_for(-19))
    assert gains(words[-1]) == (-19.0, -19.0)
    pico.turn(-4, ms_per_edge=40)
    words = settle_volume(pico, word_for(-21))
    assert gains(words[-1]) == (-21.0, -21.0)
    assert json.loads(pico.command("status --json"))["volume_db"] == -21.0


@OVERLOADED
def test_i2s_output_has_no_gap_or_glitch(pico, tmp_path):
    pico.window()
    pico.capture_start()
    pico.run_ms(400)
    path = tmp_path / "rp2.wav"
    frames = pico.capture_stop(path)
    stats = pico.stats()
    assert stats["i2s"]["stalls"] == 0  # the bit clock never stopped
    assert stats["i2s"]["silent_runs"] == 0  # no underrun (the driver plays silence then)
    assert stats["i2s"]["period_cycles"] == pytest.approx(stats["clk_sys"] / FRAME_HZ, rel=1e-3)
    assert abs(frames - 0.4 * FRAME_HZ) <= 2
    x = np.array(harness.wav_frames(path), dtype=float)
    # the 1 kHz, -6 dBFS test tone (uamp/audio.py TONE_HZ, TONE_DBFS) at full digital gain
    peak = np.abs(x).max(axis=0)
    assert np.all(np.abs(20 * np.log10(peak / 32768) + 6.0) < 0.2), peak
    # a sine's second difference is at most A * (2 pi f / fs)^2; a gap, a repeated or a
    # dropped buffer makes a jump far above it
    bound = 32768 * 10 ** (-6 / 20) * (2 * np.pi * 1000 / FRAME_HZ) ** 2
    d2 = np.abs(np.diff(x, 2, axis=0)).max()
    assert d2 < bound * 1.2 + 8, (d2, bound)
    status = json.loads(pico.command("status --json"))
    assert status["underruns"] == 0


def test_settings_survive_a_power_cycle(pico):
    from uamp import settings  # the firmware's own decoder (host_tests/conftest.py path)

    pico.command("bal 1.5")
    pico.command("vol -36")
    pico.command("save")
    pico.run_ms(300)
    problems = []
    saved = settings.decode(pico.files()["/settings.json"], problems)
    assert problems == []
    assert saved["volume_db"] == -36.0
    assert saved["balance_db"] == 1.5
    pico.reboot()
    seen = pico.wait_for(harness.READY, 6000)
    assert_heap_room(pico)  # the second boot loads and checks the settings file too
    if not seen.endswith(harness.PROMPT):  # the prompt came in the next chunk: not a reply
        pico.wait_for(harness.PROMPT, 2000)
    status = wait_powered_up(pico, -36.0)
    assert status["balance_db"] == 1.5
    assert status["mute"] is False
