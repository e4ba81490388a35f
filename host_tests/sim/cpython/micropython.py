"""CPython stand-in for MicroPython's `micropython` module (host tests and tools only).

Only on sys.path under CPython: the MicroPython unix port has the real module built in.

Viper emulation: a `@viper` function runs as plain Python, with its pointer arguments wrapped so
that loads behave like the unix port's (ptr8/ptr16/ptr32 loads are unsigned) and stores truncate
to the element width. Python ints do not wrap, so the 32-bit overflow behaviour of a board is
NOT reproduced here: the MicroPython run and the armv6m emulator are what prove a kernel.
"""

import builtins


def const(value):
    return value


def native(func):
    func._native = True  # host_tests/test_callback_32bit.py tells native from bytecode by it
    return func


class _Ptr:
    _format = "B"
    _mask = 0xFF

    def __init__(self, buf):
        if isinstance(buf, _Ptr):
            buf = buf._view.obj
        self._view = memoryview(buf).cast("B").cast(self._format)

    def __getitem__(self, index):
        return self._view[index]

    def __setitem__(self, index, value):
        self._view[index] = value & self._mask


class ptr8(_Ptr):
    pass


class ptr16(_Ptr):
    _format = "H"
    _mask = 0xFFFF


class ptr32(_Ptr):
    _format = "I"
    _mask = 0xFFFFFFFF


_POINTERS = {"ptr8": ptr8, "ptr16": ptr16, "ptr32": ptr32}


def viper(func):
    """Wrap pointer-annotated arguments; everything else runs as ordinary Python."""
    names = func.__code__.co_varnames[: func.__code__.co_argcount]
    casts = []
    for position, name in enumerate(names):
        kind = func.__annotations__.get(name)
        if kind in _POINTERS.values():
            casts.append((position, kind))

    def wrapper(*args):
        args = list(args)
        for position, kind in casts:
            args[position] = kind(args[position])
        return func(*args)

    wrapper.__name__ = func.__name__
    wrapper.__wrapped__ = func
    return wrapper


# Viper code names these types in annotations and casts; make them resolvable like on a board.
builtins.ptr8 = ptr8
builtins.ptr16 = ptr16
builtins.ptr32 = ptr32
builtins.uint = int

_heap_locked = 0


def heap_lock():
    """Counts only: CPython cannot forbid allocation; the unix-port run proves it."""
    global _heap_locked
    _heap_locked += 1


def heap_unlock():
    global _heap_locked
    _heap_locked -= 1
    return _heap_locked


def schedule(func, arg):
    # The simulator has no interrupts: a scheduled call runs at once, which is when the
    # MicroPython scheduler would run it from the simulator's main loop anyway.
    func(arg)


def mem_info(*_args):
    pass
