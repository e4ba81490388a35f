"""Run the `mpy-cross -march=armv6m` machine code of a viper kernel on unicorn (Thumb, Cortex-M0).

A viper function that calls no runtime helper except the argument/return conversions is
position-independent Thumb code. We find its bytes in the .mpy, copy them into emulated flash
and enter it exactly as the MicroPython runtime does (the runtime's native calling convention):

    r0 = function object, r1 = n_args, r2 = n_kw, r3 = pointer to the argument objects

The prologue loads the native function table through the function object
(`ldr r7, [r0, #4]` -> context, context+12 -> constant table -> its last entry). We build that
table with every entry pointing at a `bx lr` stub. Entry 3 (mp_convert_obj_to_native) and 4
(mp_convert_native_to_obj) are identities: we pass raw integers and buffer addresses as the
"objects", so a kernel sees exactly the values a board would give it. A call through any other
entry means the kernel depends on the runtime (and is slow on the board): that is an error.

Cycle model (the issue's simple Cortex-M0+ model): ALU and MUL 1 cycle, load/store 2,
push/pop/ldm/stm 1 + registers, taken branch 2 (a branch not taken costs 1).
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from pathlib import Path

from unicorn import UC_ARCH_ARM, UC_HOOK_CODE, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
from unicorn.arm_const import (
    UC_ARM_REG_LR,
    UC_ARM_REG_R0,
    UC_ARM_REG_R1,
    UC_ARM_REG_R2,
    UC_ARM_REG_R3,
    UC_ARM_REG_SP,
    UC_CPU_ARM_CORTEX_M0,
)

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"

CODE = 0x0001_0000
CODE_SIZE = 0x0001_0000
STUBS = 0x0002_0000  # one `bx lr` per native-table entry
N_STUBS = 128
TABLE = 0x0003_0000
CONTEXT = 0x0003_1000
FUN_OBJ = 0x0003_1200
ARGS = 0x0003_1400
NONE_OBJ = 0x0003_1800
RETURN = 0x0004_0000  # lr points here; emulation stops on reaching it
DATA = 0x0010_0000
DATA_SIZE = 0x0010_0000
STACK_TOP = 0x0030_0000
STACK_SIZE = 0x0001_0000

F_CONVERT_OBJ_TO_NATIVE = 3
F_CONVERT_NATIVE_TO_OBJ = 4
ALLOWED_HELPERS = {F_CONVERT_OBJ_TO_NATIVE, F_CONVERT_NATIVE_TO_OBJ}
MPY_KIND_VIPER = 2  # kind field of a raw-code header: MP_CODE_NATIVE_VIPER - MP_CODE_BYTECODE
MPY_KIND_ASM = 3  # MP_CODE_NATIVE_ASM - MP_CODE_BYTECODE (@micropython.asm_thumb)


def mpy_cross() -> str:
    local = Path(sys.executable).parent / "mpy-cross"
    return str(local) if local.exists() else "mpy-cross"


def compile_module(source: Path, out_dir: Path) -> bytes:
    """The armv6m .mpy of one firmware module."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / (source.stem + ".mpy")
    subprocess.run(
        [mpy_cross(), "-march=armv6m", "-o", str(target), str(source)],
        check=True,
        capture_output=True,
    )
    return target.read_bytes()


def _read_uint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    while True:
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos


def viper_names(source: Path) -> list[str]:
    """Names of the module-level @micropython.viper / asm_thumb functions, in order."""
    text = re.sub(r'SOURCE = """.*?"""', "", source.read_text(), flags=re.S)  # board-only code
    return re.findall(r"^@micropython\.(?:viper|asm_thumb)\s*\ndef (\w+)", text, re.M)


def find_viper_code(mpy: bytes, count: int) -> list[bytes]:
    """Machine code of the module's viper functions, in definition order.

    A raw-code header is a varuint (length << 3 | has_children << 2 | kind). We look for headers
    of kind viper whose code is a whole Thumb function: it opens with `push {..., lr}` and ends
    with `pop {..., pc}`, and the scope-flags byte after it is 0 (no relocations, no rodata:
    the code is position independent). Each hit is checked, so a miss fails loudly.
    """
    assert mpy[0:2] == b"M\x06", "not a version-6 .mpy"
    assert mpy[2] >> 2 == 4, ".mpy is not armv6m"  # MP_NATIVE_ARCH_ARMV6M
    found = []
    pos = 4
    while pos < len(mpy) - 4 and len(found) < count:
        try:
            header, start = _read_uint(mpy, pos)
        except IndexError:
            break
        length = header >> 3
        end = start + length
        if (
            header & 3 in (MPY_KIND_VIPER, MPY_KIND_ASM)
            and length >= 8
            and end < len(mpy)
            and mpy[start + 1] == 0xB5  # push {..., lr}
            and mpy[end - 1] == 0xBD  # pop {..., pc}
        ):
            if mpy[end] != 0:
                raise ValueError("viper function at %d needs relocation" % start)
            found.append(mpy[start:end])
            pos = end + 1
            continue
        pos += 1
    if len(found) != count:
        raise ValueError("found %d viper functions, expected %d" % (len(found), count))
    return found


class HelperCallError(RuntimeError):
    pass


class Armv6m:
    """One emulated core with the kernels of one firmware module loaded."""

    def __init__(self, module: str, build_dir: Path, source: Path | None = None):
        if source is None:
            source = FIRMWARE / (module.replace(".", "/") + ".py")
        names = viper_names(source)
        codes = find_viper_code(compile_module(source, build_dir), len(names))
        self.uc = uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M0)
        for base, size in (
            (CODE, CODE_SIZE),
            (STUBS, RETURN - STUBS),  # stubs, table, context, args
            (RETURN, 0x1000),
            (DATA, DATA_SIZE),
            (STACK_TOP - STACK_SIZE, STACK_SIZE),
        ):
            uc.mem_map(base, size)
        uc.mem_write(STUBS, b"\x70\x47" * N_STUBS)  # bx lr
        uc.mem_write(TABLE, b"".join(struct.pack("<I", STUBS + 2 * i + 1) for i in range(N_STUBS)))
        uc.mem_write(TABLE, struct.pack("<I", NONE_OBJ))  # entry 0 is the None object
        # context+12 points at the module's constant table; the native function table is its
        # last entry (its index depends on the module), so every entry points at our table.
        uc.mem_write(CONTEXT + 12, struct.pack("<I", CONTEXT + 0x40))
        uc.mem_write(CONTEXT + 0x40, struct.pack("<I", TABLE) * 64)
        uc.mem_write(FUN_OBJ + 4, struct.pack("<I", CONTEXT))
        uc.mem_write(RETURN, b"\x00\xbf" * 8)  # nop
        self.entry = {}
        self.code_size = {}
        address = CODE
        for name, code in zip(names, codes):
            uc.mem_write(address, code)
            self.entry[name] = address
            self.code_size[name] = len(code)
            address = (address + len(code) + 15) & ~15
        self.bad_helper = None
        uc.hook_add(UC_HOOK_CODE, self._on_stub, begin=STUBS + 2 * 5, end=STUBS + 2 * N_STUBS)
        uc.hook_add(UC_HOOK_CODE, self._on_stub, begin=STUBS, end=STUBS + 2 * 2)
        self.data_top = DATA
        self.cycles = 0
        self.instructions = 0
        self._counting = None
        self._prev = None

    def _on_stub(self, uc, address, size, _user):
        self.bad_helper = (address - STUBS) // 2
        uc.emu_stop()

    def alloc(self, nbytes: int) -> int:
        """Emulated RAM for one buffer (word aligned); returns its address."""
        address = self.data_top
        self.data_top = (self.data_top + nbytes + 7) & ~7
        assert self.data_top <= DATA + DATA_SIZE, "emulated RAM full"
        return address

    def put(self, address: int, data: bytes) -> None:
        self.uc.mem_write(address, bytes(data))

    def get(self, address: int, nbytes: int) -> bytes:
        return bytes(self.uc.mem_read(address, nbytes))

    def call(self, name: str, *args: int, count_cycles: bool = False) -> int:
        """Run one kernel; integer args as they are, buffers as addresses. Returns r0 (signed)."""
        uc = self.uc
        uc.mem_write(ARGS, b"".join(struct.pack("<I", a & 0xFFFFFFFF) for a in args))
        uc.reg_write(UC_ARM_REG_R0, FUN_OBJ)
        uc.reg_write(UC_ARM_REG_R1, len(args))
        uc.reg_write(UC_ARM_REG_R2, 0)
        uc.reg_write(UC_ARM_REG_R3, ARGS)
        self.bad_helper = None
        value = self._run(name, count_cycles)
        if self.bad_helper is not None:
            raise HelperCallError("%s calls runtime helper %d" % (name, self.bad_helper))
        return value

    def call_asm(self, name: str, *args: int, count_cycles: bool = False) -> int:
        """Run an @micropython.asm_thumb function: its arguments go straight into r0-r3."""
        uc = self.uc
        for reg, value in zip((UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3), args):
            uc.reg_write(reg, value & 0xFFFFFFFF)
        return self._run(name, count_cycles)

    def _run(self, name: str, count_cycles: bool) -> int:
        """Enter `name` with the registers set, until it returns; r0 as a signed int."""
        uc = self.uc
        uc.reg_write(UC_ARM_REG_SP, STACK_TOP - 64)
        uc.reg_write(UC_ARM_REG_LR, RETURN | 1)
        hook = None
        if count_cycles:
            self._prev = None
            start = self.entry[name]
            hook = uc.hook_add(UC_HOOK_CODE, self._count, begin=start, end=start + 0xFFFF)
        try:
            uc.emu_start(self.entry[name] | 1, RETURN, count=200_000_000)
        finally:
            if hook is not None:
                self._settle_prev(None)
                uc.hook_del(hook)
        value = uc.reg_read(UC_ARM_REG_R0)
        return value - (1 << 32) if value & 0x80000000 else value

    # --- cycle model ---
    def _count(self, uc, address, size, _user):
        self._settle_prev(address)
        word = int.from_bytes(uc.mem_read(address, 2), "little")
        self._prev = (address, size, word)
        self.instructions += 1

    def _settle_prev(self, next_address):
        prev = self._prev
        if prev is None:
            return
        address, size, word = prev
        taken = next_address is not None and next_address != address + size
        self.cycles += thumb_cycles(word, size, taken)
        self._prev = None


def thumb_cycles(word: int, size: int, taken: bool) -> int:
    """Cycles of one Thumb instruction in the simple model (see the module docstring)."""
    if size == 4:  # BL and the few 32-bit system instructions
        return 3 if taken else 1
    top5 = word >> 11
    if word >> 12 == 0xB and (word >> 9) & 0x3 == 0x2:  # push / pop
        registers = bin(word & 0x1FF).count("1")
        return 1 + registers + (1 if taken else 0)  # pop {pc} refills the pipeline
    if word >> 12 == 0xC:  # ldm / stm
        return 1 + bin(word & 0xFF).count("1")
    if top5 == 0x09 or word >> 12 in (0x5, 0x6, 0x7, 0x8, 0x9):  # ldr/str variants
        return 2
    if taken:
        return 2
    return 1
