"""The biquad section of uamp/dsp/biquad.py in hand-written Thumb for RP2040 (Cortex-M0+).

Same integer math as `biquad_run` (split 14-bit products, the history's fraction fed back
through a1 and a2, the low products summed with fraction saving, the output rounded, clamp at
2**26), for one section and one channel per call, with
its operands in a 24-word block so every value is one `ldr` away. The viper kernel keeps ~20
locals on the stack; this keeps the five products' halves in registers: about 4x fewer cycles
(see `make bench`). Frames must be even (two samples per loop pass).
host_tests/test_kernels_emu.py runs it on the armv6m emulator and compares it bit for bit with
the plain-Python twin.

`@micropython.asm_thumb` exists only on ARM ports, and mpy-cross for other architectures
rejects it, so the source is a string (biquad_m0_thumb.py) compiled on the board at start-up
(`load()`); elsewhere the engine runs the viper kernel.

Block (words): 0-9 b0h b0l b1h b1l b2h b2l a1h a1l a2h a2l (a's negated, h = c >> 14,
l = c & 0x3FFF), 10-17 x1h x1l x2h x2l w1h w1l w2h w2l, 18 4*e1, 19 4*e2 (4e: one multiply
gives ah*e*4, and (al*4e) >> 14 = (al*e) >> 12), 20 r (the low sum's remainder), 21 the
caller's r8, 22 clamp limit, 23 unused. r12 (scratch in the ARM calling convention) holds the
end address; r8 the running low sum (callee-saved: kept in word 21 and restored). The
assembler's add takes low registers only, so `add(r8, r3)` and `add(r8, r1)` are written as
their ADD (register) T2 encodings, data(2, 0x4498) and data(2, 0x4488) (ARMv6-M ARM A6.7.3).
"""

from array import array

import micropython

BLOCK_WORDS = 24
LIMIT = (1 << 26) - 1


def compile_thumb(module):
    """The names the SOURCE of uamp.dsp.`module` defines, compiled on an RP2040 board; else
    None (run viper). The source module is dropped again: its text is not needed once compiled."""
    import sys

    if sys.platform != "rp2":
        return None
    name = "uamp.dsp." + module
    scope = {"micropython": micropython}
    try:
        source = __import__(name, None, None, ("SOURCE",)).SOURCE
        del sys.modules[name]
        package = sys.modules["uamp.dsp"]
        if hasattr(package, module):
            delattr(package, module)
        exec(source, scope)
    except Exception:  # noqa: BLE001 - a firmware without inline asm, or no RAM: run viper
        return None
    return scope


def load():
    """The Thumb kernel on an ARM board, else None (the engine then runs the viper kernel)."""
    scope = compile_thumb("biquad_m0_thumb")
    return None if scope is None else scope["biquad_m0"]


@micropython.viper
def pack_block(blk: ptr32, coefs: ptr32, state: ptr32, slot: int, ch: int):
    """Coefficients of `slot` and its state for channel `ch` into the block, split (v wrapped
    to 30 bits, then v >> 14 and v & 0x3FFF). Unrolled: the loop form took twice the cycles."""
    c = slot * 5
    s = (slot * 2 + ch) * 7  # biquad.STATE_PER
    v = ((coefs[c] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    blk[0] = v >> 14
    blk[1] = v & 0x3FFF
    v = ((coefs[c + 1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    blk[2] = v >> 14
    blk[3] = v & 0x3FFF
    v = ((coefs[c + 2] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    blk[4] = v >> 14
    blk[5] = v & 0x3FFF
    v = ((coefs[c + 3] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    blk[6] = v >> 14
    blk[7] = v & 0x3FFF
    v = ((coefs[c + 4] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    blk[8] = v >> 14
    blk[9] = v & 0x3FFF
    v = ((state[s] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    blk[10] = v >> 14
    blk[11] = v & 0x3FFF
    v = ((state[s + 1] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    blk[12] = v >> 14
    blk[13] = v & 0x3FFF
    v = ((state[s + 2] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    blk[14] = v >> 14
    blk[15] = v & 0x3FFF
    v = ((state[s + 3] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    blk[16] = v >> 14
    blk[17] = v & 0x3FFF
    blk[18] = state[s + 4] << 2
    blk[19] = state[s + 5] << 2
    blk[20] = state[s + 6]
    blk[22] = 0x3FFFFFF


@micropython.viper
def unpack_block(blk: ptr32, state: ptr32, slot: int, ch: int):
    """The block's state back into the cascade's state array (unrolled, as pack_block)."""
    s = (slot * 2 + ch) * 7  # biquad.STATE_PER
    hi = ((blk[10] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    state[s] = (hi << 14) + blk[11]
    hi = ((blk[12] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    state[s + 1] = (hi << 14) + blk[13]
    hi = ((blk[14] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    state[s + 2] = (hi << 14) + blk[15]
    hi = ((blk[16] + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    state[s + 3] = (hi << 14) + blk[17]
    state[s + 4] = blk[18] >> 2
    state[s + 5] = blk[19] >> 2
    state[s + 6] = blk[20]


def run_channel(kernel, work_address, blk, frames, coefs, state, order, count, ch):
    """Every active section of one channel with the Thumb kernel. The channels share no
    state, so each can run on its own core, each with its own block."""
    for k in range(count):
        slot = order[k]
        pack_block(blk, coefs, state, slot, ch)
        kernel(work_address + 4 * ch, frames, blk)
        unpack_block(blk, state, slot, ch)


def run_cascade(kernel, work_address, blk, frames, coefs, state, order, count):
    """biquad_run's job done with the Thumb kernel: each channel, each active section.
    Allocates nothing (the block is preallocated, the address is a small int)."""
    for ch in range(2):
        run_channel(kernel, work_address, blk, frames, coefs, state, order, count, ch)


class TwoCores:
    """The cascade split over the RP2040's two cores: the right channel on core 1 (a
    `_thread`, which the rp2 port runs without a GIL), the left on the caller's core, so a
    buffer takes about half the time. Two locks hand the buffer over and back; nothing
    allocates per buffer. `start_thread` is `_thread.start_new_thread` (a parameter so the
    host tests can run the same hand-over with CPython threads)."""

    def __init__(self, kernel, work_address, coefs, state, order, allocate_lock, start_thread):
        self.kernel = kernel
        self.work_address = work_address
        self.coefs = coefs
        self.state = state
        self.order = order
        self.blk = array("i", bytes(4 * BLOCK_WORDS))  # core 1's own block
        self.frames = 0
        self.count = 0
        self.running = True
        self.go = allocate_lock()
        self.done = allocate_lock()
        self.go.acquire()
        self.done.acquire()
        start_thread(self._core1, ())

    def _core1(self):
        while True:
            self.go.acquire()
            if not self.running:
                break
            try:
                run_channel(
                    self.kernel,
                    self.work_address,
                    self.blk,
                    self.frames,
                    self.coefs,
                    self.state,
                    self.order,
                    self.count,
                    1,
                )
            except Exception:  # noqa: BLE001 - never leave core 0 waiting: one core from now on
                self.running = False
            self.done.release()

    def run(self, blk, frames, count):
        """Both channels of one buffer: same result as run_cascade."""
        if not self.running:  # core 1 failed: both channels here
            run_cascade(
                self.kernel,
                self.work_address,
                blk,
                frames,
                self.coefs,
                self.state,
                self.order,
                count,
            )
            return
        self.frames = frames
        self.count = count
        self.go.release()
        run_channel(
            self.kernel,
            self.work_address,
            blk,
            frames,
            self.coefs,
            self.state,
            self.order,
            count,
            0,
        )
        self.done.acquire()

    def stop(self):
        self.running = False
        self.go.release()


def two_cores(kernel, work_address, coefs, state, order):
    """A TwoCores on RP2040 when `_thread` can start core 1, else None (one core)."""
    import sys

    if sys.platform != "rp2":
        return None
    try:
        import _thread

        return TwoCores(
            kernel,
            work_address,
            coefs,
            state,
            order,
            _thread.allocate_lock,
            _thread.start_new_thread,
        )
    except Exception:  # noqa: BLE001 - no _thread in this firmware, or core 1 busy: one core
        return None
