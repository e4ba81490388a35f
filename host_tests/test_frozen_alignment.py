"""Why frozen viper code gives wrong values on the RP2040 while the same .mpy is bit-exact.

mpy-cross's armv6m native code loads every constant that does not fit 8 bits with a PC-relative
`ldr rX, [pc, #imm]` from a literal placed in the code. The Cortex-M0+ rounds the PC down to a
word before adding imm, and the assembler computed imm assuming the code starts on a word
boundary. A .mpy loaded at run time gets its code copied into the heap (16-byte aligned), so it
is right; mpy-tool, freezing, declares ARMv6-M machine code `__attribute__((aligned(2)))`, so in
flash it may start at 2 mod 4, and then every such load reads a word two bytes off:
tone.sine_fill's masks (0x3FFFFFFF, 0x20000000, 0xFFFFFF) become garbage.

This runs the armv6m code of tone.sine_fill on the Cortex-M0 emulator at word-aligned and at
2-mod-4 addresses. If it ever runs right at 2 mod 4 (mpy-cross no longer uses literal loads),
the rule in manifest.py (no native code frozen for the RP2040) can go.
"""

from array import array

from emu.armv6m import CODE, Armv6m
from emu.runner import BUILD, run_on_core

from uamp.dsp import tone

SKIP_ON_MICROPYTHON = "unicorn (the armv6m emulator) is a CPython package"

FRAMES = 64


def _sine_at(cpu, address, code, table):
    cpu.put(address, code)
    cpu.entry["sine_fill"] = address
    buf = array("i", bytes(8 * FRAMES))
    phase, after = run_on_core(cpu, "sine_fill", [buf, FRAMES, table, 12345, 29127])
    return phase, list(after[0])


def test_armv6m_viper_code_is_right_only_on_a_word_boundary():
    cpu = Armv6m("uamp.dsp.tone", BUILD)
    code = cpu.get(cpu.entry["sine_fill"], cpu.code_size["sine_fill"])
    table = tone.make_table(-6.0)
    want = array("i", bytes(8 * FRAMES))
    want_phase = tone.sine_fill_reference(want, FRAMES, table, 12345, 29127)
    # a word-aligned copy, as a .mpy gets in the heap: bit-exact
    assert _sine_at(cpu, CODE + 0x8000, code, table) == (want_phase, list(want))
    # two bytes off, as mpy-tool's aligned(2) allows in a frozen build: wrong samples
    phase, samples = _sine_at(cpu, CODE + 0x9002, code, table)
    assert samples != list(want)
    assert phase != want_phase
