"""Time the DSP kernels on a connected board (`make bench-board PORT=...`).

    python tools/bench_board.py --port /dev/ttyACM0 [--repeat 200]

Runs a small script on the board with `mpremote exec`: it builds the deployed audio engine
(run `make deploy` first) on a stand-in I2S port, times the buffer fill the I2S callback runs
(time.ticks_us over --repeat buffers), plain and with EQ, bass and crossfeed on, and prints
microseconds per buffer and the share of one core that takes (a buffer lasts FRAMES / rate).
tools/bench.py is the host-side benchmark (bytecode vs viper vs C, emulated Cortex-M0 cycles).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ON_BOARD = r"""
import time, json
from uamp.audio import AudioEngine, FRAMES
try:
    RATE = json.load(open('/board.json'))['i2s']['rate']
except (OSError, ValueError, KeyError):
    RATE = 48000
REPEAT = %d

class NoI2S:  # the engine's output port, minus the DMA: we time the buffer fill alone
    def irq(self, handler):
        pass
    def write(self, buf):
        return len(buf)

def timed(engine):
    engine._refill()
    t = time.ticks_us()
    for _ in range(REPEAT):
        engine._refill()
    return time.ticks_diff(time.ticks_us(), t) / REPEAT

period_us = FRAMES * 1000000 // RATE
print('buffer: %%d frames at %%d Hz = %%d us' %% (FRAMES, RATE, period_us))
engine = AudioEngine(NoI2S(), RATE)
engine.start()
engine.set_gain(32767)
rows = [('tone, gain, dither', timed(engine))]
try:
    engine.load_eq_preset(engine.eq_presets[-1])
    engine.set_eq_enabled(True)
    engine.set_bass(6)
    engine.set_crossfeed(1)
    for _ in range(64):  # let the coefficient ramps finish
        engine._refill()
    rows.append(('+ EQ, bass, crossfeed', timed(engine)))
except (AttributeError, ValueError, IndexError) as e:
    print('full chain not timed:', e)
for name, us in rows:
    print('%%-22s %%8.1f us/buffer %%6.1f %%%% of the core' %% (name, us, 100 * us / period_us))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyACM0")
    parser.add_argument("--repeat", type=int, default=200, help="buffers timed per configuration")
    args = parser.parse_args()
    exe = Path(sys.executable).parent / "mpremote"
    cmd = [str(exe) if exe.exists() else "mpremote", "connect", args.port]
    cmd += ["exec", ON_BOARD % args.repeat]
    print(f"bench-board on {args.port}: {args.repeat} buffers per configuration", flush=True)
    for attempt in (1, 2):
        result = subprocess.run(cmd, timeout=300, capture_output=True, text=True)
        # mpremote's Ctrl-C stops the firmware, whose way out (mute, settings save) can outlast
        # mpremote's wait for the raw REPL on a busy host; the board is at its REPL by then
        if attempt == 1 and "could not enter raw repl" in result.stderr:
            continue
        break
    print(result.stdout, end="")
    if result.returncode != 0:
        print(result.stderr, end="", file=sys.stderr)
        print("bench-board: failed; is uamp deployed (make deploy)?", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
