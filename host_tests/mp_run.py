"""Runs the shared test suite (host_tests/test_*.py) under the MicroPython unix port.

pytest runs the same files on CPython. Tests are plain functions with assert; a test module may
set SKIP_ON_MICROPYTHON = "reason" at top level. Usage: micropython host_tests/mp_run.py [name...]
Prints one line per failure with its traceback and ends with 'N passed, N failed'.
"""

import os
import sys

import simenv

simenv.install()


def discover(names):
    files = sorted(
        f for f in os.listdir(simenv.HERE) if f.startswith("test_") and f.endswith(".py")
    )
    modules = [f[:-3] for f in files]
    if names:
        modules = [m for m in modules if m in names or m[5:] in names]
    return modules


def skip_reason(module_name):
    """The module's SKIP_ON_MICROPYTHON text, read from its source before importing it: a
    skipped module may import what MicroPython lacks (numpy, hypothesis)."""
    with open(simenv.HERE + "/" + module_name + ".py") as f:
        for line in f:
            if line.startswith("SKIP_ON_MICROPYTHON"):
                return line.split("=", 1)[1].strip().strip("\"'")
    return None


def main():
    passed = failed = skipped = 0
    for module_name in discover(sys.argv[1:]):
        reason = skip_reason(module_name)
        if reason:
            print("skip %s: %s" % (module_name, reason))
            skipped += 1
            continue
        module = __import__(module_name)
        for name in sorted(dir(module)):
            test = getattr(module, name)
            if not name.startswith("test_") or not callable(test):
                continue
            try:
                test()
            except Exception as e:  # noqa: BLE001 - report every failure, keep going
                failed += 1
                print("FAIL %s.%s" % (module_name, name))
                sys.print_exception(e)
            else:
                passed += 1
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed else 0


sys.exit(main())
