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
