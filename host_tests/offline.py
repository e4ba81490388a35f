"""Run the real AudioEngine offline (no simulated board) and measure what it outputs (numpy).

Used by the quality tests and by tools/analyze.py. CPython only.
"""

import io
import math
import struct

import numpy as np

from uamp.audio import AudioEngine


class CaptureI2S:
    """An I2S TX stand-in that keeps every buffer the engine writes."""

    def __init__(self):
        self.chunks = []
        self.handler = None

    def irq(self, handler):
        self.handler = handler

    def write(self, buf):
        self.chunks.append(bytes(buf))
        return len(buf)


def wav_bytes(left, right=None, rate=48000, bits=24):
    """A PCM WAV file in memory from float sample arrays in -1..1 (mono if right is None)."""
    chans = [np.asarray(left)] + ([] if right is None else [np.asarray(right)])
    full = (1 << (bits - 1)) - 1
    ints = np.stack([np.round(c * full).astype(np.int64) for c in chans], axis=1).ravel()
    width = bits // 8
    raw = b"".join(int(v).to_bytes(width, "little", signed=True) for v in ints)
    fmt = struct.pack(
        "<HHIIHH", 1, len(chans), rate, rate * width * len(chans), width * len(chans), bits
    )
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(raw))
        + raw
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


class Offline:
    """An engine at unity fade/trim, fed by a WAV in memory or its own generator."""

    def __init__(self, bits=32, rate=48000, wav=None):
        self.i2s = CaptureI2S()
        self.engine = AudioEngine(self.i2s, rate, bits=bits)
        self.bits = bits
        self.rate = rate
        if wav is not None:
            self.engine.open_wav(io.BytesIO(wav))
            self.engine.select_input("wav")
        self.engine.set_gain(32768)
        self.engine.start()

    def run(self, buffers):
        """Process `buffers` buffers; returns their output as float arrays (left, right) in
        units of full scale."""
        start = len(self.i2s.chunks)
        for _ in range(buffers):
            self.i2s.handler(self.i2s)
        data = b"".join(self.i2s.chunks[start:])
        if self.bits == 16:
            samples = np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768
        else:
            samples = np.frombuffer(data, dtype="<i4").astype(np.float64) / 2**31
        return samples[0::2], samples[1::2]

    def settle(self, buffers=40):
        self.run(buffers)


def _fit(x, freq, rate):
    n = len(x)
    t = np.arange(n) / rate
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t), np.ones(n)], 1)
    coef, *_ = np.linalg.lstsq(basis, x, rcond=None)
    return basis, coef


def fundamental_hz(x, freq, rate):
    """The tone's exact frequency near `freq`: a generator or a clock is never exactly on the
    nominal value, and a fit that is off by 0.001 Hz leaves a residual far above -100 dB."""
    lo, hi = freq * 0.999, freq * 1.001
    golden = (math.sqrt(5) - 1) / 2

    def residual(f):
        basis, coef = _fit(x, f, rate)
        return float(np.sum((x - basis @ coef) ** 2))

    a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
    ra, rb = residual(a), residual(b)
    for _ in range(40):
        if ra < rb:
            hi, b, rb = b, a, ra
            a = hi - golden * (hi - lo)
            ra = residual(a)
        else:
            lo, a, ra = a, b, rb
            b = lo + golden * (hi - lo)
            rb = residual(b)
    return (lo + hi) / 2


def thd_n_db(x, freq, rate, band=(20.0, 20000.0)):
    """THD+N in dB: everything but the fundamental (least-squares fit at its exact frequency,
    found near `freq`, plus DC), within `band` (the usual 20 Hz - 20 kHz measurement
    bandwidth), relative to the fundamental."""
    n = len(x)
    basis, coef = _fit(x, fundamental_hz(x, freq, rate), rate)
    fundamental = basis[:, :2] @ coef[:2]
    residual = x - basis @ coef
    spectrum = np.fft.rfft(residual * np.hanning(n))
    freqs = np.fft.rfftfreq(n, 1 / rate)
    keep = (freqs >= band[0]) & (freqs <= band[1])
    window_power = np.sum(np.hanning(n) ** 2)
    noise = np.sum(np.abs(spectrum[keep]) ** 2) * 2 / window_power
    signal = np.mean(fundamental**2) * n
    return 10 * math.log10(noise / signal)


def cascade_response_db(engine, freqs):
    """Magnitude (dB) of the engine's current integer coefficients, from their values."""
    from uamp.dsp import biquad

    total = np.zeros(len(freqs))
    for i in range(engine.active):
        slot = engine.order[i]
        coefs = biquad.unquantize(engine.coefs, slot * 5)
        total += np.array([biquad.response_db(coefs, f, engine.rate) for f in freqs])
    return total


def sine(freq, seconds, rate, level_db):
    t = np.arange(int(seconds * rate)) / rate
    return 10 ** (level_db / 20) * np.sin(2 * np.pi * freq * t)


def measured_response_db(run, freqs, rate):
    """Gain at each frequency of a linear system `run(x) -> y`, by single-bin DFTs."""
    out = []
    for f in freqs:
        x = sine(f, 0.5, rate, -20)
        y = run(x)
        n = len(y) // 2  # skip the settling half
        t = np.arange(len(y))[n:] / rate
        e = np.exp(-2j * np.pi * f * t)
        out.append(20 * math.log10(abs(np.dot(y[n:], e)) / abs(np.dot(x[n:], e))))
    return np.array(out)


def above_db(x, rate, corner=4000.0):
    """Power (dBFS, full-scale sine = 0 dB) of `x` above `corner`: what a change adds around a
    1 kHz tone (zipper, steps, clicks); a steady tone leaves about -150 dB. A linear-phase
    high pass (windowed sinc, Kaiser beta 14: the tone is rejected by about 140 dB), so a
    change anywhere in `x` counts the same (an FFT window would weigh its ends less)."""
    taps = 255
    n = np.arange(taps) - taps // 2
    cut = (corner - 1500.0) / rate  # half-gain point: stop band at 1 kHz, pass from 4 kHz
    lowpass = 2 * cut * np.sinc(2 * cut * n) * np.kaiser(taps, 14.0)
    highpass = -lowpass / np.sum(lowpass)
    highpass[taps // 2] += 1
    y = np.convolve(x, highpass, mode="valid")
    return 10 * math.log10(max(2 * float(np.mean(y**2)), 1e-30))


def change_figures(o, change, buffers=40):
    """(residual above 4 kHz in dBFS, largest level jump in dB from one 1 kHz period to the
    next, lowest level relative to the start in dB) while `change()` takes effect on a 1 kHz
    tone; `o` an Offline playing a steady 1 kHz tone."""
    before, _ = o.run(2)
    change()
    left, _ = o.run(buffers)
    left = np.concatenate([before, left])
    periods = left[: len(left) // 48 * 48].reshape(-1, 48)  # 1 kHz at 48 kHz: one per row
    level = 10 * np.log10(np.mean(periods**2, axis=1) + 1e-30)
    return (
        above_db(left, o.rate),
        float(np.max(np.abs(np.diff(level)))),
        float(level.min() - level[0]),
    )


def switch_leftover_dbfs(o):
    """Loudest rise (dBFS) of the 1 kHz tone's envelope while select_input("silence") fades it
    out: a fade only falls, so any rise is the old source playing again after the fade-out;
    -inf when the swap happens before the buffer is filled."""
    o.engine.select_input("silence")
    left, _ = o.run(30)  # 7680 frames: 160 periods
    envelope = np.max(np.abs(left.reshape(-1, 48)), axis=1)  # one 1 kHz period per row
    assert envelope[0] > 0.1 and envelope[-1] <= 2**-31
    rises = envelope[1:][envelope[1:] > envelope[:-1] + 2**-31]  # the unmuted +-1 LSB
    return 20 * math.log10(float(np.max(rises))) if len(rises) else -math.inf


def eq_accuracy_db(rate=48000):
    """Worst |kernel coefficients' response - RBJ design| (dB, 20 Hz - 20 kHz, dense around
    each centre) over a grid of single bands the validator accepts: every kind, 20 Hz to
    16 kHz, gains -12..+12 dB, Q 0.3..20. Returns (worst dB, the setting, bands tried,
    bands refused)."""
    from array import array

    from uamp.dsp import biquad, eq

    worst = (0.0, None)
    tried = refused = 0
    for kind in biquad.KINDS:
        for freq in (20, 25, 31.5, 40, 63, 100, 250, 1000, 4000, 16000):
            for gain in (0.0,) if kind in ("lowpass", "highpass") else (-12.0, -3.0, 6.0, 12.0):
                for q in (0.3, 0.7, 2.0, 5.0, 10.0, 20.0):
                    tried += 1
                    try:
                        eq.EqSettings.check_band(kind, freq, gain, q, rate)
                    except ValueError:
                        refused += 1
                        continue
                    design = biquad.design(kind, freq, gain, q, rate)
                    coefs = array("i", [0] * 5)
                    parts = biquad.design_parts(kind, freq, gain, q, rate)
                    eq.fit(parts, freq, q, rate, coefs)  # what the engine runs
                    got = biquad.unquantize(coefs)
                    freqs = list(np.geomspace(20, 20000, 60)) + list(
                        freq * (1 + np.linspace(-3, 3, 61) / q)
                    )
                    for f in freqs:
                        if not 20 <= f <= min(20000, rate / 2):
                            continue
                        want = eq._power([design], 2 * math.pi * f / rate)
                        if want < 1e-6:
                            continue  # below -60 dB (a pass filter's stop band): not a level
                        e = abs(10 * math.log10(eq._power([got], 2 * math.pi * f / rate) / want))
                        if e > worst[0]:
                            worst = (e, (kind, freq, gain, q))
    return worst[0], worst[1], tried, refused


def capture_eq(o):
    """From now on, record the left channel (Q23) of the EQ's input and output, buffer by
    buffer: returns the two lists (they grow as `o.run` goes)."""
    engine = o.engine
    run_eq = engine._run_eq
    seen_in, seen_out = [], []

    def spy(work, frames):
        seen_in.extend(work[0 : 2 * frames : 2])
        run_eq(work, frames)
        seen_out.extend(work[0 : 2 * frames : 2])

    engine._run_eq = spy
    return seen_in, seen_out


def words(o, buffers):
    """The 32-bit output words of the next `buffers` buffers, both channels (int64)."""
    start = len(o.i2s.chunks)
    for _ in range(buffers):
        o.i2s.handler(o.i2s)
    return np.frombuffer(b"".join(o.i2s.chunks[start:]), dtype="<i4").astype(np.int64)


def biquad_dc_lsb(band, freq=1000, level_db=-6.0):
    """(DC the EQ adds, DC of the 32-bit output) in 24-bit LSB, with a tone of `freq` through
    one EQ band (kind, Hz, dB, Q) at 48 kHz: means over 192 buffers (1024 periods of 1 kHz)
    after 4 s for the band's start-up ringing to die away, less the EQ input's mean."""
    x = sine(freq, 49152 / 48000, 48000, level_db)  # whole buffers: the WAV loops seamlessly
    o = Offline(bits=32, wav=wav_bytes(x, x))
    o.engine.set_eq_band(1, *band)
    o.settle(800)
    seen_in, seen_out = capture_eq(o)
    out = words(o, 192)[0::2]  # 49152 frames: 1024 periods of 1 kHz
    eq_dc = float(np.mean(seen_out) - np.mean(seen_in))
    return eq_dc, float(np.mean(out)) / 256


def exact_cascade(engine, x):
    """The engine's active EQ sections (its integer coefficients) run in float64 over x."""
    from uamp.dsp import biquad

    y = np.asarray(x, dtype=np.float64)
    for k in range(engine.active):
        b0, b1, b2, a1, a2 = biquad.unquantize(engine.coefs, engine.order[k] * 5)
        out = np.empty(len(y))
        x1 = x2 = y1 = y2 = 0.0
        for i, v in enumerate(y.tolist()):
            w = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            out[i] = w
            x2, x1, y2, y1 = x1, v, y1, w
        y = out
    return y


def silent_tail(setup, freq=25, amplitude_lsb=100, tone_s=0.1):
    """A small low-frequency tone (amplitude in 24-bit LSB) for tone_s, then digital silence,
    through the EQ that `setup(engine)` sets, 32-bit output. Returns (ms after the tone until
    the EQ output is exact zero for good, None if still not after 2.4 s; ms until the EQ's
    coefficients run exactly fall below 0.5 LSB for good; largest |EQ output - that exact
    response| in LSB; the distinct 32-bit words of the last second unmuted; the same muted)."""
    rate = 48000
    n = int(rate * 4.0)  # the WAV loops: 3.5 s are measured, tone first
    t = np.arange(n)
    x = np.where(t < tone_s * rate, amplitude_lsb * np.sin(2 * np.pi * freq * t / rate), 0.0)
    wav = wav_bytes(x / (1 << 23), x / (1 << 23))  # 24-bit: the amplitude in its LSB
    results = []
    for muted in (False, True):
        o = Offline(bits=32)
        o.engine.select_input("silence")
        setup(o.engine)
        o.settle(400)  # the EQ's section crossfades are over, the EQ's input is silent
        o.engine.open_wav(io.BytesIO(wav))
        if muted:
            o.engine.set_gain(0)
        seen_in, seen_out = capture_eq(o)
        o.engine.select_input("wav")  # clears the EQ and starts the WAV from its start
        end_words = words(o, int(3.5 * rate) // o.engine.frames)[-2 * rate :]
        results.append(
            (np.asarray(seen_in), np.asarray(seen_out), sorted(set(end_words.tolist())))
        )
    eq_in, eq_out, unmuted = results[0]
    muted_words = results[1][2]
    playing = np.nonzero(eq_in)[0]
    start, end = int(playing[0]), int(playing[-1]) + 1
    assert len(eq_in) - end > 2.5 * rate  # the silence, not the WAV's next loop
    want = exact_cascade(o.engine, eq_in[start:])
    got = eq_out[start:]
    live = np.nonzero(got)[0]
    audible = np.nonzero(np.abs(want) >= 0.5)[0]
    last, last_exact = int(live[-1]) + 1, int(audible[-1]) + 1
    zero_ms = None if last > len(got) - rate else max(0, last - (end - start)) * 1000 / rate
    exact_ms = max(0, last_exact - (end - start)) * 1000 / rate
    worst = float(np.max(np.abs(got - want)))
    return zero_ms, exact_ms, worst, unmuted, muted_words


def crossfeed_response(engine, level, freqs, frames=4096):
    """The engine's crossfeed at `level` with its mix held, measured with impulses through the
    kernel the engine runs, on the state it built for its rate. Returns a dict of dB arrays at
    `freqs`: "direct" (a left impulse, left ear: the near ear of a one-sided image), "cross"
    (the right ear: its far ear), "centre" (the impulse on both channels: either ear); and
    "onset_ms", when the cross path first answers, "itd_ms", its group delay behind the direct
    path at each of `freqs` (ms)."""
    from array import array

    from uamp.audio import GAIN_ONE
    from uamp.dsp import crossfeed

    freqs = np.asarray(freqs, dtype=float)
    unit = 1 << 25  # loud: the kernel's rounding is far below what is measured
    out = {}
    for name, channels in (("left", (0,)), ("both", (0, 1))):
        state = array("i", engine.xf)
        crossfeed.clear(state)
        state[3] = int(round(crossfeed.LEVELS[level] * GAIN_ONE))
        state[4] = 0
        buf = array("i", bytes(8 * frames))
        for ch in channels:
            buf[ch] = unit
        crossfeed.crossfeed_run(buf, frames, state)
        x = np.array(buf, dtype=float) / unit
        out[name] = (x[0::2], x[1::2])
    n = np.arange(frames)

    def spectrum(h, f):
        return np.exp(-2j * np.pi * np.outer(f, n) / engine.rate) @ h

    direct, cross = out["left"]
    d, c = spectrum(direct, freqs), spectrum(cross, freqs)
    df = 1.0  # Hz: the group delay from the phase slope
    lo, hi = spectrum(direct, freqs - df), spectrum(direct, freqs + df)
    clo, chi = spectrum(cross, freqs - df), spectrum(cross, freqs + df)
    slope = np.angle((chi / hi) / (clo / lo)) / (2 * np.pi * 2 * df)
    answered = np.nonzero(np.abs(cross) > 0)[0]
    return {
        "direct": 20 * np.log10(np.abs(d)),
        "cross": 20 * np.log10(np.abs(c)),
        "centre": 20 * np.log10(np.abs(spectrum(out["both"][0], freqs))),
        "onset_ms": 1000.0 * answered[0] / engine.rate,
        "itd_ms": -1000.0 * slope,
    }
