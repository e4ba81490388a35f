# uamp: everything runs from the project's own virtual environment, created on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MICROPYTHON := $(VENV)/bin/micropython -X heapsize=64M
STAMP := $(VENV)/.installed
BOARD ?= pico-pcm5102a-pga2311

.PHONY: help venv rp2emu test test-cpython test-micropython test-mpy test-rp2 typecheck lint sim vboard deploy bench bench-board bench-rp2 clean

help:
	@echo "make test                      all checks: CPython, MicroPython unix port, mpy-cross, emulated Pico, pyright, ruff"
	@echo "  make test-cpython | test-micropython | test-mpy | test-rp2 | typecheck | lint    one step of make test"
	@echo "make sim [BOARD=profile]       the front panel of a virtual board (SIM_ARGS=--demo: scripted)"
	@echo "make vboard [BOARD=profile] [LINK=path]       a virtual board on a pty, until Ctrl-C"
	@echo "make deploy BOARD=profile PORT=/dev/ttyACM0   flash a real board (or a vboard LINK) with mpremote"
	@echo "make bench                     DSP speed: bytecode vs viper vs C, armv6m cycles/frame"
	@echo "make bench-board PORT=/dev/ttyACM0            time the DSP kernels on the board"
	@echo "make bench-rp2                 boot time, heap, gc_alloc per buffer, CPU share on the emulated Pico"
	@echo "make venv                      create .venv from requirements.txt (the others do it first)"
	@echo "make rp2emu                    install the emulated Pico's node packages (test-rp2 does it first)"
	@echo "make clean                     remove build/ (virtual boards' flash, sim.wav) and caches"
	@echo "profiles (BOARD=): $(notdir $(basename $(wildcard boards/*.json)))"

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(STAMP)

# The emulated Pico's node packages (tools/rp2emu/package-lock.json pins rp2040js).
RP2EMU := tools/rp2emu/node_modules/.installed
$(RP2EMU): tools/rp2emu/package.json tools/rp2emu/package-lock.json
	cd tools/rp2emu && npm ci --no-audit --no-fund --loglevel=error
	touch $@

rp2emu: $(RP2EMU)

# pyright (pinned by tools/typecheck/package-lock.json) and the MicroPython stubs of each port
# (pinned in tools/typecheck/stubs-*.txt), each port's in its own folder: they hold the same
# module names (machine, micropython, ...) with different contents.
TYPECHECK := tools/typecheck
PYRIGHT := $(TYPECHECK)/node_modules/.installed
STUBS := build/typecheck/.installed
$(PYRIGHT): $(TYPECHECK)/package.json $(TYPECHECK)/package-lock.json
	cd $(TYPECHECK) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(STUBS): $(STAMP) $(TYPECHECK)/stubs-rp2.txt $(TYPECHECK)/stubs-esp32.txt
	for port in rp2 esp32; do rm -rf build/typecheck/$$port && \
	  $(PY) -m pip install --quiet --disable-pip-version-check --no-deps \
	    --target build/typecheck/$$port -r $(TYPECHECK)/stubs-$$port.txt || exit 1; done
	touch $@

# Each step is its own command with its own exit code; make stops at the first failure.
test: test-cpython test-micropython test-mpy test-rp2 typecheck lint

test-cpython: $(STAMP)
	$(PY) -m pytest host_tests --ignore=host_tests/rp2

test-micropython: $(STAMP)
	$(MICROPYTHON) host_tests/mp_run.py

test-mpy: $(STAMP)
	$(PY) tools/mpy_build.py

# The deploy layout on MicroPython's own rp2 port, on an emulated Pico (tools/rp2emu).
test-rp2: $(STAMP) $(RP2EMU)
	$(PY) -m pytest host_tests/rp2

# the firmware against each port's stubs: zero errors (viper pointers: tools/typecheck/typings)
typecheck: $(PYRIGHT) $(STUBS)
	$(TYPECHECK)/node_modules/.bin/pyright -p $(TYPECHECK)/rp2.json
	$(TYPECHECK)/node_modules/.bin/pyright -p $(TYPECHECK)/esp32.json

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# --- virtual board, front panel, deploy (tools/vboard.py, tools/sim.py, tools/deploy.py) ---
LINK ?= build/vboard/tty
SIM_ARGS ?=

sim: $(STAMP)
	$(PY) tools/sim.py --board $(BOARD) $(SIM_ARGS)

vboard: $(STAMP)
	$(PY) tools/vboard.py --board $(BOARD) --link $(LINK)

deploy: $(STAMP)
	@test -n "$(PORT)" || (echo "usage: make deploy BOARD=<profile> PORT=<serial device>"; exit 2)
	$(PY) tools/deploy.py --board $(BOARD) --port $(PORT)

# DSP benchmark: prints a table (frames/s, viper/C, RP2040 cycles/frame); not a pass/fail test.
bench: $(STAMP)
	$(PY) tools/bench.py

BENCH_ARGS ?=
bench-rp2: $(STAMP) $(RP2EMU)
	$(PY) tools/rp2emu/bench.py $(BENCH_ARGS)

bench-board: $(STAMP)
	@test -n "$(PORT)" || (echo "usage: make bench-board PORT=<serial device>"; exit 2)
	$(PY) tools/bench_board.py --port $(PORT)

clean:
	rm -rf build .pytest_cache .ruff_cache
