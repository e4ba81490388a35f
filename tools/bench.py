"""Benchmark of the DSP kernels and the full chain: bytecode vs viper vs C, plus armv6m cycles.

    make bench            (or: .venv/bin/python tools/bench.py)

Full chain = gain ramp (volume + balance) + 5 biquads + crossfeed + TPDF dither to 16 bits,
stereo, 256-frame buffers. Rows:
- bytecode / viper: frames/s on the MicroPython unix port (tools/bench/mp_bench.py); bytecode
  runs the plain-Python twin of the same math.
- C: the same fixed-point math in C (tools/bench/chain.c), compiled now with the machine's cc
  -O2; its output is checked bit for bit against the Python twins first.
- viper/C: how many times slower viper is than C on this machine.
- armv6m cycles/frame: the mpy-cross -march=armv6m code of each kernel run on the unicorn
  Cortex-M0 emulator with the simple cycle model in host_tests/emu/armv6m.py (ALU/MUL 1,
  load/store 2, taken branch 2), its output also checked; and that load as a share of one
  125 MHz RP2040 core at 48 kHz (the target: <= 40 %, 1040 cycles/frame).
- Thumb rows: the hand-written RP2040 kernels (uamp/dsp/biquad_m0.py, stages_m0.py) the
  engine runs on that board, on the same emulator, checked the same way; "chain, RP2040" is
  the chain on one core. "2 cores" rows: the EQ split by channel over the RP2040's two cores
  as the engine runs it with SECOND_CORE (uamp/dsp/biquad_m0.TwoCores; off by default until
  measured on a board): the slower channel plus an estimated
  hand-over (TWO_CORE_SYNC), the load left on core 0. Not counted: the bytecode that calls
  the kernels (about 30 calls per buffer).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "firmware"), str(ROOT / "host_tests"), str(ROOT / "tools" / "bench")]

import simenv  # noqa: E402

simenv.install()

from chain_setup import FRAMES, make_chain  # noqa: E402
from emu import runner  # noqa: E402

from uamp.dsp import biquad, crossfeed, output  # noqa: E402
from uamp.dsp import gain as gain_mod  # noqa: E402

CORE_HZ = 125_000_000
RATE = 48_000
STAGES = ("gain", "biquad x5", "crossfeed", "dither16", "chain")
BUILD = ROOT / "build" / "bench"
# Two cores (uamp/dsp/biquad_m0.TwoCores): per buffer, core 0 releases a lock, core 1 wakes,
# both run one channel, core 1 releases a second lock that core 0 acquires. An estimate, not
# a measurement: four lock calls from bytecode and one wake-up, budgeted at 20 us a buffer
# (2500 cycles at 125 MHz). Not modelled either: the two cores contending for the same
# SRAM bank (the RP2040 crossbar stalls one of them a cycle when both hit one bank).
TWO_CORE_SYNC = 2500


def reference_chain(c: dict) -> None:
    gain_mod.gain_ramp_reference(c["work"], FRAMES, c["gain"])
    biquad.biquad_run_reference(c["work"], FRAMES, c["coefs"], c["state"], c["order"], 5)
    crossfeed.crossfeed_run_reference(c["work"], FRAMES, c["xf"])
    output.to_int16_reference(c["out"], c["work"], FRAMES, c["out_state"])


def run_c(seconds: float) -> dict[str, float]:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        print("no C compiler: C column skipped")
        return {}
    BUILD.mkdir(parents=True, exist_ok=True)
    exe = BUILD / "chain"
    subprocess.run(
        [cc, "-O2", "-fwrapv", "-o", str(exe), str(ROOT / "tools" / "bench" / "chain.c")],
        check=True,
    )
    c = make_chain()
    order = list(c["order"])
    blob = struct.pack("<i", FRAMES) + bytes(c["coefs"]) + struct.pack("<6i", *order)
    blob += bytes(c["work"]) + bytes(c["gain"]) + bytes(c["xf"]) + bytes(c["out_state"])
    done = subprocess.run([str(exe), str(seconds)], input=blob, capture_output=True, check=True)
    reference_chain(c)
    want = bytes(c["out"]) + bytes(c["work"]) + bytes(c["state"]) + bytes(c["out_state"])
    if done.stdout != want:
        raise SystemExit("C build differs from the Python twins: not the same math")
    print("C build: output bit-identical to the Python twins")
    return _rows(done.stderr.decode(), "C")


def run_micropython() -> dict[str, dict[str, float]]:
    exe = Path(sys.executable).parent / "micropython"
    done = subprocess.run(
        [str(exe), "tools/bench/mp_bench.py"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return {mode: _rows(done.stdout, mode) for mode in ("viper", "bytecode")}


def _rows(text: str, mode: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1] == mode:
            out[parts[0]] = float(parts[2])
    return out


def run_emulator() -> dict[str, float]:
    """armv6m cycles per frame of each stage, each run checked against its twin."""
    c = make_chain()
    ref = make_chain()
    calls = (
        ("gain", "uamp.dsp.gain", "gain_ramp", ("work", FRAMES, "gain")),
        (
            "biquad x5",
            "uamp.dsp.biquad",
            "biquad_run",
            ("work", FRAMES, "coefs", "state", "order", 5),
        ),
        ("crossfeed", "uamp.dsp.crossfeed", "crossfeed_run", ("work", FRAMES, "xf")),
        ("dither16", "uamp.dsp.output", "to_int16", ("out", "work", FRAMES, "out_state")),
    )
    cycles = {}
    for stage, module, name, spec in calls:
        cpu = runner.core(module)
        args = [c[a] if isinstance(a, str) else a for a in spec]
        cpu.cycles = 0
        _, after = runner.run_on_core(cpu, name, args, count_cycles=True)
        for a, value in zip(spec, after):
            if isinstance(a, str):
                c[a] = value
        cycles[stage] = cpu.cycles / FRAMES
    reference_chain(ref)
    for key in ("out", "work", "state", "out_state", "gain", "xf"):
        if bytes(c[key]) != bytes(ref[key]):
            raise SystemExit("armv6m run differs from the twins in %s" % key)
    print("armv6m emulator: chain output bit-identical to the Python twins")
    cycles["chain"] = sum(cycles[s] for s in STAGES[:-1])
    cycles["biquad x5 Thumb"], cycles["biquad x5 2 cores"] = thumb_biquad_cycles()
    cycles["gain Thumb"], cycles["crossfeed Thumb"], cycles["dither16 Thumb"] = (
        thumb_stage_cycles()
    )
    cycles["chain, RP2040"] = (
        cycles["gain Thumb"]
        + cycles["biquad x5 Thumb"]
        + cycles["crossfeed Thumb"]
        + cycles["dither16 Thumb"]
    )
    cycles["chain, 2 cores"] = (
        cycles["chain, RP2040"] - cycles["biquad x5 Thumb"] + cycles["biquad x5 2 cores"]
    )
    cycles["EQ crossfade"] = eq_crossfade_cycles(cycles["biquad x5 Thumb"] / 5)
    return cycles


def eq_crossfade_cycles(section: float) -> float:
    """Extra cycles/frame while an EQ change crossfades one section (audio.py `_run_step`,
    EQ_RAMP_BUFFERS buffers per changed section): the copy of the section's input (viper),
    the new filter as one more Thumb section, and the Thumb crossfade of the two outputs."""
    from array import array

    from uamp.dsp import gain as gain_mod

    c = make_chain()
    other = array("i", c["work"])
    cpu = runner.core("uamp.dsp.biquad")
    cpu.cycles = 0
    runner.run_on_core(cpu, "coef_copy", [other, c["work"], 2 * FRAMES], count_cycles=True)
    copy = cpu.cycles / FRAMES
    mix = array("i", [0, gain_mod.GAIN_ONE // (12 * FRAMES)])
    call = [(("buf", 0, 0), ("buf", 1, 0), FRAMES, ("buf", 2, 0))]
    (got, _, _), cycles = runner.run_thumb(
        "stages_m0", "crossfade_m0", [c["work"], other, mix], call, count_cycles=True
    )
    gain_mod.crossfade_reference(c["work"], other, FRAMES, mix)
    if got != c["work"]:
        raise SystemExit("Thumb crossfade differs from its twin")
    return section + copy + cycles / FRAMES


def thumb_stage_cycles() -> tuple[float, float, float]:
    """Cycles/frame of the Thumb gain ramp, crossfeed and 16-bit output
    (uamp/dsp/stages_m0.py), each checked bit for bit against its twin."""
    from uamp.dsp import stages_m0

    c = make_chain()
    work, gain = c["work"], c["gain"]
    calls = [(("buf", 0, 0), FRAMES, ("buf", 1, 0)), (("buf", 0, 4), FRAMES, ("buf", 1, 4))]
    (got_work, got_gain), gain_cycles = runner.run_thumb(
        "stages_m0", "gain_m0", [work, gain], calls, count_cycles=True
    )
    gain_mod.gain_ramp_reference(work, FRAMES, gain)
    if (got_work, got_gain) != (work, gain):
        raise SystemExit("Thumb gain differs from the twin")
    xf = c["xf"]
    call = [(("buf", 0, 0), ("buf", 1, 0), FRAMES)]
    (got_work2, got_xf), xf_cycles = runner.run_thumb(
        "stages_m0", "crossfeed_m0", [work, xf], call, count_cycles=True
    )
    crossfeed.crossfeed_run_reference(work, FRAMES, xf)
    got_xf[5] = xf[5]  # the Thumb kernel's scratch word (its loop's end address)
    if (got_work2, got_xf) != (work, xf):
        raise SystemExit("Thumb crossfeed differs from the twin")
    state = array("i", list(c["out_state"]) + list(stages_m0.OUT_CONSTANTS))
    call = [(("buf", 0, 0), ("buf", 1, 0), FRAMES, ("buf", 2, 0))]
    (got_out, _, got_state), out_cycles = runner.run_thumb(
        "stages_m0", "to_int16_m0", [c["out"], work, state], call, count_cycles=True
    )
    output.to_int16_reference(c["out"], work, FRAMES, state)
    if (got_out, got_state) != (c["out"], state):
        raise SystemExit("Thumb 16-bit output differs from the twin")
    print("Thumb gain, crossfeed and 16-bit output (RP2040 path): bit-identical to the twins")
    return gain_cycles / FRAMES, xf_cycles / FRAMES, out_cycles / FRAMES


def thumb_biquad_cycles() -> tuple[float, float]:
    """Cycles/frame of the 5 sections with the hand-written Thumb kernel (uamp/dsp/biquad_m0.py)
    as the engine runs it on RP2040: per section and channel, a viper pack, the Thumb loop and
    a viper unpack. Checked bit for bit against the twin. Returns (one core: both channels,
    two cores: the slower channel plus the hand-over, see TWO_CORE_SYNC)."""
    from uamp.dsp import biquad_m0

    c = make_chain()
    ref = make_chain()
    thumb = runner.ThumbBiquad(count_cycles=True)
    address = thumb.load(c["work"])
    blk = array("i", bytes(4 * biquad_m0.BLOCK_WORDS))
    loops = []
    for ch in range(2):  # as TwoCores runs them: each channel on its own core
        thumb.cpu.cycles = 0
        biquad_m0.run_channel(
            thumb, address, blk, FRAMES, c["coefs"], c["state"], c["order"], 5, ch
        )
        loops.append(thumb.cpu.cycles)
    biquad.biquad_run_reference(ref["work"], FRAMES, ref["coefs"], ref["state"], ref["order"], 5)
    if thumb.read() != ref["work"] or c["state"] != ref["state"]:
        raise SystemExit("Thumb biquad differs from the twin")
    cpu = runner.core("uamp.dsp.biquad_m0")
    cpu.cycles = 0
    runner.run_on_core(cpu, "pack_block", [blk, c["coefs"], c["state"], 1, 0], count_cycles=True)
    runner.run_on_core(cpu, "unpack_block", [blk, c["state"], 1, 0], count_cycles=True)
    print("Thumb biquad (RP2040 path): bit-identical to the twin, run one channel at a time")
    per_channel = [loop + 5 * cpu.cycles for loop in loops]
    return sum(per_channel) / FRAMES, (max(per_channel) + TWO_CORE_SYNC) / FRAMES


def main() -> int:
    print("uamp DSP benchmark: %d-frame stereo buffers, 5 biquads active" % FRAMES)
    c_rows = run_c(0.3)
    mp = run_micropython()
    cycles = run_emulator()
    head = "%-10s %12s %12s %12s %8s %14s %10s" % (
        "stage",
        "bytecode f/s",
        "viper f/s",
        "C f/s",
        "viper/C",
        "armv6m cyc/fr",
        "RP2040 %",
    )
    print(head)
    print("-" * len(head))
    for stage in STAGES:
        viper = mp["viper"].get(stage, 0)
        cf = c_rows.get(stage, 0)
        ratio = "%8.1f" % (cf / viper) if viper and cf else "%8s" % "-"
        share = cycles[stage] * RATE / CORE_HZ * 100
        print(
            "%-10s %12.0f %12.0f %12.0f %s %14.0f %9.1f%%"
            % (stage, mp["bytecode"].get(stage, 0), viper, cf, ratio, cycles[stage], share)
        )
    for stage in (
        "gain Thumb",
        "biquad x5 Thumb",
        "crossfeed Thumb",
        "dither16 Thumb",
        "chain, RP2040",
        "biquad x5 2 cores",
        "chain, 2 cores",
    ):
        share = cycles[stage] * RATE / CORE_HZ * 100
        print("%-17s %44s %14.0f %9.1f%%" % (stage, "(armv6m only)", cycles[stage], share))
    chain = cycles["chain, RP2040"]
    print(
        "full chain on RP2040 as the engine runs it, one core (model): %.0f cycles/frame"
        " = %.1f %% of a 125 MHz core at 48 kHz (target <= 1040 cycles, 40 %%)"
        % (chain, chain * RATE / CORE_HZ * 100)
    )
    chain = cycles["chain, 2 cores"]
    print(
        "full chain on RP2040 with SECOND_CORE, EQ split over both cores (model, hand-over"
        " estimated at %d cycles/buffer): %.0f cycles/frame on core 0 = %.1f %%"
        % (TWO_CORE_SYNC, chain, chain * RATE / CORE_HZ * 100)
    )
    extra = cycles["EQ crossfade"]
    chain = cycles["chain, RP2040"] + extra
    print(
        "while an EQ change crossfades a section (64 ms per changed section, one at a time):"
        " +%.0f cycles/frame (copy + one more Thumb section + Thumb crossfade) = %.0f"
        " cycles/frame, %.1f %% of a core" % (extra, chain, chain * RATE / CORE_HZ * 100)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
