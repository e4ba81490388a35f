// An emulated Raspberry Pi Pico (rp2040js) for uamp's tests and benchmarks.
//
//   node tools/rp2emu/pico.mjs --bootrom B1.bin --uf2 micropython.uf2 --syms micropython.syms \
//        --flash-image fs.img [--fs-offset 0xA0000] --profile board.json
//
// It is driven by one JSON object per line on stdin and answers one JSON object per line on
// stdout (tools/rp2emu/harness.py is the client). What it adds to rp2040js, and why:
// - a USB CDC host that answers the firmware's OUT reads only when it has bytes: rp2040js's own
//   answers every empty read at once, an interrupt about every 10 us that inflates the CPU load;
// - PIO stepped in lockstep with the CPU clock (rp2040js runs PIO on host timers and ignores the
//   clock divider), so I2S runs at its real bit clock and the CPU sees real DMA/FIFO timing;
// - flash writes: rp2040js does not emulate flash programming through the SSI, so the SDK's
//   flash_range_erase/flash_range_program are hooked at their entry (addresses from the .syms
//   file) and done on the flash image, then the call returns; filesystem writes persist;
// - CPU load: cycles spent executing vs. asleep in WFI/WFE, and busy cycles by PC (-> symbol);
// - pins and buses of the board profile: PGA2311 SPI words with /CS, I2C transactions (the
//   SSD1306 address is ACKed), and the I2S output decoded from the BCK/WS/SD pins.
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { RP2040, USBCDC, ConsoleLogger, LogLevel } from 'rp2040js';

const FLASH_BASE = 0x10000000;
const SRAM_BASE = 0x20000000;
// PIO runs in batches of up to this many clk_sys cycles (2 us at 125 MHz), each of its
// instructions at its own exact clock: FIFO levels the CPU and DMA see are at most this stale,
// a tenth of one I2S frame, while the emulator stops its CPU loop ~50x less often.
const PIO_BATCH = 256;
// gc_collect() called by the harness returns here (never executed: the run loop catches it)
const COLLECT_RETURN = 0x0000fff0;
// MicroPython's GC (py/gc.c): 16-byte blocks on a 32-bit port, 2 ATB bits each, 0 = free
const GC_BLOCK = 16;
// a run of all-zero frames at least this long counts as a silence gap (a tone never has one)
const SILENT_RUN = 16;

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  return args;
}

// UF2 (Microsoft uf2 spec): 512-byte blocks, magic numbers, target address, 256-byte payloads
function loadUF2(data, flash) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let off = 0; off + 512 <= data.length; off += 512) {
    if (view.getUint32(off, true) !== 0x0a324655 || view.getUint32(off + 4, true) !== 0x9e5d5157)
      throw new Error(`UF2 block at ${off}: bad magic`);
    const address = view.getUint32(off + 12, true);
    const size = view.getUint32(off + 16, true);
    flash.set(data.subarray(off + 32, off + 32 + size), address - FLASH_BASE);
  }
}

function loadSymbols(path) {
  const all = new Map();
  const code = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [addr, kind, name] = line.trim().split(/\s+/);
    if (!name) continue;
    const a = parseInt(addr, 16);
    all.set(name, a);
    if ('TtWw'.includes(kind)) code.push([a & ~1, name]);
  }
  code.sort((x, y) => x[0] - y[0]);
  return { all, codeAddrs: code.map((c) => c[0]), codeNames: code.map((c) => c[1]) };
}

function symbolFor(syms, pc) {
  if (pc >= syms.ramCodeEnd && pc < SRAM_BASE + 0x42000)
    return '[native code on the heap]'; // viper/Thumb code MicroPython placed on the GC heap
  let lo = 0;
  let hi = syms.codeAddrs.length - 1;
  if (hi < 0 || pc < syms.codeAddrs[0]) return `0x${pc.toString(16)}`;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (syms.codeAddrs[mid] <= pc) lo = mid;
    else hi = mid - 1;
  }
  return syms.codeNames[lo];
}

class Pico {
  constructor(opts) {
    this.opts = opts;
    this.syms = loadSymbols(opts.syms);
    // the end of the RAM functions the image copies to SRAM; later SRAM code is the heap's
    this.syms.ramCodeEnd = this.syms.all.get('__data_end__') || SRAM_BASE;
    this.bootrom = new Uint32Array(new Uint8Array(readFileSync(opts.bootrom)).buffer);
    this.firmware = new Uint8Array(readFileSync(opts.uf2));
    this.profile = JSON.parse(readFileSync(opts.profile, 'utf8'));
    this.flash = null; // the persistent flash image, kept across reboots
    this.hooks = {
      erase: this.syms.all.get('flash_range_erase'),
      program: this.syms.all.get('flash_range_program'),
      gcAlloc: this.syms.all.get('gc_alloc'),
      eventWait: this.syms.all.get('mp_event_wait_ms'),
      stdinWait: this.syms.all.get('mp_hal_stdin_rx_chr'), // the REPL waiting for a key
      gcCollect: this.syms.all.get('gc_collect'),
    };
    // m_malloc & co. call gc_alloc: an allocation is put down to whoever called them
    this.mallocs = new Set(
      ['m_malloc', 'm_malloc0', 'm_malloc_maybe', 'm_malloc_with_finaliser', 'm_realloc', 'm_realloc_maybe', 'gc_realloc']
        .map((n) => this.syms.all.get(n))
        .filter((a) => a != null),
    );
    // one table lookup per instruction finds the few PCs hooked above (then compared exactly)
    this.hookMask = new Uint8Array(0x10000);
    for (const a of Object.values(this.hooks).concat([COLLECT_RETURN], [...this.mallocs]))
      if (a != null) this.hookMask[a & 0xffff] = 1;
    this.fixedMask = Uint8Array.from(this.hookMask);
  }

  boot(fsImage) {
    const mcu = new RP2040();
    mcu.logger = new ConsoleLogger(LogLevel.Error);
    mcu.loadBootrom(this.bootrom); // also clears the flash
    if (this.flash) mcu.flash.set(this.flash);
    else {
      loadUF2(this.firmware, mcu.flash);
      if (fsImage) mcu.flash.set(fsImage, this.opts.fsOffset);
    }
    this.flash = mcu.flash; // writes land here from now on
    this.mcu = mcu;
    this.cycles = 0; // all clk_sys cycles since reset
    this.busy = 0; // cycles spent executing (not in WFI/WFE)
    this.windowStart = { cycles: 0, busy: 0, allocs: 0, refused: 0, silentRuns: 0, silentFrames: 0, frames: 0 };
    this.allocs = 0;
    // gc_alloc calls that returned NULL (the heap locked, e.g. a bytecode frame that then goes
    // on the C stack): not allocations, counted apart; found at gc_alloc's return (r0 == 0)
    this.refused = 0;
    this.allocReturns = []; // [{ ret, sp, caller }] of gc_alloc calls not yet returned
    this.collections = 0;
    this.allocCallers = new Map(); // caller symbol -> gc_alloc calls since the window
    this.mallocCaller = 0;
    this.collectWanted = false;
    this.collectSaved = null;
    this.gcArea = null;
    this.profile_ = null;
    this.console = [];
    this.flashWrites = 0;
    // Pins nothing drives read their pull: rp2040js models no pulls, so the harness does. All
    // start high, as the Pico's inputs here all have pull-ups (knob contacts, buttons).
    this.driven = new Map();
    for (const pin of mcu.gpio) pin.rawInputValue = true;
    this.setupUSB();
    this.setupPIO();
    this.setupSPI();
    this.setupI2C();
    mcu.core.PC = FLASH_BASE; // boot2 at the start of flash, as the boot ROM would run it
  }

  // --- USB CDC: the host answers OUT reads only when it has data ---
  setupUSB() {
    const cdc = new USBCDC(this.mcu.usbCtrl);
    this.cdc = cdc;
    this.hostBytes = [];
    this.pendingRead = 0;
    this.connected = false;
    cdc.onDeviceConnected = () => {
      this.connected = true;
    };
    cdc.onSerialData = (buffer) => {
      for (const b of buffer) this.console.push(b);
    };
    const usb = this.mcu.usbCtrl;
    usb.onEndpointRead = (endpoint, size) => {
      if (endpoint !== cdc.outEndpoint) return;
      if (this.hostBytes.length) this.answerRead(size);
      else this.pendingRead = size; // answered when the host has something to say
    };
  }

  answerRead(size) {
    const n = Math.min(size, this.hostBytes.length, 64);
    const buffer = Uint8Array.from(this.hostBytes.splice(0, n));
    this.mcu.usbCtrl.endpointReadDone(this.cdc.outEndpoint, buffer);
  }

  hostSend(bytes) {
    for (const b of bytes) this.hostBytes.push(b);
    if (this.pendingRead && this.hostBytes.length) {
      const size = this.pendingRead;
      this.pendingRead = 0;
      this.answerRead(size);
    }
  }

  // --- PIO in lockstep with clk_sys, and the I2S output decoded from its pins ---
  setupPIO() {
    this.sms = []; // [{sm, pio, due}] for enabled state machines
    for (const pio of this.mcu.pio) {
      pio.run = () => {}; // no host timers: step() below runs it
      pio.stopped = true;
    }
    this.pioDue = Infinity;
    const i2s = this.profile.i2s;
    this.i2s = i2s
      ? { bck: i2s.sck, ws: i2s.ws, sd: i2s.sd, lastBck: 0, lastWs: 0, shift: 0, left: 0, bits: i2s.bits,
          frames: [], frameCount: 0, lastFrameCycle: 0, period: 0, stalls: 0, maxGap: 0, capture: false,
          zeroRun: 0, silentRuns: 0, silentFrames: 0 }
      : null;
  }

  refreshPulls() {
    for (const pin of this.mcu.gpio) {
      if (this.driven.has(pin.index) || pin.outputEnable) continue;
      const level = pin.pullupEnabled || !pin.pulldownEnabled;
      if (pin.rawInputValue !== level) pin.setInputValue(level);
    }
  }

  refreshPIO() {
    const list = [];
    for (const pio of this.mcu.pio)
      for (const sm of pio.machines)
        if (sm.enabled) {
          const old = this.sms.find((s) => s.sm === sm);
          list.push(old || { sm, pio, due: this.cycles });
        }
    this.sms = list;
    this.pioDue = list.length ? Math.min(...list.map((s) => s.due)) : Infinity;
  }

  stepPIO() {
    let next = Infinity;
    for (const s of this.sms) {
      const { sm } = s;
      if (!sm.enabled) continue;
      const div = sm.clockDivInt + sm.clockDivFrac / 256 || 65536;
      while (s.due <= this.cycles) {
        const before = sm.cycles;
        sm.step();
        const spent = sm.cycles - before;
        s.due += (spent > 0 ? spent : 1) * div; // an instruction's delay cycles count too
        this.sampleI2S(s.pio, s.due);
      }
      s.pio.checkChangedPins();
      if (s.due < next) next = s.due;
    }
    this.pioDue = next;
  }

  sampleI2S(pio, when) {
    const c = this.i2s;
    if (!c) return;
    const pins = pio.pinValues;
    const bck = (pins >>> c.bck) & 1;
    if (bck === c.lastBck) return;
    c.lastBck = bck;
    if (!bck) return; // the DAC samples on the rising BCK edge (I2S, Philips format)
    const ws = (pins >>> c.ws) & 1;
    const sd = (pins >>> c.sd) & 1;
    if (ws !== c.lastWs) {
      // I2S: WS changes one BCK before the MSB, so this bit is the previous word's LSB
      const word = ((c.shift << 1) | sd) & ((1 << c.bits) - 1);
      const sample = word >= 1 << (c.bits - 1) ? word - (1 << c.bits) : word;
      c.shift = 0;
      if (c.lastWs === 0) c.left = sample;
      else this.frameDone(c, sample, when);
      c.lastWs = ws;
    } else c.shift = (c.shift << 1) | sd;
  }

  frameDone(c, right, now) {
    if (c.frameCount > 1) {
      const gap = now - c.lastFrameCycle;
      if (!c.period) c.period = gap;
      if (gap > c.period * 1.5) c.stalls++; // the bit clock stopped: the DAC would lose lock
      if (gap > c.maxGap) c.maxGap = gap;
    }
    c.lastFrameCycle = now;
    c.frameCount++;
    // digital silence of SILENT_RUN frames or more: what MicroPython's I2S plays on underrun
    if (c.left === 0 && right === 0) c.zeroRun++;
    else {
      if (c.zeroRun >= SILENT_RUN) {
        c.silentRuns++;
        c.silentFrames += c.zeroRun;
      }
      c.zeroRun = 0;
    }
    if (c.capture) c.frames.push(c.left, right);
  }

  // --- SPI: PGA2311 words, framed by its /CS pin ---
  setupSPI() {
    this.spiWords = [];
    const spiCfg = this.profile.spi;
    if (!spiCfg) return;
    const vol = this.profile.volume || {};
    const spi = this.mcu.spi[spiCfg.id];
    this.csPin = vol.bus === 'spi' ? vol.cs : null;
    this.spiBits = [];
    spi.onTransmit = (value) => {
      const cs = this.csPin == null ? 0 : this.mcu.gpio[this.csPin].outputValue ? 1 : 0;
      if (!cs) this.spiBits.push({ value, bits: spi.dataBits });
      spi.completeTransmit(0);
    };
    if (this.csPin != null)
      this.mcu.gpio[this.csPin].addListener(() => {
        const high = this.mcu.gpio[this.csPin].outputValue;
        if (high && this.spiBits.length) {
          this.spiWords.push({ t_us: this.micros(), frames: this.spiBits.map((f) => [f.value, f.bits]) });
        }
        if (!high) this.spiBits = [];
      });
  }

  // --- I2C: every transaction recorded; the display's address ACKs ---
  setupI2C() {
    this.i2cLog = [];
    const i2cCfg = this.profile.i2c;
    if (!i2cCfg) return;
    const i2c = this.mcu.i2c[i2cCfg.id];
    const answering = new Set();
    for (const part of [this.profile.display, this.profile.dac, this.profile.volume])
      if (part && part.bus === 'i2c' && part.addr != null) answering.add(part.addr);
    let current = null;
    i2c.onStart = () => i2c.completeStart();
    i2c.onConnect = (address, mode) => {
      const ack = answering.has(address);
      current = { addr: address, read: mode === 1, ack, data: [] };
      this.i2cLog.push(current);
      i2c.completeConnect(ack);
    };
    i2c.onWriteByte = (value) => {
      if (current) current.data.push(value);
      i2c.completeWrite(true);
    };
    i2c.onReadByte = () => i2c.completeRead(0x00); // SSD1306 status: display on, not busy
    i2c.onStop = () => {
      current = null;
      i2c.completeStop();
    };
  }

  micros() {
    return Math.floor(this.mcu.clock.nanos / 1000);
  }

  // --- flash hooks: do the SDK's erase/program on the image, then return to the caller ---
  hookFlash(pc) {
    const core = this.mcu.core;
    const r = core.registers;
    if (pc === this.hooks.erase) {
      this.flash.fill(0xff, r[0], r[0] + r[1]);
    } else {
      for (let i = 0; i < r[2]; i++) this.flash[r[0] + i] &= this.mcu.readUint8(r[1] + i);
    }
    this.flashWrites++;
    core.PC = core.LR & ~1;
  }

  // A hooked PC is about to run; true when the hook moved the PC (run the loop again).
  hook(pc) {
    const h = this.hooks;
    if (pc === h.erase || pc === h.program) {
      this.hookFlash(pc);
      return true;
    }
    if (pc === COLLECT_RETURN && this.collectSaved) {
      const core = this.mcu.core;
      const saved = this.collectSaved;
      for (const r of [0, 1, 2, 3, 12, 14, 15]) core.registers[r] = saved.regs[r];
      core.N = saved.N;
      core.Z = saved.Z;
      core.C = saved.C;
      core.V = saved.V;
      this.collectSaved = null;
      this.collections++;
      // (gc_alloc's entry again: counted once already, see allocReturns below)
      return true;
    }
    const returns = this.allocReturns;
    const top = returns.length ? returns[returns.length - 1] : null;
    if (top && pc === top.ret && this.mcu.core.registers[13] === top.sp) {
      // gc_alloc returns: NULL is no allocation (heap locked, or full before m_malloc raises)
      returns.pop();
      if (!returns.some((r) => (r.ret & 0xffff) === (pc & 0xffff)))
        this.hookMask[pc & 0xffff] = this.fixedMask[pc & 0xffff];
      if (this.mcu.core.registers[0] === 0) {
        this.allocs--;
        this.refused++;
        this.allocCallers.set(top.caller, (this.allocCallers.get(top.caller) || 0) - 1);
        const key = top.caller + ' (refused)';
        this.allocCallers.set(key, (this.allocCallers.get(key) || 0) + 1);
      }
    }
    if (this.mallocs.has(pc)) this.mallocCaller = this.mcu.core.LR & ~1;
    if (pc === h.gcAlloc) {
      const lr = this.mcu.core.LR & ~1;
      const sp = this.mcu.core.registers[13];
      // the entry again after an injected collect (COLLECT_RETURN) is the same call
      if (!(top && top.ret === lr && top.sp === sp)) {
        this.allocs++;
        const inMalloc = symbolFor(this.syms, lr);
        const caller = /^(m_malloc|m_realloc|gc_realloc)/.test(inMalloc) ? symbolFor(this.syms, this.mallocCaller) : inMalloc;
        this.allocCallers.set(caller, (this.allocCallers.get(caller) || 0) + 1);
        returns.push({ ret: lr, sp, caller });
        this.hookMask[lr & 0xffff] = 1;
      }
    }
    const safe = pc === h.gcAlloc || pc === h.eventWait || pc === h.stdinWait;
    // thread mode only (IPSR 0): never inside an interrupt handler
    if (safe && this.collectWanted && !this.collectSaved && this.mcu.core.IPSR === 0) {
      // a safe point of the main thread (gc_alloc itself collects here when the heap is full;
      // the others are waits): call gc_collect(), then go on as if nothing happened
      const core = this.mcu.core;
      this.collectSaved = { regs: Uint32Array.from(core.registers), N: core.N, Z: core.Z, C: core.C, V: core.V };
      this.collectWanted = false;
      core.LR = COLLECT_RETURN | 1;
      core.PC = h.gcCollect;
      return true;
    }
    return false;
  }

  // The GC heap as MicroPython's gc_info() sees it, read from RAM: free bytes and the largest
  // free block. The area (ATB start, length, finaliser table, pool start, end) sits in
  // mp_state_ctx.mem; it is found by its first pointer, the linker's __GcHeapStart.
  heapInfo() {
    const m = this.mcu;
    const word = (a) => m.sramView.getUint32(a - SRAM_BASE, true);
    if (!this.gcArea) {
      const base = this.syms.all.get('mp_state_ctx');
      const start = this.syms.all.get('__GcHeapStart');
      for (let a = base; a < base + 0x1000 && !this.gcArea; a += 4) {
        if (word(a) !== start) continue;
        const len = word(a + 4);
        for (const poolAt of [a + 8, a + 12]) {
          const pool = word(poolAt);
          const poolEnd = word(poolAt + 4);
          if (poolEnd > pool && pool > start && (poolEnd - pool) / GC_BLOCK === len * 4)
            this.gcArea = { atb: start, len, pool, poolEnd };
        }
      }
      if (!this.gcArea) throw new Error('GC heap area not found in mp_state_ctx');
    }
    const { atb, len, pool, poolEnd } = this.gcArea;
    let free = 0;
    let run = 0;
    let largest = 0;
    let objects = 0;
    for (let i = 0; i < len; i++) {
      const byte = m.sram[atb - SRAM_BASE + i];
      for (let k = 0; k < 4; k++) {
        const state = (byte >> (2 * k)) & 3;
        if (state === 0) {
          free++;
          run++;
          if (run > largest) largest = run;
        } else {
          run = 0;
          if (state === 1) objects++;
        }
      }
    }
    return { pool_bytes: poolEnd - pool, free: free * GC_BLOCK, largest_free: largest * GC_BLOCK, objects };
  }

  // Run for `cycles` clk_sys cycles (or until stop() says so).
  run(cycles, stop) {
    const mcu = this.mcu;
    const core = mcu.core;
    const regs = core.registers;
    const clock = mcu.clock;
    const hookMask = this.hookMask;
    const end = this.cycles + cycles;
    let checkAt = this.cycles + 125000;
    while (this.cycles < end) {
      const ns = 1e9 / mcu.clkSys;
      if (core.waiting) {
        // asleep in WFI/WFE: jump to the next timer alarm or PIO step, whichever comes first
        let skip = clock.nextAlarm ? Math.ceil(clock.nanosToNextAlarm / ns) : end - this.cycles;
        if (skip <= 0) skip = 1;
        const pioIn = this.pioDue + PIO_BATCH - this.cycles;
        if (pioIn < skip) skip = Math.max(1, Math.ceil(pioIn));
        if (end - this.cycles < skip) skip = end - this.cycles;
        clock.tick(skip * ns);
        this.cycles += skip;
      } else {
        // awake: a tight loop up to the next PIO step, ms check or the end
        const limit = Math.min(this.pioDue + PIO_BATCH, checkAt, end);
        const prof = this.profile_;
        let cyc = this.cycles;
        let busy = 0;
        while (cyc < limit && !core.waiting) {
          const pc = regs[15];
          if (hookMask[pc & 0xffff] === 1 && this.hook(pc)) continue;
          const n = core.executeInstruction();
          const target = clock.nanosCounter + n * ns;
          const alarm = clock.nextAlarm;
          if (alarm !== null && alarm.nanos <= target) clock.tick(n * ns);
          else clock.nanosCounter = target;
          cyc += n;
          busy += n;
          if (prof !== null) {
            const k = pc >= SRAM_BASE ? pc - SRAM_BASE + 0x200000 : pc - FLASH_BASE;
            if (k >= 0 && k < prof.length) prof[k] += n;
          }
        }
        this.cycles = cyc;
        this.busy += busy;
      }
      if (this.pioDue + PIO_BATCH <= this.cycles) this.stepPIO();
      if (this.cycles >= checkAt) {
        checkAt = this.cycles + 125000; // every ms: PIO enables, stop conditions
        this.refreshPIO();
        this.refreshPulls();
        if (stop && stop()) return true;
      }
    }
    this.refreshPIO();
    return false;
  }

  consoleText() {
    const text = Buffer.from(this.console).toString('latin1');
    this.console = [];
    return text;
  }
}

// ---- the command loop ----
// stdout carries the replies only: anything else rp2040js says goes to stderr
console.log = console.info = console.debug = console.warn = (...a) => console.error(...a);
const args = parseArgs(process.argv.slice(2));
const pico = new Pico({
  bootrom: args.bootrom,
  uf2: args.uf2,
  syms: args.syms,
  profile: args.profile,
  fsOffset: parseInt(args['fs-offset'] || '0xA0000', 16),
});
pico.boot(args['flash-image'] ? new Uint8Array(readFileSync(args['flash-image'])) : null);
const ms = (n) => Math.round((n * pico.mcu.clkSys) / 1000);

function stats() {
  const w = pico.windowStart;
  const cycles = pico.cycles - w.cycles;
  const c = pico.i2s;
  return {
    t_us: pico.micros(),
    cycles,
    busy: pico.busy - w.busy,
    cpu: cycles ? (pico.busy - w.busy) / cycles : 0,
    allocs: pico.allocs - w.allocs,
    refused: pico.refused - w.refused,
    clk_sys: pico.mcu.clkSys,
    flash_writes: pico.flashWrites,
    usb_connected: pico.connected,
    i2s: c && {
      frames: c.frameCount - w.frames,
      stalls: c.stalls, // since boot: the bit clock stopped for over 1.5 frames
      max_gap_cycles: c.maxGap,
      period_cycles: c.period,
      silent_runs: c.silentRuns - w.silentRuns, // in the window: runs of >= SILENT_RUN zero frames
      silent_frames: c.silentFrames - w.silentFrames,
    },
  };
}

function handle(cmd) {
  switch (cmd.cmd) {
    case 'run': {
      const t0 = Date.now();
      let stop = null;
      let seen = '';
      if (cmd.until) {
        stop = () => {
          seen += pico.consoleText();
          return seen.includes(cmd.until);
        };
      }
      const hit = pico.run(ms(cmd.ms), stop);
      return { out: seen + pico.consoleText(), hit, wall_ms: Date.now() - t0, ...stats() };
    }
    case 'send':
      pico.hostSend(Buffer.from(cmd.data, 'latin1'));
      return {};
    case 'pin': {
      // drive an input from outside: 0/1, or null to let it float (the pull decides)
      const pin = pico.mcu.gpio[cmd.gpio];
      if (cmd.value == null) pico.driven.delete(cmd.gpio);
      else {
        pico.driven.set(cmd.gpio, cmd.value);
        pin.setInputValue(!!cmd.value);
      }
      pico.refreshPulls();
      return {};
    }
    case 'pins':
      return { out: pico.mcu.gpio.map((p) => (p.outputEnable ? (p.outputValue ? 1 : 0) : null)) };
    case 'window': // start a measuring window: CPU load, gc_alloc calls
      pico.windowStart = {
        cycles: pico.cycles,
        busy: pico.busy,
        allocs: pico.allocs,
        refused: pico.refused,
        silentRuns: pico.i2s ? pico.i2s.silentRuns : 0,
        silentFrames: pico.i2s ? pico.i2s.silentFrames : 0,
        frames: pico.i2s ? pico.i2s.frameCount : 0,
      };
      pico.allocCallers = new Map();
      if (cmd.profile) pico.profile_ = new Float64Array(0x200000 + 0x42000);
      return {};
    case 'profile': {
      const p = pico.profile_;
      if (!p) return { symbols: [] };
      const bySym = new Map();
      for (let k = 0; k < p.length; k++)
        if (p[k]) {
          const pc = k >= 0x200000 ? k - 0x200000 + SRAM_BASE : k + FLASH_BASE;
          const s = symbolFor(pico.syms, pc);
          bySym.set(s, (bySym.get(s) || 0) + p[k]);
        }
      const rows = [...bySym.entries()].sort((a, b) => b[1] - a[1]).slice(0, cmd.top || 20);
      return { symbols: rows };
    }
    case 'alloc_callers': // who called gc_alloc since the window (through m_malloc & co.)
      return { callers: [...pico.allocCallers.entries()].filter((e) => e[1] > 0).sort((a, b) => b[1] - a[1]).slice(0, cmd.top || 10) };
    case 'spi': {
      const words = pico.spiWords;
      pico.spiWords = [];
      return { words };
    }
    case 'i2c': {
      const log = pico.i2cLog;
      pico.i2cLog = [];
      return { transactions: log };
    }
    case 'capture': // I2S frames from now on, or written to a WAV and cleared
      if (cmd.start) {
        pico.i2s.frames = [];
        pico.i2s.capture = true;
        return {};
      }
      {
        const frames = Int16Array.from(pico.i2s.frames);
        pico.i2s.capture = false;
        pico.i2s.frames = [];
        writeFileSync(cmd.path, wav(frames, pico.profile.i2s.rate));
        return { frames: frames.length / 2 };
      }
    case 'flash': // the filesystem region, for littlefs on the host
      writeFileSync(cmd.path, pico.flash.subarray(pico.opts.fsOffset));
      return {};
    case 'reboot': // power cycle: RAM and peripherals fresh, flash kept
      pico.boot(null);
      return {};
    case 'stats':
      return stats();
    case 'heap': {
      // collect at the next safe point (within cmd.ms), then read the heap
      const before = pico.collections;
      pico.collectWanted = true;
      const t0 = pico.cycles;
      while (pico.collections === before && pico.cycles - t0 < ms(cmd.ms ?? 200)) pico.run(ms(1));
      pico.collectWanted = false;
      return { collected: pico.collections > before, ...pico.heapInfo(), out: pico.consoleText() };
    }
    case 'quit':
      process.exit(0);
  }
  throw new Error(`unknown command ${cmd.cmd}`);
}

function wav(frames, rate) {
  const data = Buffer.from(frames.buffer);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 4, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let reply;
  try {
    reply = { ok: true, ...handle(JSON.parse(line)) };
  } catch (e) {
    reply = { ok: false, error: String(e && e.stack ? e.stack : e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
