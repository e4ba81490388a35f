"""uamp: MicroPython firmware for headphone DAC/amps."""

VERSION = "0.1.0"
SMALL_HEAP = 1024 * 1024  # bytes: an RP2040's heap is 240 KB, the unix port's here 32 MB


def small_heap():
    """True on a board whose heap every loaded module eats into (RP2040, ESP32 without PSRAM)."""
    try:
        import gc

        return gc.mem_free() + gc.mem_alloc() < SMALL_HEAP
    except AttributeError:  # CPython's gc has neither
        return False


def forget(name):
    """On a small heap, drop module `name` (loaded for one job: a rare console command, the
    menu) from sys.modules, so its code leaves RAM once nothing uses it; the next import loads
    it again from flash. A big heap keeps it."""
    import sys

    if not small_heap() or name not in sys.modules:
        return
    del sys.modules[name]
    package, _, leaf = name.rpartition(".")
    parent = sys.modules.get(package)
    if parent is not None and hasattr(parent, leaf):
        delattr(parent, leaf)
