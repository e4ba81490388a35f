"""Where the boot heap goes on the emulated Pico: a measuring /boot.py and its table.

    python tools/rp2emu/bench.py --heap       # `make bench-rp2 BENCH_ARGS=--heap`

The probe is a boot.py put beside the deploy layout. Before main.py runs it imports every
firmware module main.py loads at boot, leaves first (the order comes from the sources' own
module-level imports, read on the host), with gc.collect() before and after each, so each
module's figure is what it alone keeps on the heap (its bytecode, constants, functions and
classes). It also measures the profile checker (main.py imports it and drops it), then wraps
the boot's init steps (Board(), each App._build_* part, AudioEngine(), the I2S port) the same
way, and, when main.py reaches App.serve, prints the free heap after a collection and a census
of the big buffers and strings the running app keeps (a path from `app` or a module to each).

A module's figure includes its share of MicroPython's qstr pools (the names and short strings
it interns stay for good, even when the module is dropped), and the whole of a new pool when
its names are the ones that fill the last: the pools double (a 1280-entry pool, about 9 KB,
starts near 1270 interned names), so the module that crosses that line carries it. The
`qstr pool` line counts them.

Modules imported inside functions (the profile's drivers, the rare console commands, the menu)
count in the init step that loads them, or not at all until used.

The collections between steps keep the heap in one piece, so the probe's own free and largest
block figures are better than a plain boot's: bench.py measures those on a plain boot.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FIRMWARE = ROOT / "firmware"
PREFIX = "heap|"  # every line the probe prints starts with this


def _module_file(name: str) -> Path | None:
    base = FIRMWARE / Path(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def _top_level_imports(path: Path, package: str) -> list[str]:
    """Firmware modules a file imports when it is loaded (not inside functions), in order."""
    tree = ast.parse(path.read_text())
    found: list[str] = []

    def visit(nodes):
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.append(node.module)
                for alias in node.names:  # `from uamp.dsp import tone`: a submodule
                    found.append(node.module + "." + alias.name)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for field in ("body", "orelse", "handlers", "finalbody"):
                visit(getattr(node, field, []) or [])

    visit(tree.body)
    del package
    return [name for name in found if _module_file(name) is not None]


def boot_order() -> list[str]:
    """The firmware modules main.py loads at boot, each after the modules it imports."""
    order: list[str] = []

    def add(name: str) -> None:
        if name in order:
            return
        parts = name.split(".")
        for i in range(1, len(parts)):  # a package before its modules
            add(".".join(parts[:i]))
        path = _module_file(name)
        if path is None:
            return
        for dep in _top_level_imports(path, name):
            if dep != name:
                add(dep)
        if name not in order:
            order.append(name)

    for dep in _top_level_imports(FIRMWARE / "main.py", ""):
        add(dep)
    return order


# The probe itself (MicroPython). Only the lines it prints allocate between two measurements,
# and a collection precedes every figure.
_PROBE = r'''# the heap probe: tools/rp2emu/heap_probe.py (not part of the firmware)
import gc
import sys
import time

ORDER = %(order)r
_depth = [0]


def _free():
    gc.collect()
    return gc.mem_free()


_rows = []


def _row(kind, name, used, note="", us=-1):
    # kept until main.py is up: USB serial is not connected yet while the modules load
    _rows.append((kind, name, _depth[0], used, us, note))


def _print_rows():
    for row in _rows:
        print("heap|%%s|%%s|%%d|%%d|%%d|%%s" %% row)
    _rows.clear()


def _import(name):
    count = len(sys.modules)
    before = _free()
    started = time.ticks_us()
    __import__(name)
    us = time.ticks_diff(time.ticks_us(), started)
    used = before - _free()
    extra = len(sys.modules) - count - 1
    _row("import", name, used, "+%%d more" %% extra if extra > 0 else "", us)


_row("start", "free", _free())
for _name in ORDER:
    if _name not in sys.modules:
        _import(_name)

# the profile checker, as main.py's read_profile uses it: loaded, run, dropped
_before = _free()
import uamp.profile  # noqa: E402

_row("transient", "uamp.profile imported", _before - _free())
_profile = uamp.profile.load("/board.json")
del sys.modules["uamp.profile"]
del sys.modules["uamp"].profile
del uamp
_row("transient", "checked, module dropped, profile held", _before - _free())
del _profile
_row("transient", "profile dropped too: what stays (qstrs)", _before - _free())


def _wrap(owner, attr, label):
    real = getattr(owner, attr)

    def probe(*args, **kwargs):
        before = _free()
        _depth[0] += 1
        started = time.ticks_us()
        try:
            return real(*args, **kwargs)
        finally:
            us = time.ticks_diff(time.ticks_us(), started)
            _depth[0] -= 1
            _row("init", label, before - _free(), "", us)

    setattr(owner, attr, probe)


from uamp import app as _app  # noqa: E402
from uamp import audio as _audio  # noqa: E402
from uamp import board as _board  # noqa: E402
from uamp import settings as _settings  # noqa: E402
from uamp.ui import panel as _panel  # noqa: E402

_wrap(_board.Board, "__init__", "Board() (SPI, I2C)")
_wrap(_board.Board, "i2s_out", "I2S port (Board.i2s_out(), its ring)")
for _part in ("outputs", "audio", "volume", "panel", "console"):
    _wrap(_app.App, "_build_" + _part, "App._build_" + _part)
_wrap(_audio.AudioEngine, "__init__", "AudioEngine()")
_wrap(_panel.Panel, "__init__", "Panel()")
_wrap(_settings.Settings, "load", "Settings.load()")


def _bytes_of(obj):
    t = type(obj)
    if t is str or t is bytes or t is bytearray:
        return len(obj)
    n = len(obj)
    return n * len(bytes(memoryview(obj)[:1])) if n else 0


def _census(roots, least):
    """(bytes, path) of every str/bytes/bytearray/array of `least` bytes or more reachable
    from `roots` through instance attributes, lists, tuples, dicts and module globals. What
    was visited is a bit per 16-byte block of the RP2040's SRAM: a set would not fit."""
    from array import array

    big = []
    seen = bytearray(0x42000 >> 7)
    todo = list(roots)
    leaves = (str, bytes, bytearray, array)
    module = type(sys)

    def visit(path, obj):
        t = type(obj)
        if t in leaves:
            n = _bytes_of(obj)
            if n >= least:
                big.append((n, path))
        elif t is list or t is tuple or t is dict or t is module or hasattr(obj, "__dict__"):
            if not isinstance(obj, type):
                todo.append((path, obj))

    while todo:
        path, obj = todo.pop()
        block = (id(obj) - 0x20000000) >> 4
        if 0 <= block < len(seen) * 8:
            if seen[block >> 3] & (1 << (block & 7)):
                continue
            seen[block >> 3] |= 1 << (block & 7)
        t = type(obj)
        if t is list or t is tuple:
            for i in range(len(obj)):
                visit("%%s[%%d]" %% (path, i), obj[i])
        elif t is dict:
            for k in obj:
                visit("%%s[%%r]" %% (path, k), obj[k])
        else:
            d = obj.__dict__
            for k in d:
                visit("%%s.%%s" %% (path, k), d[k])
    return big


_serve = _app.App.serve


def _ready(self, run):
    _row("ready", "free after boot (collected)", _free())
    roots = [("app", self)]
    for name in sys.modules:
        if name.startswith("uamp"):
            roots.append((name, sys.modules[name]))
    big = _census(roots, %(least)d)
    big.sort()
    for n, path in big:
        _row("buffer", path, n)
    del big, roots
    _row("ready", "free after the census (collected)", _free())
    import micropython

    _print_rows()
    micropython.qstr_info()
    micropython.mem_info()
    return _serve(self, run)


_app.App.serve = _ready
del _import, _name, _before, _part
'''


def probe_script(least: int = 512) -> bytes:
    """The probe's boot.py for the deploy layout of today's firmware."""
    return (_PROBE % {"order": boot_order(), "least": least}).encode()


def rows(output: str) -> list[tuple[str, str, int, int, int, str]]:
    """(kind, name, depth, bytes, us, note) of each probe line in the board's output (us: the
    step's emulated microseconds, -1 where not timed; a step's time includes the collections
    of the steps nested in it)."""
    out = []
    for line in output.splitlines():
        at = line.find(PREFIX)  # the first one follows the console's prompt
        if at >= 0:
            kind, name, depth, used, us, note = line[at + len(PREFIX) :].strip().split("|", 5)
            out.append((kind, name, int(depth), int(used), int(us), note))
    return out
