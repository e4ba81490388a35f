"""Crossfeed (issue 12): the cross path 0.3 ms late at every rate, low passed and a few dB down;
a centre image keeps its treble; every on/off and level change is as clean as a volume ramp.
Measured on the real AudioEngine (offline, numpy; CPython only). The figures:
`tools/analyze.py figures`; the kernels bit for bit: test_kernels.py, test_kernels_emu.py."""

SKIP_ON_MICROPYTHON = "numpy measurements run on CPython only"

import math  # noqa: E402

import numpy as np  # noqa: E402
from offline import Offline, above_db, crossfeed_response, sine, wav_bytes  # noqa: E402

from uamp.dsp import crossfeed  # noqa: E402


def _level_db(x):
    return 20 * math.log10(float(np.sqrt(np.mean(x**2))))


def test_cross_path_is_delayed_about_0_3_ms_at_every_rate():
    """A click on the left through the whole engine: the right ear hears it round(0.3 ms * rate)
    frames later (13, 14, 29), within half a frame of 0.3 ms; the left ear at once."""
    for rate, frames in ((44100, 13), (48000, 14), (96000, 29)):
        n = 256 * 64
        click = np.zeros(n)
        click[n // 2] = 0.5
        o = Offline(bits=32, rate=rate, wav=wav_bytes(click, 0 * click, rate=rate))
        o.engine.set_crossfeed(3)
        o.settle(31)  # faded in; the click comes in the second half of the loop
        left, right = o.run(33)
        heard = np.nonzero(np.abs(left) > 1e-3)[0]
        crossed = np.nonzero(np.abs(right) > 1e-4)[0]
        assert len(heard) and len(crossed)
        assert crossed[0] - heard[0] == frames, (rate, crossed[0] - heard[0])
        assert abs(1000 * frames / rate - 0.3) <= 500 / rate
        assert crossfeed_response(o.engine, 3, [1000])["onset_ms"] == 1000 * frames / rate


def test_centre_image_keeps_its_treble():
    """Mono tones with crossfeed at each level against crossfeed off: the bass and the treble
    stay within 0.3 dB (0.7 from 2 kHz up at level 3; a plain mix lost 20 log(1 - a) of
    treble: -3.7 dB at level 3); the delayed cross path makes a dip between (the comb of a
    speaker pair's phantom centre), no deeper than 3.5 dB."""
    rate = 48000
    for freq, allowed in ((50, 0.3), (1000, 3.5), (4000, 0.6), (8000, 0.5), (16000, 0.3)):
        x = sine(freq, 256 * 15 / rate, rate, -6)  # whole periods: the loop is seamless
        o = Offline(bits=32, wav=wav_bytes(x, x))
        o.settle(30)
        plain, _ = o.run(15)
        for level in (1, 2, 3):
            o.engine.set_crossfeed(level)
            o.settle(30)
            left, right = o.run(15)
            change = _level_db(left) - _level_db(plain)
            assert abs(change) <= allowed, (freq, level, change)
            assert abs(_level_db(right) - _level_db(left)) < 0.01


def test_response_of_each_level():
    """Direct, cross and centre magnitudes (impulses through the engine's kernel): the cross
    path is 20 log(a) in the bass and low-passed at 700 Hz; the direct path is a high shelf
    from 1 - a to unity; a centre image is flat in the bass and the treble."""
    o = Offline(bits=32)
    freqs = [20, 700, 2000, 5000, 10000, 16000]
    for level in (1, 2, 3):
        a = crossfeed.LEVELS[level]
        r = crossfeed_response(o.engine, level, freqs)
        assert abs(r["cross"][0] - 20 * math.log10(a)) < 0.05
        assert abs(r["cross"][1] - r["cross"][0] + 3.0) < 0.3  # the corner
        assert r["cross"][3] < r["cross"][0] - 15  # treble stays on its side
        assert abs(r["direct"][0] - 20 * math.log10(1 - a)) < 0.05
        assert r["direct"][4] > -0.2  # the shelf gives the treble back
        assert abs(r["centre"][0]) < 0.05
        assert np.max(np.abs(r["centre"][2:])) < 0.75
        assert 0.28 < r["itd_ms"][-1] < 0.3  # the delay, where the low pass adds none


def _residuals(o, change, buffers=80):
    """What a change adds above 4 kHz on each channel (dBFS), over `buffers` buffers."""
    before = o.run(2)
    change()
    after = o.run(buffers)
    return [above_db(np.concatenate([b, a]), o.rate) for b, a in zip(before, after)]


def test_on_off_and_level_changes_are_as_clean_as_a_volume_ramp():
    """A stereo signal (1 kHz left, 750 Hz right, -6 dBFS), crossfeed switched on, off and
    between every level: what each change adds above 4 kHz on either channel is no more than a
    12 dB volume ramp adds (+2 dB). Level 3's old 650 Hz corner made going there from level 2
    a -53 dBFS click on the right."""
    rate = 48000
    seconds = int(3.0 * rate) // 768 * 768 / rate
    o = Offline(
        bits=32, wav=wav_bytes(sine(1000, seconds, rate, -6), sine(750, seconds, rate, -6))
    )
    eng = o.engine
    o.settle(40)
    volume = []
    for q15 in (8192, 32768):
        volume += _residuals(o, lambda q=q15: eng.set_trim(q, q))
    allowed = max(volume) + 2
    for level in (3, 0, 1, 2, 3, 1, 0, 2, 0, 3, 2, 1):
        worst = max(_residuals(o, lambda v=level: eng.set_crossfeed(v)))
        assert worst <= allowed, (level, worst, allowed)


def test_switching_on_again_plays_no_stale_history():
    """Crossfeed on while a loud passage plays, off, then on again in the silence after it: the
    history of the first time (the low-pass states and the delay ring, still full of the loud
    passage) never sounds: the output stays at the unmuted +-1 LSB."""
    rate = 48000
    loud = sine(200, 1.0, rate, -1)
    x = np.concatenate([loud, np.zeros(2 * rate)])
    o = Offline(bits=32, wav=wav_bytes(x, -x))
    eng = o.engine
    eng.set_crossfeed(3)
    o.settle(60)
    eng.set_crossfeed(0)
    o.settle(40)  # faded out while the loud passage still plays
    assert eng.xf[3] == 0 and max(abs(v) for v in eng.xf[crossfeed.HEAD :]) > 1 << 20
    o.settle(100)  # into the silence
    eng.set_crossfeed(3)
    left, right = o.run(2)
    assert np.max(np.abs(left)) <= 2**-31 and np.max(np.abs(right)) <= 2**-31


def test_rate_change_moves_the_delay_and_keeps_the_corner():
    """`rate 96000` on a running engine (the quiet change's set_rate): the ring reads 29 frames
    back and the low pass stays at 700 Hz; back at 44.1 kHz, 13 frames."""
    o = Offline(bits=32)
    eng = o.engine
    eng.set_crossfeed(2)
    o.settle(30)
    for rate, frames in ((96000, 29), (44100, 13)):
        eng.set_rate(rate, o.i2s)
        r = crossfeed_response(eng, 2, [20, 700])
        assert r["onset_ms"] == 1000 * frames / rate
        assert abs(r["cross"][1] - r["cross"][0] + 3.0) < 0.3
        o.settle(4)  # it plays on
