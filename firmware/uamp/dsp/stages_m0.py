"""Gain ramp and 16-bit dithered output in hand-written Thumb for RP2040 (Cortex-M0+).

The same integer math as `gain_ramp` (uamp/dsp/gain.py) and `to_int16` (uamp/dsp/output.py);
host_tests/test_kernels_emu.py runs both on the armv6m emulator against the plain-Python
twins. Like biquad_m0.py, the source is a string compiled on an ARM board by `load()`;
elsewhere the engine runs the viper kernels. r12 (a scratch register in the ARM calling
convention) holds the loop's end address.

gain_m0(r0 = address of the channel's first Q23 sample, r1 = frames, r2 = address of that
channel's gain in the 4-word gain state [gL, gR, dL, dR]): one channel per call.
to_int16_m0(r0 = output address, r1 = work address, r2 = frames, r3 = output state address):
state words 0-5 as for to_int16, then the constants 214013, 2531011, 32767, -32768.
"""

import micropython

OUT_CONSTANTS = (214013, 2531011, 32767, -32768)  # LCG a, c; int16 limits (state words 6-9)

SOURCE = """
@micropython.asm_thumb
def gain_m0(r0, r1, r2):
    lsl(r1, r1, 3)
    add(r1, r1, r0)
    mov(r12, r1)
    ldr(r3, [r2, 0])
    ldr(r4, [r2, 8])
    push({r2})
    label(loop)
    add(r3, r3, r4)
    ldr(r5, [r0, 0])
    asr(r6, r5, 12)
    lsl(r5, r5, 20)
    lsr(r5, r5, 20)
    asr(r7, r3, 12)
    lsl(r1, r3, 20)
    lsr(r1, r1, 20)
    mov(r2, r1)
    mul(r2, r5)
    asr(r2, r2, 12)
    mul(r1, r6)
    add(r2, r2, r1)
    mov(r1, r7)
    mul(r1, r5)
    add(r2, r2, r1)
    mov(r1, 1)
    lsl(r1, r1, 11)
    add(r2, r2, r1)
    asr(r2, r2, 12)
    mul(r7, r6)
    add(r7, r7, r2)
    str(r7, [r0, 0])
    add(r0, 8)
    mov(r1, r12)
    cmp(r0, r1)
    blt(loop)
    pop({r2})
    str(r3, [r2, 0])


@micropython.asm_thumb
def to_int16_m0(r0, r1, r2, r3):
    lsl(r2, r2, 3)
    add(r2, r2, r1)
    mov(r12, r2)
    ldr(r4, [r3, 0])
    ldr(r5, [r3, 4])
    label(loop)
    # --- left sample ---
    ldr(r6, [r1, 0])
    ldr(r2, [r3, 20])
    cmp(r2, 0)
    beq(plain_left)
    ldr(r7, [r3, 24])
    mul(r4, r7)
    ldr(r7, [r3, 28])
    add(r4, r4, r7)
    lsl(r4, r4, 2)
    lsr(r4, r4, 2)
    lsr(r7, r4, 22)
    add(r6, r6, r7)
    sub(r6, r6, r5)
    mov(r5, r7)
    label(plain_left)
    add(r6, 128)
    asr(r6, r6, 8)
    ldr(r7, [r3, 32])
    cmp(r6, r7)
    ble(low_left)
    mov(r6, r7)
    ldr(r2, [r3, 8])
    add(r2, 1)
    str(r2, [r3, 8])
    label(low_left)
    ldr(r7, [r3, 36])
    cmp(r6, r7)
    bge(stored_left)
    mov(r6, r7)
    ldr(r2, [r3, 8])
    add(r2, 1)
    str(r2, [r3, 8])
    label(stored_left)
    strh(r6, [r0, 0])
    asr(r7, r6, 31)
    eor(r6, r7)
    sub(r6, r6, r7)
    ldr(r7, [r3, 12])
    cmp(r6, r7)
    ble(peaked_left)
    str(r6, [r3, 12])
    label(peaked_left)
    add(r1, 4)
    # --- right sample ---
    ldr(r6, [r1, 0])
    ldr(r2, [r3, 20])
    cmp(r2, 0)
    beq(plain_right)
    ldr(r7, [r3, 24])
    mul(r4, r7)
    ldr(r7, [r3, 28])
    add(r4, r4, r7)
    lsl(r4, r4, 2)
    lsr(r4, r4, 2)
    lsr(r7, r4, 22)
    add(r6, r6, r7)
    sub(r6, r6, r5)
    mov(r5, r7)
    label(plain_right)
    add(r6, 128)
    asr(r6, r6, 8)
    ldr(r7, [r3, 32])
    cmp(r6, r7)
    ble(low_right)
    mov(r6, r7)
    ldr(r2, [r3, 8])
    add(r2, 1)
    str(r2, [r3, 8])
    label(low_right)
    ldr(r7, [r3, 36])
    cmp(r6, r7)
    bge(stored_right)
    mov(r6, r7)
    ldr(r2, [r3, 8])
    add(r2, 1)
    str(r2, [r3, 8])
    label(stored_right)
    strh(r6, [r0, 2])
    asr(r7, r6, 31)
    eor(r6, r7)
    sub(r6, r6, r7)
    ldr(r7, [r3, 16])
    cmp(r6, r7)
    ble(peaked_right)
    str(r6, [r3, 16])
    label(peaked_right)
    add(r1, 4)

    add(r0, 4)
    mov(r2, r12)
    cmp(r1, r2)
    bge(done)
    b(loop)
    label(done)
    str(r4, [r3, 0])
    str(r5, [r3, 4])
"""


def load():
    """{name: function} of the Thumb kernels on an ARM board, else None."""
    import sys

    if sys.platform != "rp2":
        return None
    scope = {"micropython": micropython}
    exec(SOURCE, scope)
    return scope
