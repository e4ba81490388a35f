"""Times each kernel and the full chain on the MicroPython unix port: viper vs bytecode (the
plain-Python twin of the same math). Prints one line per row: name mode frames_per_second.

    .venv/bin/micropython tools/bench/mp_bench.py
"""

import sys
import time

sys.path.insert(0, "firmware")
sys.path.insert(0, "tools/bench")

from chain_setup import FRAMES, make_chain  # noqa: E402

from uamp.dsp import biquad, crossfeed, output  # noqa: E402
from uamp.dsp import gain as gain_mod  # noqa: E402


def kernels(mode):
    """name -> function(chain) running one buffer through that stage."""
    if mode == "viper":
        bq, gr, xf, out = (
            biquad.biquad_run,
            gain_mod.gain_ramp,
            crossfeed.crossfeed_run,
            output.to_int16,
        )
    else:
        bq, gr, xf, out = (
            biquad.biquad_run_reference,
            gain_mod.gain_ramp_reference,
            crossfeed.crossfeed_run_reference,
            output.to_int16_reference,
        )

    def gain(c):
        c["gain"][0] = (1 << 24) // 2  # restart the ramp: every buffer does the same work
        c["gain"][1] = (1 << 24) // 3
        gr(c["work"], FRAMES, c["gain"])

    def eq5(c):
        bq(c["work"], FRAMES, c["coefs"], c["state"], c["order"], 5)

    def cross(c):
        xf(c["work"], FRAMES, c["xf"])
        c["xf"][3] = (1 << 24) // 4

    def dither(c):
        out(c["out"], c["work"], FRAMES, c["out_state"])

    def chain(c):
        gain(c)
        eq5(c)
        cross(c)
        dither(c)

    return (
        ("gain", gain),
        ("biquad x5", eq5),
        ("crossfeed", cross),
        ("dither16", dither),
        ("chain", chain),
    )


def main():
    for mode in ("viper", "bytecode"):
        for name, run in kernels(mode):
            c = make_chain()
            run(c)  # warm up
            repeats = 0
            t0 = time.ticks_us()
            us = 0
            while us < 300000:  # at least 0.3 s per row
                run(c)
                repeats += 1
                us = time.ticks_diff(time.ticks_us(), t0)
            print("%s|%s|%d" % (name, mode, int(repeats * FRAMES * 1000000 // max(1, us))))


main()
