"""What does my setup need? Headphone + board profile -> voltage, power, gain mode, max volume.

    python tools/recommend.py --board pico-pcm5102a-pga2311 --ohm 300 --sens 97
    python tools/recommend.py --board esp32-pcm5122-tpa6130a2 --class planar --plot out/spl.png
    python tools/recommend.py --list                      # the headphone classes shipped

The target is the SPL a full-scale (0 dBFS) signal should reach: by default 100 dB, i.e. 85 dB
average music (the NIOSH 8-hour level) with 15 dB of peaks on top. The math is the firmware's own
(firmware/uamp/headphones.py), so the tool and the board agree.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "host_tests"))

import simenv  # noqa: E402  (firmware on the path; `micropython.const` for the drivers)

simenv.install()

from uamp import headphones as hpm  # noqa: E402
from uamp import profile as profiles  # noqa: E402
from uamp.drivers import digital, pga2311, tpa6130a2  # noqa: E402

# Top of each volume IC's range (dB), from the drivers (their datasheet tables).
IC_MAX_DB = {"pga2311": pga2311.MAX_DB, "tpa6130a2": tpa6130a2.MAX_DB, "digital": digital.MAX_DB}

CLASSES = Path(__file__).resolve().parent / "headphones.json"
MIN_PLOT_DB = -60.0


@dataclass
class ModeReport:
    mode: str
    gain_db: float  # the mode's analog gain, after the volume
    cap_db: float  # highest volume setting in this mode
    max_spl: float  # loudest clean 0 dBFS level in this mode
    headroom_db: float  # max_spl - target
    volume_for_target: float  # volume setting at which 0 dBFS reaches the target
    clips_at_cap: bool
    clean_db: float  # highest volume that does not clip (the cap or the amp's clip point)

    @property
    def reaches_target(self) -> bool:
        return self.volume_for_target <= self.clean_db


def load_classes() -> dict:
    return json.loads(CLASSES.read_text())["classes"]


def board_profile(name: str) -> dict:
    path = Path(name) if name.endswith(".json") else ROOT / "boards" / f"{name}.json"
    try:
        profile = profiles.load(str(path))
    except profiles.ProfileError as e:  # a mistyped --board: one line, not a traceback
        boards = " ".join(sorted(p.stem for p in (ROOT / "boards").glob("*.json")))
        raise SystemExit(f"{e}\nprofiles: {boards}")
    if profile.get("output") is None:
        raise SystemExit(
            f"board profile {path.name} has no 'output' section (see boards/README.md)"
        )
    return profile


def mode_gains(profile: dict) -> dict[str, float]:
    """Analog gain per gain mode, as the firmware builds its modes from the `gain` section
    (uamp/app.py): one mode "normal", or "low" (0 dB) and "high" (`high_db`)."""
    gain = profile.get("gain")
    if gain is None:
        return {"normal": 0.0}
    return {"low": 0.0, "high": float(gain["high_db"])}


def mode_caps(profile: dict) -> dict[str, float]:
    """Highest volume setting per gain mode, by the volume controller's rule (uamp/volume.py):
    the volume is the level before the mode's gain; a relay adds that gain after the IC, so
    every mode reaches the IC's top; without a relay the IC supplies it from the top of its
    range. Never above the board's cap, on the 0.5 dB grid."""
    gains = mode_gains(profile)
    ic_max = IC_MAX_DB[profile["volume"]["type"]]
    relay = (profile.get("gain") or {}).get("relay") is not None
    top = {name: ic_max if relay else ic_max - gain for name, gain in gains.items()}
    return {name: floor_half(min(profile["limits"]["max_db"], t)) for name, t in top.items()}


def chain_of(profile: dict) -> hpm.Chain:
    return hpm.Chain(profile["output"])


def analyse(hp: hpm.Headphone, profile: dict, target: float) -> list[ModeReport]:
    chain = chain_of(profile)
    reports = []
    gains = mode_gains(profile)
    for mode, cap in mode_caps(profile).items():
        gain = gains[mode]
        clean = min(cap, hpm.clip_volume_db(hp, chain, gain))
        max_spl, _ = hpm.spl(hp, chain, clean, gain)
        reports.append(
            ModeReport(
                mode=mode,
                gain_db=gain + chain.amp_gain_db,
                cap_db=cap,
                max_spl=max_spl,
                headroom_db=max_spl - target,
                volume_for_target=hpm.volume_for_spl(hp, chain, target, gain),
                clips_at_cap=hpm.spl(hp, chain, cap, gain)[1],
                clean_db=clean,
            )
        )
    return reports


def recommend(reports: list[ModeReport]) -> ModeReport:
    """The lowest gain mode that reaches the target cleanly (less analog gain, less noise, a
    finer knob); if none does, the one that gets closest."""
    reaching = [r for r in reports if r.headroom_db >= 0]
    if reaching:
        return min(reaching, key=lambda r: r.gain_db)
    return max(reports, key=lambda r: r.max_spl)


def floor_half(db: float) -> float:
    return math.floor(db * 2) / 2


def report_text(hp: hpm.Headphone, profile: dict, target: float) -> str:
    chain = chain_of(profile)
    reports = analyse(hp, profile, target)
    best = recommend(reports)
    volts = hp.volts_for(target)
    lines = [
        f"headphone   {hp.describe()}  ({hp.sens_per_volt():.1f} dB SPL/V)",
        f"board       {profile['name']}  (volume cap {profile['limits']['max_db']:+.1f} dB)",
        f"target      {target:.0f} dB SPL at 0 dBFS needs {volts:.3f} Vrms, "
        f"{hp.power_mw(volts):.2f} mW, {1000 * volts / hp.ohm:.1f} mA",
        f"amp         clips above {chain.clip_volts(hp.ohm):.2f} Vrms into {hp.ohm:g} ohm",
        "",
        "gain mode   gain      top volume  max clean SPL  headroom   volume for target",
    ]
    for r in reports:
        clip = f"  (clips above {r.clean_db:+.1f} dB)" if r.clips_at_cap else ""
        # a level past the clip point is never offered, even as the target's level
        reach = f"{r.volume_for_target:+8.1f} dB" if r.reaches_target else "   not cleanly"
        lines.append(
            f"{r.mode:<10} {r.gain_db:+5.1f} dB  {r.cap_db:+7.1f} dB  {r.max_spl:9.1f} dB  "
            f"{r.headroom_db:+6.1f} dB  {reach}{clip}"
        )
    lines.append("")
    # the largest 0.5 dB step that neither passes the target nor clips
    max_volume = floor_half(min(best.volume_for_target, best.clean_db))
    if best.reaches_target:
        lines.append(
            f"recommended gain mode '{best.mode}', max volume {max_volume:+.1f} dB "
            f"({best.headroom_db:.1f} dB of headroom)"
        )
    else:
        loudest = hpm.spl(hp, chain, max_volume, mode_gains(profile)[best.mode])[0]
        lines.append(
            f"this board cannot reach {target:.0f} dB SPL cleanly with this headphone; best: "
            f"gain mode '{best.mode}', max volume {max_volume:+.1f} dB"
        )
        lines.append(f"({loudest:.1f} dB SPL at 0 dBFS, just below the amp's clip point)")
    lines.append(
        f"on the console: gain {best.mode} | limit {max_volume:g} | "
        f"hp add {hp.name} {hp.ohm:g} {hp.sensitivity_db:g} {hp.unit} max {target:g}"
    )
    lines.extend(hpm.warnings(hp, chain, best.cap_db, mode_gains(profile)[best.mode]))
    return "\n".join(lines)


def figure(hp: hpm.Headphone, profile: dict, target: float):
    """SPL against the volume setting, per gain mode, with the target and the clip points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chain = chain_of(profile)
    fig, ax = plt.subplots(figsize=(8, 5))
    gains = mode_gains(profile)
    for mode, cap in mode_caps(profile).items():
        gain = gains[mode]
        steps = int((cap - MIN_PLOT_DB) * 2) + 1
        volumes = [MIN_PLOT_DB + i * 0.5 for i in range(steps)]
        levels = [hpm.spl(hp, chain, v, gain)[0] for v in volumes]
        (line,) = ax.plot(volumes, levels, label=f"gain '{mode}' ({gain:+g} dB)")
        clip = hpm.clip_volume_db(hp, chain, gain)
        if clip <= cap:  # only a clip point the knob can reach is drawn, and named in the legend
            ax.axvline(
                clip,
                color=line.get_color(),
                linestyle=":",
                linewidth=1,
                label=f"'{mode}' clips above {clip:+.1f} dB",
            )
    ax.axhline(target, color="black", linestyle="--", linewidth=1, label=f"target {target:g} dB")
    ax.axhline(85, color="red", linestyle="--", linewidth=1, label="85 dB (NIOSH 8 h)")
    ax.set_xlabel("volume setting (dB)")
    ax.set_ylabel("SPL of a 0 dBFS signal (dB)")
    ax.set_title(f"{hp.describe()} on {profile['name']}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return fig


def plot(hp: hpm.Headphone, profile: dict, target: float, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig = figure(hp, profile, target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def headphone_from_args(args: argparse.Namespace) -> hpm.Headphone:
    if args.hp_class:
        classes = load_classes()
        if args.hp_class not in classes:
            raise SystemExit(f"unknown class '{args.hp_class}'; --list shows them")
        c = classes[args.hp_class]
        return hpm.Headphone(args.hp_class, c["ohm"], c["sens"], c["unit"])
    if args.ohm is None or args.sens is None:
        raise SystemExit("give --ohm and --sens, or --class (see --list)")
    return hpm.Headphone("yours", args.ohm, args.sens, args.unit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--board", default="pico-pcm5102a-pga2311", help="profile name or path")
    parser.add_argument("--ohm", type=float, help="headphone impedance")
    parser.add_argument("--sens", type=float, help="headphone sensitivity (dB SPL)")
    parser.add_argument("--unit", choices=hpm.UNITS, default="mw", help="sensitivity per mW or V")
    parser.add_argument("--class", dest="hp_class", help="a headphone class from --list")
    parser.add_argument("--target", type=float, default=hpm.USEFUL_SPL_DB, help="dB SPL at 0 dBFS")
    parser.add_argument("--plot", type=Path, help="write SPL against volume to this PNG")
    parser.add_argument("--list", action="store_true", help="list the headphone classes")
    args = parser.parse_args(argv)
    if args.list:
        for name, c in load_classes().items():
            print(f"{name:<14} {c['ohm']:>4} ohm {c['sens']:>5} dB/{c['unit']}  {c['about']}")
            print(f"{'':<14} source: {c['source']}")
        return 0
    try:
        hp = headphone_from_args(args)
    except ValueError as e:
        raise SystemExit(f"bad headphone: {e}")
    profile = board_profile(args.board)
    print(report_text(hp, profile, args.target))
    if args.plot:
        plot(hp, profile, args.target, args.plot)
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
