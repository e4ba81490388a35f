"""Run a kernel case on the emulated armv6m core and on its Python twin, buffers compared."""

from __future__ import annotations

from array import array
from pathlib import Path

from emu.armv6m import Armv6m

BUILD = Path(__file__).resolve().parents[2] / "build" / "emu"
_cores: dict[str, Armv6m] = {}


def core(module: str) -> Armv6m:
    """One emulated core per firmware module, compiled once per test session."""
    if module not in _cores:
        _cores[module] = Armv6m(module, BUILD)
    return _cores[module]


def _copy(value):
    if isinstance(value, array):
        return array(value.typecode, value)
    if isinstance(value, bytearray):
        return bytearray(value)
    return value


def run_on_core(cpu: Armv6m, name: str, args: list, count_cycles: bool = False):
    """Copy buffers into emulated RAM, run, copy them back. Returns (result, args after)."""
    cpu.data_top = 0x0010_0000  # reuse the RAM for every call
    addresses = []
    call_args = []
    for value in args:
        if isinstance(value, (array, bytearray)):
            raw = bytes(value)
            address = cpu.alloc(len(raw))
            cpu.put(address, raw)
            addresses.append((address, len(raw)))
            call_args.append(address)
        else:
            addresses.append(None)
            call_args.append(value)
    result = cpu.call(name, *call_args, count_cycles=count_cycles)
    after = []
    for value, where in zip(args, addresses):
        if where is None:
            after.append(value)
            continue
        raw = cpu.get(*where)
        after.append(array(value.typecode, raw) if isinstance(value, array) else bytearray(raw))
    return result, after


def compare(module: str, name: str, reference, args: list, repeats: int = 2) -> list:
    """Kernel on the emulator vs the twin, `repeats` buffers with state carried over."""
    cpu = core(module)
    emu_args = [_copy(a) for a in args]
    ref_args = [_copy(a) for a in args]
    for _ in range(repeats):
        got, emu_args = run_on_core(cpu, name, emu_args)
        want = reference(*ref_args)
        if want is not None:
            assert got == want, (name, got, want)
        for position, (a, b) in enumerate(zip(emu_args, ref_args)):
            assert a == b, "%s: argument %d differs" % (name, position)
    return emu_args


def thumb_core(module: str = "biquad_m0") -> Armv6m:
    """The hand-written Thumb kernels of uamp/dsp/<module>.py (the SOURCE of <module>_thumb.py),
    for armv6m."""
    key = "thumb:" + module
    if key not in _cores:
        import importlib

        mod = importlib.import_module("uamp.dsp." + module + "_thumb")
        BUILD.mkdir(parents=True, exist_ok=True)
        source = BUILD / (module + "_source.py")
        source.write_text("import micropython\n" + mod.SOURCE)
        _cores[key] = Armv6m(module + "_source", BUILD, source=source)
    return _cores[key]


def run_thumb(module: str, name: str, buffers: list, calls: list, count_cycles: bool = False):
    """Put `buffers` in emulated RAM, then run name(*args) for each args in `calls`, where an
    arg ("buf", i, offset) means the address of buffers[i] plus offset. Returns the buffers
    read back, and the cycles spent."""
    cpu = thumb_core(module)
    cpu.data_top = 0x0010_0000
    cpu.cycles = 0
    addresses = []
    for value in buffers:
        raw = bytes(value)
        address = cpu.alloc(len(raw))
        cpu.put(address, raw)
        addresses.append((address, len(raw)))
    for args in calls:
        real = [a if isinstance(a, int) else addresses[a[1]][0] + a[2] for a in args]
        cpu.call_asm(name, *real, count_cycles=count_cycles)
    out = []
    for value, where in zip(buffers, addresses):
        raw = cpu.get(*where)
        out.append(array(value.typecode, raw) if isinstance(value, array) else bytearray(raw))
    return out, cpu.cycles


class ThumbBiquad:
    """The Thumb kernel as a callable for biquad_m0.run_cascade: the work buffer lives in
    emulated RAM (`load`/`read`), the block is copied in and out around each call."""

    def __init__(self, count_cycles=False):
        self.cpu = thumb_core("biquad_m0")
        self.cpu.data_top = 0x0010_0000
        self.block_address = self.cpu.alloc(4 * 24)
        self.count_cycles = count_cycles
        self.cpu.cycles = 0

    def load(self, work):
        self.work_bytes = len(bytes(work))
        self.work_address = self.cpu.alloc(self.work_bytes)
        self.cpu.put(self.work_address, bytes(work))
        return self.work_address

    def read(self):
        return array("i", self.cpu.get(self.work_address, self.work_bytes))

    def __call__(self, address, frames, blk):
        self.cpu.put(self.block_address, bytes(blk))
        self.cpu.call_asm(
            "biquad_m0", address, frames, self.block_address, count_cycles=self.count_cycles
        )
        blk[:] = array("i", self.cpu.get(self.block_address, len(bytes(blk))))
