"""Look at what the audio engine does: EQ/crossfeed response as a PNG, THD+N of a capture.

    .venv/bin/python tools/analyze.py response --preset warm --bass 6 --crossfeed 2 -o eq.png
    .venv/bin/python tools/analyze.py response --settings settings.json -o eq.png
    .venv/bin/python tools/analyze.py thd capture.wav [--freq 1000] [--skip SECONDS]
    .venv/bin/python tools/analyze.py figures     # the quality figures the tests assert on

`response` plots the magnitude of the engine's own integer coefficients (what the kernels
run), the analytic RBJ curve, and the crossfeed's direct and cross paths. `thd` reads a 16-,
24- or 32-bit PCM WAV (e.g. a capture of the simulated board's I2S output) and prints THD+N
over 20 Hz - 20 kHz of its steady part: a capture starts with the power-up fade (about 1 s), and
a level change inside the measured span reads as distortion, so `thd` measures from where the
level settles to the end (or from --skip) and warns when the level changes.
`figures` runs the engine offline and prints THD+N and gain accuracy.
"""

from __future__ import annotations

import argparse
import math
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "firmware"), str(ROOT / "host_tests")]

import simenv  # noqa: E402

simenv.install()

import offline  # noqa: E402

from uamp.dsp import biquad, crossfeed  # noqa: E402

RATE = 48000


def apply_settings(eng, path: Path) -> None:
    """The EQ, bass and crossfeed of a board's saved settings file (uamp/settings.py format,
    e.g. copied off the board with mpremote) applied to the engine."""
    from uamp import settings

    problems: list[str] = []
    values = settings.decode(path.read_bytes(), problems)
    if values is None:
        raise SystemExit("; ".join(problems))
    if values["eq_preset"] in eng.eq_presets:
        eng.load_eq_preset(values["eq_preset"])
    for index, band in enumerate(values["eq_bands"] or []):
        eng.set_eq_band(index, *band)
    eng.set_eq_enabled(values["eq_enabled"])
    eng.set_bass(values["bass_db"])
    eng.set_crossfeed(int(values["crossfeed"]))


def build_engine(args: argparse.Namespace) -> offline.Offline:
    o = offline.Offline(bits=32, rate=args.rate)
    eng = o.engine
    if getattr(args, "settings", None):
        apply_settings(eng, args.settings)
    if args.preset:
        eng.load_eq_preset(args.preset)
    for spec in args.band or []:
        index, kind, freq, gain, q = spec.split(",")
        eng.set_eq_band(int(index), kind, float(freq), float(gain), float(q))
    if args.bass:
        eng.set_bass(args.bass)
    if args.crossfeed:
        eng.set_crossfeed(args.crossfeed)
    o.settle(400)  # every section's coefficient crossfade done (one section at a time)
    return o


FREQ_TICKS = (20, 100, 1000, 10000)


def hz_label(hz: float) -> str:
    return "%gk" % (hz / 1000) if hz >= 1000 else "%g" % hz


def title_of(args: argparse.Namespace, eng) -> str:
    """What is plotted, in words: the preset (or hand-set bands), the bass, the crossfeed."""
    if getattr(args, "settings", None) and not (args.preset or args.band):
        what = "settings file %s" % Path(args.settings).name
    elif args.band:
        what = (
            "preset '%s' with bands edited" % args.preset if args.preset else "bands set by hand"
        )
    elif args.preset:
        what = "preset '%s'" % args.preset
    else:
        what = "EQ flat"
    parts = [what, "bass %+g dB" % eng.bass_db if eng.bass_db else "no bass boost"]
    if eng.crossfeed:
        parts.append("crossfeed level %d" % eng.crossfeed)
    return "uamp EQ: " + ", ".join(parts)


def response_figure(args: argparse.Namespace):
    """(figure, worst kernel-vs-analytic gap in dB, headroom in dB) of the engine's response."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullFormatter

    o = build_engine(args)
    eng = o.engine
    freqs = np.geomspace(20, 20000, 400)
    fixed = offline.cascade_response_db(eng, freqs)
    analytic = np.zeros(len(freqs))
    for coefs in eng.settings.designs():
        if coefs is not None:
            analytic += [biquad.response_db(coefs, f, eng.rate) for f in freqs]
    pregain_db = 20 * math.log10(eng.pregain / (1 << 24))
    fig, ax = plt.subplots(figsize=(9, 5))
    ax.semilogx(freqs, fixed + pregain_db, label="what the board plays (headroom included)")
    ax.semilogx(freqs, analytic, "--", label="the ideal filter curve (before headroom)")
    if eng.crossfeed:
        paths = offline.crossfeed_response(eng, eng.crossfeed, freqs)
        ax.semilogx(freqs, paths["direct"], ":", label="crossfeed: same ear")
        ax.semilogx(freqs, paths["cross"], ":", label="crossfeed: other ear (0.3 ms later)")
        ax.semilogx(freqs, paths["centre"], ":", label="crossfeed: a centre image")
    ax.xaxis.set_major_locator(FixedLocator(FREQ_TICKS))
    ax.set_xticks(FREQ_TICKS, [hz_label(f) for f in FREQ_TICKS])
    ax.xaxis.set_minor_formatter(NullFormatter())  # no 2x10^1-style minor labels
    ax.set_xlim(20, 20000)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("level (dB)")
    ax.set_ylim(-30, 15)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(
        "%s\nheadroom %.1f dB (the level drops by the largest boost: nothing clips)"
        % (title_of(args, eng), -pregain_db)
    )
    worst = float(np.max(np.abs(fixed - analytic)))
    return fig, worst, pregain_db


def response(args: argparse.Namespace) -> int:
    import matplotlib.pyplot as plt

    fig, worst, pregain_db = response_figure(args)
    fig.savefig(args.output, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(
        "wrote %s; board vs ideal curve: worst %.4f dB; headroom %.2f dB"
        % (args.output, worst, pregain_db)
    )
    return 0


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Channel 0 of a PCM WAV as floats in -1..1, and its rate."""
    with wave.open(str(path)) as w:
        width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        ints = (
            b[:, 0].astype(np.int32)
            | (b[:, 1].astype(np.int32) << 8)
            | (b[:, 2].astype(np.int32) << 16)
        )
        ints = np.where(ints & 0x800000, ints - 0x1000000, ints)
        x = ints / 2**23
    else:
        x = np.frombuffer(raw, dtype={2: "<i2", 4: "<i4"}[width]) / 2 ** (8 * width - 1)
    return x[0::channels].astype(np.float64), rate


BLOCK_S = 0.05  # level per 50 ms block: 50 periods of 1 kHz, steady to 0.01 dB for a pure tone
STEADY_DB = 0.5  # blocks within this of the final level count as steady
SETTLE_S = 0.05  # after the level settles, the volume ramp's last steps and filter tails


def block_levels(x: np.ndarray, rate: int) -> np.ndarray:
    """RMS level (dBFS of a sine) of each BLOCK_S block."""
    n = max(1, int(rate * BLOCK_S))
    blocks = x[: len(x) // n * n].reshape(-1, n)
    return 10 * np.log10(np.maximum(np.mean(blocks**2, axis=1) * 2, 1e-15))  # floor -150 dB


def steady_start(levels: np.ndarray) -> int:
    """The first block of the final stretch whose level stays within STEADY_DB of the end's."""
    final = float(np.median(levels[-max(1, len(levels) // 10) :]))
    start = len(levels)
    while start > 0 and abs(levels[start - 1] - final) <= STEADY_DB:
        start -= 1
    return start


def thd(args: argparse.Namespace) -> int:
    try:
        x, rate = read_wav(args.capture)
    except (OSError, EOFError, wave.Error, KeyError) as e:
        print("analyze: cannot read %s as a PCM WAV: %s" % (args.capture, e), file=sys.stderr)
        return 2
    levels = block_levels(x, rate)
    block = int(rate * BLOCK_S)
    if args.skip is not None:
        start = int(args.skip * rate)
        measured = levels[start // block :]
        if len(measured) and np.ptp(measured) > 2 * STEADY_DB:
            print(
                "analyze: warning: the level changes by %.1f dB after %.2f s (%.1f..%.1f dBFS); "
                "the THD+N figure counts that change as distortion"
                % (np.ptp(measured), args.skip, measured.min(), measured.max()),
                file=sys.stderr,
            )
    else:
        first = steady_start(levels) if len(levels) else 0
        start = first * block + (int(rate * SETTLE_S) if first else 0)
        if first:
            before = levels[:first]
            print(
                "analyze: the level changes in the first %.2f s (%.1f..%.1f dBFS: a fade or a "
                "volume change); measuring the steady part, %.2f s to the end (or give --skip)"
                % (first * BLOCK_S, before.min(), before.max(), start / rate),
                file=sys.stderr,
            )
    whole = len(x)
    x = x[start:]
    if len(x) < rate // 10 <= whole:
        print(
            "analyze: %s has no steady stretch of 0.1 s at its end (the level keeps changing); "
            "give --skip SECONDS" % args.capture,
            file=sys.stderr,
        )
        return 1
    # a muted or silent capture has no fundamental to measure against: say so, not "nan dB"
    level = 10 * math.log10(max(float(np.mean(x**2)) * 2, 1e-30)) if len(x) else -300.0
    if len(x) < rate // 10 or level < -120:
        print(
            "analyze: %s holds no signal to measure (%d samples, level %.0f dBFS); "
            "record a tone (console: input tone, mute off)" % (args.capture, len(x), level),
            file=sys.stderr,
        )
        return 1
    print(
        "THD+N %.1f dB (20 Hz - 20 kHz, %g Hz fundamental, %d samples)"
        % (offline.thd_n_db(x, args.freq, rate), args.freq, len(x))
    )
    return 0


def figures(_args: argparse.Namespace) -> int:
    """The figures the quality tests assert on, measured on the real engine offline."""
    from chip_rigs import digital_rig, pga2311_rig, tpa6130a2_rig

    x = offline.sine(1000, 57600 / RATE, RATE, -1)
    for bits, bass, preset in (
        (16, 0, None),
        (16, 3, None),
        (16, 6, None),
        (16, 12, None),
        (32, 12, "warm"),
    ):
        o = offline.Offline(bits=bits, wav=offline.wav_bytes(x, x))
        if preset:
            o.engine.load_eq_preset(preset)
        o.engine.set_bass(bass)
        o.settle(80)
        left, _ = o.run(100)
        print(
            "THD+N 1 kHz -1 dBFS, %2d-bit output, bass %+3d dB%s: %.1f dB"
            % (
                bits,
                bass,
                ", EQ '%s'" % preset if preset else "",
                offline.thd_n_db(left, 1000, RATE),
            )
        )
    o = offline.Offline(bits=32)
    o.settle(40)
    print(
        "click: input switch, old source after the fade-out: %.1f dBFS"
        % offline.switch_leftover_dbfs(o)
    )
    frames = int(3.0 * RATE) // 768 * 768
    tone = offline.sine(1000, frames / RATE, RATE, -6)
    o = offline.Offline(bits=32, wav=offline.wav_bytes(tone, tone))
    eng = o.engine
    o.settle(40)
    changes = (
        ("volume -12 dB", lambda: eng.set_trim(8192, 8192)),
        ("volume back to 0 dB", lambda: eng.set_trim(32768, 32768)),
        ("EQ band +12 dB at 1 kHz", lambda: eng.set_eq_band(1, "peak", 1000, 12.0, 1.0)),
        ("EQ band back to flat", lambda: eng.set_eq_band(1, "peak", 1000, 0.0, 1.0)),
        ("preset warm", lambda: eng.load_eq_preset("warm")),
        ("preset bright", lambda: eng.load_eq_preset("bright")),
        ("eq off", lambda: eng.set_eq_enabled(False)),
        ("eq on", lambda: eng.set_eq_enabled(True)),
        ("bass +12", lambda: eng.set_bass(12)),
        ("bass -6", lambda: eng.set_bass(-6)),
        ("crossfeed 3", lambda: eng.set_crossfeed(3)),
        ("crossfeed off", lambda: eng.set_crossfeed(0)),
    )
    print("changes on a -6 dBFS 1 kHz tone, 32-bit output (80 buffers each):")
    for name, change in changes:
        above, jump, dip = offline.change_figures(o, change, 80)
        print(
            "  %-24s above 4 kHz %6.1f dBFS, largest step between periods %.2f dB,"
            " lowest %+.2f dB" % (name, above, jump, dip)
        )
    crossfeed_figures()
    for rate in (48000, 96000):
        worst, setting, tried, refused = offline.eq_accuracy_db(rate)
        print(
            "EQ vs RBJ at %d Hz: worst %.4f dB (%s) over %d accepted bands of a %d-band grid"
            % (rate, worst, setting, tried - refused, tried)
        )
    biquad_figures()
    for name, rig in (
        ("PGA2311", pga2311_rig),
        ("TPA6130A2 + trim", tpa6130a2_rig),
        ("digital only", digital_rig),
    ):
        worst, lo, hi, count = volume_figures(rig)
        print(
            "volume, %s: %d levels, worst error %.4f dB, 0.5 dB steps %.3f..%.3f dB"
            % (name, count, worst, lo, hi)
        )
    return 0


def biquad_figures() -> None:
    """The EQ arithmetic's DC (a tone through a low, narrow band) and its silent tail (a small
    low-frequency tone, then digital silence): the EQ output, and the 32-bit words, which
    carry a deliberate +-1 in their lowest bit while unmuted (output.py: the DACs never see
    exact digital silence) and are exact zero when muted."""
    for band in (("peak", 20, 12.0, 5.0), ("peak", 30, 12.0, 10.0)):
        eq_dc, out_dc = offline.biquad_dc_lsb(band)
        print(
            "biquad DC, -6 dBFS 1 kHz tone, %s %g Hz %+g dB Q %g: EQ output %+.2f LSB,"
            " 32-bit output %+.2f LSB (24-bit LSB)" % (band + (eq_dc, out_dc))
        )
    for name, setup in (
        ("band 20 Hz +12 dB Q 5", lambda e: e.set_eq_band(1, "peak", 20, 12.0, 5.0)),
        ("bass +12 dB", lambda e: e.set_bass(12)),
    ):
        zero_ms, exact_ms, worst, unmuted, muted = offline.silent_tail(setup)
        print(
            "silent tail after 0.1 s of 25 Hz at 100 LSB, %s: EQ output exact zero %s"
            " (its coefficients run exactly: below 0.5 LSB after %.0f ms; EQ within %.2f LSB"
            " of that); 32-bit words in the last second %s unmuted, %s muted"
            % (
                name,
                "never" if zero_ms is None else "%.0f ms after the tone" % zero_ms,
                exact_ms,
                worst,
                "/".join("%+d" % w for w in unmuted[:4]) + (" ..." if len(unmuted) > 4 else ""),
                "/".join("%+d" % w for w in muted[:4]),
            )
        )


CROSSFEED_HZ = (100, 300, 700, 1000, 2000, 5000, 10000, 16000)


def crossfeed_figures() -> None:
    """The crossfeed's response at each level (impulses through the engine's kernel, mix held),
    its delay at each rate, and what switching it and changing its level adds to a stereo
    signal (docs/sound-path.md quotes them)."""
    for rate in (44100, 48000, 96000):
        o = offline.Offline(bits=32, rate=rate)
        r = offline.crossfeed_response(o.engine, 3, [100, 1000, 10000])
        print(
            "crossfeed at %d Hz: cross path %d frames = %.3f ms after the direct path;"
            " interaural group delay %.2f / %.2f / %.2f ms at 100 Hz / 1 kHz / 10 kHz (level 3)"
            % (rate, o.engine.xf[7], r["onset_ms"], *r["itd_ms"])
        )
    o = offline.Offline(bits=32)
    print(
        "crossfeed response at 48 kHz (dB): direct = the near ear of a one-sided image,"
        " cross = its far ear, centre = either ear of an L=R image"
    )
    print("  %-22s" % "Hz" + "".join("%7d" % f for f in CROSSFEED_HZ))
    for level in range(1, len(crossfeed.LEVELS)):
        r = offline.crossfeed_response(o.engine, level, CROSSFEED_HZ)
        for name in ("direct", "cross", "centre"):
            label = "level %d (a %.2f) %s" % (level, crossfeed.LEVELS[level], name)
            print("  %-22s" % label + "".join("%7.2f" % v for v in r[name]))
    seconds = int(3.0 * RATE) // 768 * 768 / RATE
    left = offline.sine(1000, seconds, RATE, -6)
    right = offline.sine(750, seconds, RATE, -6)
    o = offline.Offline(bits=32, wav=offline.wav_bytes(left, right))
    eng = o.engine
    o.settle(40)
    print("crossfeed changes on 1 kHz left / 750 Hz right at -6 dBFS, above 4 kHz (L / R):")
    steps = [("volume -12 dB", lambda: eng.set_trim(8192, 8192))]
    steps.append(("volume back to 0 dB", lambda: eng.set_trim(32768, 32768)))
    for level in (3, 0, 1, 2, 3, 1, 0):
        steps.append(("crossfeed %d" % level, lambda v=level: eng.set_crossfeed(v)))
    for name, change in steps:
        before = o.run(2)
        change()
        after = o.run(80)
        above = [offline.above_db(np.concatenate([b, a]), RATE) for b, a in zip(before, after)]
        print("  %-24s %6.1f / %6.1f dBFS" % (name, *above))


class _NoPort:
    def irq(self, handler):
        pass


def volume_figures(rig) -> tuple[float, float, float, int]:
    """Every 0.5 dB level of a volume stage with the real engine's trims: (worst error dB,
    smallest step, largest step, levels)."""
    from uamp.audio import AudioEngine
    from uamp.volume import Volume, grid_ceil

    _world, chip, driver = rig()
    engine = AudioEngine(_NoPort(), RATE)
    engine.set_gain(32768)
    engine.trim_excess_db = lambda: 0.0  # no audio plays here: nothing lags
    volume = Volume(driver, engine, 0.0)
    driver.enable(True)
    volume.mute(False)
    level, last, worst, steps = volume.max_db, None, 0.0, []
    count = 0
    while level >= grid_ceil(volume.min_db):
        volume.set_db(level)
        for _ in range(400 if last is None else 8):
            volume.tick()
        gain = engine._gain_target[0]
        analog = 0.0 if chip is None else chip.gain_db(0)
        got = analog + 20 * math.log10(gain / (1 << 24))
        worst = max(worst, abs(got - level))
        if last is not None:
            steps.append(last - got)
        last = got
        level -= 0.5
        count += 1
    return worst, min(steps), max(steps), count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("response", help="EQ/crossfeed magnitude response to a PNG")
    r.add_argument("--settings", type=Path, help="a board's settings.json (EQ, bass, crossfeed)")
    r.add_argument("--preset")
    r.add_argument("--band", action="append", help="index,kind,Hz,dB,Q (repeatable)")
    r.add_argument("--bass", type=float, default=0.0)
    r.add_argument("--crossfeed", type=int, default=0)
    r.add_argument("--rate", type=int, default=RATE)
    r.add_argument("-o", "--output", type=Path, default=Path("eq.png"))
    t = sub.add_parser("thd", help="THD+N of a captured output (PCM WAV)")
    t.add_argument("capture", type=Path)
    t.add_argument("--freq", type=float, default=1000.0)
    t.add_argument(
        "--skip",
        type=float,
        help="seconds to skip at the start (default: find where the level settles)",
    )
    sub.add_parser("figures", help="quality figures of the engine, measured offline")
    args = parser.parse_args()
    return {"response": response, "thd": thd, "figures": figures}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
