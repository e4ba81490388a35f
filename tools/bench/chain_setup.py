"""The benchmark's workload, shared by the MicroPython timing run and the emulator/C runs.

Runs on CPython and on the MicroPython unix port (plain Python, no f-strings etc.).
Full chain, per 256-frame stereo buffer: gain ramp (volume + balance: two channel gains),
5 biquads, crossfeed, TPDF dither to 16-bit words.
"""

from array import array

from uamp.dsp import biquad, crossfeed, eq

FRAMES = 256
RATE = 48000
BANDS = (
    ("peak", 60, 4.0, 1.0),
    ("peak", 250, -2.0, 1.0),
    ("peak", 1000, 3.0, 0.8),
    ("peak", 4000, -3.0, 2.0),
    ("highshelf", 9000, 2.0, 0.7),
)


def make_input(frames=FRAMES):
    out = array("i", bytes(8 * frames))
    x = 12345
    for i in range(2 * frames):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = ((x >> 7) & 0xFFFFFF) - 0x800000  # Q23 white noise at full scale
    return out


def make_chain(frames=FRAMES):
    """A dict of every buffer the chain's kernels take, in their initial state."""
    settings = eq.EqSettings(RATE)
    settings.bands = list(BANDS)
    coefs, _ = settings.compile(settings.designs())
    order = bytearray(eq.SLOTS)
    for i in range(5):
        order[i] = i + 1  # slots 1..5: the five bands (slot 0, bass, idle)
    return {
        "work": make_input(frames),
        "coefs": coefs,
        "state": array("i", bytes(4 * biquad.STATE_PER * 2 * eq.SLOTS)),
        "order": order,
        "gain": array("i", [(1 << 24) // 2, (1 << 24) // 3, 7, -5]),  # both ramping, unequal
        "xf": _crossfeed_state(),
        "out_state": array("i", [1, 0, 0, 0, 0, 1]),
        "out": bytearray(4 * frames),
    }


def _crossfeed_state():
    """Crossfeed fading in from a mix of 1/4, its delay ring primed with the input's start."""
    state = crossfeed.new_state(RATE)
    x = make_input(1)
    crossfeed.prime(state, x[0], x[1])
    state[3] = (1 << 24) // 4
    state[4] = 3
    return state
