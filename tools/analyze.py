"""Look at what the audio engine does: EQ/crossfeed response as a PNG, THD+N of a capture.

    .venv/bin/python tools/analyze.py response --preset warm --bass 6 --crossfeed 2 -o eq.png
    .venv/bin/python tools/analyze.py response --settings settings.json -o eq.png
    .venv/bin/python tools/analyze.py thd capture.wav [--freq 1000]
    .venv/bin/python tools/analyze.py figures     # the quality figures the tests assert on

`response` plots the magnitude of the engine's own integer coefficients (what the kernels
run), the analytic RBJ curve, and the crossfeed's direct and cross paths. `thd` reads a 16-,
24- or 32-bit PCM WAV (e.g. a capture of the simulated board's I2S output) and prints THD+N
over 20 Hz - 20 kHz. `figures` runs the engine offline and prints THD+N and gain accuracy.
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
    o.settle(40)  # the coefficient ramps reach their targets
    return o


def response(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    ax.semilogx(freqs, fixed + pregain_db, label="EQ + bass, kernel coefficients, with pre-gain")
    ax.semilogx(freqs, analytic, "--", label="RBJ analytic (no pre-gain)")
    if eng.crossfeed:
        mix, corner = crossfeed.LEVELS[eng.crossfeed]
        k = crossfeed.lowpass_k(corner, eng.rate) / 32768
        z = np.exp(-2j * np.pi * freqs / eng.rate)
        cross = mix * k / (1 - (1 - k) * z)
        ax.semilogx(
            freqs, 20 * np.log10(np.full(len(freqs), 1 - mix)), ":", label="crossfeed direct"
        )
        ax.semilogx(freqs, 20 * np.log10(np.abs(cross)), ":", label="crossfeed from other ear")
    ax.set_xlabel("Hz")
    ax.set_ylabel("dB")
    ax.set_ylim(-30, 15)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title("uamp EQ (pre-gain %.1f dB, %d sections active)" % (pregain_db, eng.active))
    fig.savefig(args.output, dpi=100, bbox_inches="tight")
    worst = float(np.max(np.abs(fixed - analytic)))
    print(
        "wrote %s; kernel vs analytic: worst %.4f dB; pre-gain %.2f dB"
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


def thd(args: argparse.Namespace) -> int:
    try:
        x, rate = read_wav(args.capture)
    except (OSError, EOFError, wave.Error, KeyError) as e:
        print("analyze: cannot read %s as a PCM WAV: %s" % (args.capture, e), file=sys.stderr)
        return 2
    x = x[len(x) // 10 :]  # skip the start: fades and filter settling
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
    x = offline.sine(1000, 57600 / RATE, RATE, -1)
    for bits, bass, preset in ((16, 0, None), (16, 3, None), (32, 12, "warm")):
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
    return 0


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
    sub.add_parser("figures", help="quality figures of the engine, measured offline")
    args = parser.parse_args()
    return {"response": response, "thd": thd, "figures": figures}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
