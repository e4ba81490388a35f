"""Time the DSP kernels on a connected board (`make bench-board PORT=...`).

    python tools/bench_board.py --port /dev/ttyACM0 [--repeat 200]

Runs a small script on the board with `mpremote exec`: it imports the kernels deployed in
/uamp/dsp (run `make deploy` first), times each one over one audio buffer with time.ticks_us,
and prints microseconds per buffer and the share of one core that leaves (the buffer lasts
FRAMES / rate seconds). The audio path must stay well under 100 %: the rest is the app.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ON_BOARD = r"""
import time, json
from uamp.audio import FRAMES
try:
    RATE = json.load(open('/board.json'))['i2s']['rate']
except (OSError, ValueError, KeyError):
    RATE = 48000
REPEAT = %d
buf = bytearray(FRAMES * 4)

def kernels():
    from uamp.dsp import tone, gain
    table = tone.make_table(-6.0)
    step = tone.phase_step(1000, RATE)
    yield 'tone_fill', lambda: tone.tone_fill(buf, FRAMES, table, 0, step)
    yield 'apply_gain', lambda: gain.apply_gain(buf, FRAMES * 2, 20000)

period_us = FRAMES * 1000000 // RATE
print('buffer: %%d frames at %%d Hz = %%d us' %% (FRAMES, RATE, period_us))
total = 0
for name, run in kernels():
    run()
    t = time.ticks_us()
    for _ in range(REPEAT):
        run()
    us = time.ticks_diff(time.ticks_us(), t) / REPEAT
    total += us
    print('%%-12s %%8.1f us/buffer %%6.2f %%%% of the core' %% (name, us, 100 * us / period_us))
print('%%-12s %%8.1f us/buffer %%6.2f %%%% of the core' %% ('all', total, 100 * total / period_us))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyACM0")
    parser.add_argument("--repeat", type=int, default=200, help="buffers timed per kernel")
    args = parser.parse_args()
    exe = Path(sys.executable).parent / "mpremote"
    cmd = [str(exe) if exe.exists() else "mpremote", "connect", args.port]
    cmd += ["exec", ON_BOARD % args.repeat]
    print(f"bench-board on {args.port}: {args.repeat} buffers per kernel")
    result = subprocess.run(cmd, timeout=300)
    if result.returncode != 0:
        print("bench-board: failed; is uamp deployed (make deploy)?", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
