"""Audio engine: source -> EQ (bass + 5 bands) -> crossfeed -> gain -> dither -> I2S.

Each I2S callback writes the buffer filled last time and fills the other one (two output
buffers, written alternately, so the DMA never reads a buffer being filled). The chain works
on one Q23 int32 work buffer. Everything the callback touches is allocated in __init__; the
callback allocates nothing (host_tests/test_audio.py proves it under micropython.heap_lock()).

Every change is click-free: gains ramp per sample (GAIN_STEP per buffer at most), crossfeed
fades its mix, an input switch fades out, swaps and fades in, and an EQ change crossfades each
changed section: the old and the new filter run side by side on the same input for
EQ_RAMP_BUFFERS buffers and their outputs are mixed per sample, one section at a time (so the
RP2040 runs at most one extra section: bounded cost). Settings are validated first and
published to the callback in one reference assignment, so a bad value changes nothing.

Headroom follows the signal (docs/sound-path.md): no fixed pre-gain takes an EQ boost back.
The block after crossfeed waits one buffer in a delay line while its peak is measured, so the
gain ramp of the block before it already ends at a gain under which that peak stays below full
scale (look-ahead limiter: nothing clips, nothing jumps); the gain holds, then returns slowly
(gain.limit_step). A signal that does not reach full scale is never turned down.

On RP2040 the biquad, gain, crossfeed, EQ crossfade and 16-bit output stages run as
hand-written Thumb (uamp/dsp/biquad_m0.py, stages_m0.py): same integer math, about 4x fewer
cycles. With
SECOND_CORE the EQ is also split by channel over both cores (biquad_m0.TwoCores).
"""

import math
from array import array

import micropython

from uamp.dsp import biquad, biquad_m0, crossfeed, eq, output, stages_m0, tone
from uamp.dsp.gain import (
    GAIN_ONE,
    UNITY,
    crossfade,
    delay_peak,
    gain_ramp,
    limit_step,
    limiter_state,
)

# Split the EQ over both RP2040 cores (biquad_m0.TwoCores): models at 899 instead of 1559
# cycles/frame (`make bench`), but it has run only on the emulator and host threads, never on a
# board (lock hand-over cost, core 1 paused by flash writes). Off until someone measures it there.
SECOND_CORE = False
FRAMES = 256  # frames per buffer: 5.3 ms at 48 kHz
TONE_HZ = 1000
TONE_DBFS = -6.0
GAIN_STEP = GAIN_ONE // 16  # largest gain change per buffer: a full fade takes 16 buffers
EQ_RAMP_BUFFERS = 12  # crossfade of one changed section: 64 ms at 48 kHz, as a 12 dB volume ramp
CROSSFEED_STEP = (
    GAIN_ONE // 64
)  # mix change per buffer: level 3 (0.35) fades in 23 buffers, 120 ms
RATES = (44100, 48000, 96000)
SOURCES = ("tone", "sweep", "white", "pink", "silence")
_TONE, _SWEEP, _WHITE, _PINK, _SILENCE, _WAV, _I2S = range(7)
NCOEF = 5 * eq.SLOTS
GHOST = eq.SLOTS  # the extra slot the new filter of a changing section runs in
# Buffers whose gain trim_excess_db() looks back over: the one playing and those queued before
# it in the port (an 8 KiB ibuf holds 8 buffers of 256 16-bit stereo frames), plus the one
# filled next. Costs 8 bytes a buffer.
EFFECT_BUFFERS = 10
SILENT_EXCESS_DB = 200.0  # trim_excess_db() when silence is asked and something still sounds
# The callback runs with the heap locked: on the rp2 port a bytecode call whose frame is over
# 11 words takes it from the GC heap unless the heap is locked (then the C stack): measured on
# the emulated Pico, a fill took 5.6 ms unlocked (a gc_alloc per call on a fragmented heap)
# and 1.0 ms locked. Anything that still allocates raises MemoryError then: the buffer goes
# silent, the fault is counted (status) and the callback goes on unlocked (_fault).
LOCK_HEAP = True
# ... but frames on the C stack need room there: the callback runs wherever the scheduler
# finds the main loop. Measured on the emulated Pico: MicroPython's stack limit is at 8148
# bytes, the locked refill goes up to 3976 bytes below its entry (an EQ crossfade through the
# Thumb cascade), and the entry is 4.5-4.9 KB deep when the main loop idles, 5.9 KB during an
# EQ change's float work. Past the limit a RuntimeError, or worse: locked frames go on the C
# stack unchecked (alloca) and the emulated RP2040 faulted on corrupted memory. So the lock is
# taken only with room for the whole refill; deeper, a buffer runs unlocked (frames from the
# heap, as without the lock): today that is most buffers on the Pico (issue 11: the refill's
# call chain must get shallower, or the main loop's, before the lock can pay off there).
LOCK_STACK_BELOW = 3900


def _nothing():
    pass


def _no_stack_use():
    return 0


# bytes of C stack in use (MicroPython; CPython has no such limit)
_stack_use = getattr(micropython, "stack_use", _no_stack_use)


class AudioEngine:
    def __init__(self, i2s, rate, bits=16, clock=None, frames=FRAMES, rx=None, ring_bytes=0):
        if bits not in (16, 32):
            raise ValueError("output words must be 16 or 32 bits")
        _check_rate(rate)
        self.i2s = i2s
        self.rate = rate
        self.bits = bits
        self.clock = clock
        self.frames = frames
        self.work = array("i", bytes(8 * frames))
        self.outs = (bytearray(frames * bits // 4), bytearray(frames * bits // 4))
        self._out_words = frames * bits // 16  # 32-bit words in one output buffer
        self._ready = 0  # index of the filled buffer the next callback writes
        self.buffers = 0
        self.underruns = 0
        # The driver's ring buffer (ibuf) covers a late callback; later than one buffer plus the
        # ring, and the DMA has played silence: an underrun.
        ring_frames = ring_bytes // (bits // 4)
        self._late_us = (2 * frames + ring_frames) * 1000000 // rate
        self._last_us = None
        # sources
        self.table = tone.make_table(TONE_DBFS)
        self._spare_table = None  # set_tone fills this one and swaps (no new 8 KB table)
        self.phase = 0
        self.step = tone.phase_step(TONE_HZ, rate)
        self._tone_step = self.step  # the tone's step, computed on the control side (an int)
        self.tone_hz = TONE_HZ
        self.sweep = (20, 20000, 10.0)
        self.set_sweep(20, 20000, 10.0)
        self.noise = array("i", [12345, 16384, 0, 0, 0, 0])
        self._wav = None
        self._rx = None if rx is None else _pcm().I2SInput(rx, frames)
        self.inputs = SOURCES + (("i2s",) if rx is not None else ())
        self._source = _TONE
        self.input_name = "tone"
        self._switch_to = -1
        # EQ: coefficients of every slot (+ the ghost), the target, active slots in order
        self.settings = eq.EqSettings(rate)
        self.eq_presets = tuple(sorted(eq.PRESETS))
        self.coefs = array("i", bytes(4 * (NCOEF + 5)))
        self.coef_target = array("i", bytes(4 * NCOEF))
        for slot in range(eq.SLOTS + 1):
            biquad.identity(self.coefs, slot * 5)
        biquad.coef_copy(self.coef_target, self.coefs, NCOEF)
        self.eq_state = array("i", bytes(4 * biquad.STATE_PER * 2 * (eq.SLOTS + 1)))
        self.order = bytearray(eq.SLOTS)
        self.active = 0
        # the section crossfade: the changing slot's input (2 KiB at 256 frames), the parts of
        # the cascade before and after it, the mix position
        self._xbuf = array("i", bytes(8 * frames))
        self._pre = bytearray(eq.SLOTS)
        self._post = bytearray(eq.SLOTS)
        self._n_pre = self._n_post = 0
        self._one = bytearray(1)  # the changing slot
        self._ghost = bytearray([GHOST])
        self._mix = array("i", [0, 0])  # [t (Q24), step per frame]
        # where the mix is at the end of each buffer: an S curve (raised cosine), so the mix
        # starts and ends without a kink
        self._mix_curve = array("i", bytes(4 * (EQ_RAMP_BUFFERS + 1)))
        for k in range(EQ_RAMP_BUFFERS + 1):
            c = math.cos(math.pi * k / EQ_RAMP_BUFFERS)
            self._mix_curve[k] = int(round(GAIN_ONE * (1 - c) / 2))
        self._step_slot = -1  # slot being crossfaded, or -1
        self._step_left = 0
        self._step_old = False  # the slot runs its old filter (it was active)
        self._step_new = False  # the new filter is not the identity
        # (target coefficients, slots that change in order) from the control side; the
        # callback works through it one section at a time
        self._plan: "tuple | None" = None
        self._plan_at = 0
        self._eq_pending = None
        self._tail = array("i", [0, 0, 0, 0])  # last two EQ output frames (L1, R1, L2, R2)
        # On RP2040 the hand-written Thumb section replaces the viper cascade (4x fewer cycles).
        self._thumb = biquad_m0.load()
        self._two_cores = None
        if self._thumb is not None:
            import uctypes

            self._work_address = uctypes.addressof(self.work)
            self._xbuf_address = uctypes.addressof(self._xbuf)
            self._block = array("i", bytes(4 * biquad_m0.BLOCK_WORDS))
            # the right channel's sections on core 1 when _thread can start it (half the time)
            if SECOND_CORE:
                self._two_cores = biquad_m0.two_cores(
                    self._thumb, self._work_address, self.coefs, self.eq_state, self.order
                )
        # crossfeed
        self.crossfeed = 0
        self.xf = crossfeed.new_state(rate)  # with its delay ring: 288 bytes
        self._xf_target = 0
        # gain: trim (Q24 per channel, the volume controller's) times the fade, ramped by at
        # most GAIN_STEP a buffer (_level), never above the limiter's gain (limiter[2])
        self.trim = (GAIN_ONE, GAIN_ONE)  # Q24
        self.fade = 0  # starts silent
        self._level_target = (0, 0)
        self._level = array("i", [0, 0])
        self._gain_target = (0, 0)
        # headroom: the one-buffer delay line (2 KiB at 256 frames) and the limiter's state
        # (gain.limiter_state); eq_boost_db is the EQ's largest boost, for information only
        self._delay = array("i", bytes(8 * frames))
        self.limiter = limiter_state(rate, frames)
        self.eq_boost_db = 0.0
        self.gain_state = array("i", [0, 0, 0, 0])
        self.out_state = array("i", [1, 0, 0, 0, 0, 1 if bits == 16 else 0])
        self.out_state.extend(array("i", stages_m0.OUT_CONSTANTS))  # for the Thumb kernel
        self._gain_seen = array("i", bytes(8 * EFFECT_BUFFERS))  # (left, right) max per buffer
        self._seen_at = 0
        self._thumb_stages()
        # the callback's heap lock (LOCK_HEAP), off after a fault; faults: exceptions the
        # callback caught (it played silence instead), fault: the last one's type name
        self._lock = micropython.heap_lock if LOCK_HEAP else _nothing
        self._unlock = micropython.heap_unlock if LOCK_HEAP else _nothing
        self.faults = 0
        self.fault = None
        self.interrupted = False  # Ctrl-C landed in the callback: the main loop stops (App.tick)
        self._wrote = False  # this callback has handed the port its buffer
        self._callback = self._on_buffer_done  # bound once: binding allocates
        # The callback's methods bound once into the instance: MicroPython looks a method up
        # in the instance's attribute table first, and that table (about 95 names here) grows
        # only when full, so a miss probes most of it, a hardware divide a probe (measured on
        # the emulated Pico: 5150 probes a buffer, 51 % -> 41 % of the core for the audio
        # alone); a hit is found at once (the lookup cache).
        for name in _HOT:
            setattr(self, name, getattr(self, name))

    def _thumb_stages(self):
        """On RP2040, hand-written Thumb gain, crossfeed and 16-bit output (stages_m0.py)."""
        self._gain_m0 = self._int16_m0 = self._xf_m0 = self._cf_m0 = self._dp_m0 = None
        kernels = stages_m0.load()
        if kernels is None:
            return
        import uctypes

        self._gain_m0 = kernels["gain_m0"]
        self._int16_m0 = kernels["to_int16_m0"]
        self._xf_m0 = kernels["crossfeed_m0"]
        self._cf_m0 = kernels["crossfade_m0"]
        self._dp_m0 = kernels["delay_peak_m0"]
        self._delay_addr = uctypes.addressof(self._delay)
        self._limiter_addr = uctypes.addressof(self.limiter)
        self._xbuf_addr = uctypes.addressof(self._xbuf)
        self._mix_addr = uctypes.addressof(self._mix)
        self._xf_addr = uctypes.addressof(self.xf)
        self._work_addr = uctypes.addressof(self.work)
        self._gain_addr = uctypes.addressof(self.gain_state)
        self._out_addr = (uctypes.addressof(self.outs[0]), uctypes.addressof(self.outs[1]))
        self._out_state_addr = uctypes.addressof(self.out_state)

    # --- control side (main loop): validate, then publish ---
    def start(self):
        self.i2s.irq(self._callback)
        self._fill(self._ready)
        self._refill()

    def stop(self):
        """No more buffers (the firmware stops): the port plays out what it has, then silence."""
        self.i2s.irq(None)

    def set_rate(self, rate, i2s):
        """Play at `rate` on `i2s`, a port opened at that rate (the old one closed by the
        caller); for the app's quiet_change, while the output is silent. Everything that
        depends on the rate (tone and sweep steps, EQ and crossfeed coefficients, the
        underrun threshold) is recomputed first; ValueError changes nothing."""
        _check_rate(rate)
        if self._wav is not None or self._rx is not None:
            raise ValueError("a WAV or I2S input plays at its own rate")
        old = self.settings
        settings = eq.EqSettings(rate)
        settings.bands, settings.enabled = old.bands, old.enabled
        settings.bass_db, settings.preset = old.bass_db, old.preset
        coefs, boost_db = settings.compile(settings.designs())
        step = tone.phase_step(self.tone_hz, rate)
        start_hz, end_hz, seconds = self.sweep
        tone.phase_step(end_hz, rate)  # the sweep must still fit under the new Nyquist
        self.rate = rate
        self.settings = settings
        self.step = self._tone_step = step
        self.set_sweep(start_hz, end_hz, seconds)
        if self._source == _SWEEP:
            self.step = self._sweep_step0
        crossfeed.set_rate(self.xf, rate)
        self._late_us = 2 * self.frames * 1000000 // rate
        self._last_us = None
        # The output is silent (quiet_change): the new coefficients go in at once.
        self._plan = self._eq_pending = None
        self._step_slot = -1
        biquad.coef_copy(self.coef_target, coefs, NCOEF)
        biquad.coef_copy(self.coefs, coefs, NCOEF)
        tone.fill_zero(self.eq_state, len(self.eq_state))
        self.active = 0
        for slot in range(eq.SLOTS):
            if not _identity_at(coefs, slot * 5):
                self.order[self.active] = slot
                self.active += 1
        self.eq_boost_db = boost_db
        fresh = limiter_state(rate, self.frames)  # in place: the Thumb kernel has its address
        for i in range(len(fresh)):
            self.limiter[i] = fresh[i]
        tone.fill_zero(self._delay, 2 * self.frames)
        self.i2s = i2s
        self.start()

    def set_gain(self, gain_q15):
        """The engine's own fade gain (Q15, both channels, clamped to 0..unity): the volume
        controller fades with it on mute/unmute; it multiplies the per-channel trim."""
        self.fade = max(0, min(UNITY, int(gain_q15)))
        self._update_gain_target()

    def set_trim(self, left_q15, right_q15):
        for v in (left_q15, right_q15):
            if type(v) is not int or not 0 <= v <= UNITY:
                raise ValueError("trim must be an integer 0..%d (Q15)" % UNITY)
        self.set_trim_q24(left_q15 << 9, right_q15 << 9)

    def set_trim_q24(self, left, right):
        """set_trim with 2**24 as unity: fine enough that a -60 dB trim is within 0.0001 dB
        (Q15 there is 33 steps: 0.26 dB each); the volume controller uses it."""
        for v in (left, right):
            if type(v) is not int or not 0 <= v <= GAIN_ONE:
                raise ValueError("trim must be an integer 0..%d (Q24)" % GAIN_ONE)
        self.trim = (left, right)
        self._update_gain_target()

    def trim_excess_db(self):
        """How far (dB) the loudest gain of the last EFFECT_BUFFERS buffers (those queued in the
        port, the one playing, the one filled next) is above what the last set_trim / set_gain
        asks; 0.0 once a lower trim is all the listener hears. The volume controller raises an
        analog gain only when this is small, so the analog step never meets the old trim."""
        targets = self._gain_target
        seen = self._gain_seen
        worst = 0.0
        for i in range(2 * EFFECT_BUFFERS):
            target = targets[i & 1]
            if seen[i] > target:
                if target == 0:
                    return SILENT_EXCESS_DB
                worst = max(worst, 20 * math.log10(seen[i] / target))
        return worst

    def _update_gain_target(self):
        # fade (Q15) * trim (Q24) >> 15 = Q24 (main loop: big ints are fine); the limiter only
        # ever lowers it
        left, right = self.trim
        self._level_target = ((left * self.fade) >> 15, (right * self.fade) >> 15)
        self._gain_target = self._level_target

    def select_input(self, name):
        if name not in self.inputs:
            raise ValueError("input must be one of: %s" % ", ".join(self.inputs))
        self.input_name = name
        self._switch_to = self.inputs.index(name)

    def set_tone(self, freq_hz, level_dbfs=TONE_DBFS):
        step = tone.phase_step(freq_hz, self.rate)
        # The spare table is filled and swapped in by one assignment (the callback reads
        # whole tables); the old one is the next spare: no new 8 KB block per call (the heap
        # would fragment).
        table = tone.make_table(level_dbfs, self._spare_table)
        self._spare_table = self.table
        self.table = table
        self.tone_hz = freq_hz
        self._tone_step = step
        if self._source == _TONE:
            self.step = step

    def set_sweep(self, start_hz, end_hz, seconds):
        s0 = tone.phase_step(start_hz, self.rate)
        s1 = tone.phase_step(end_hz, self.rate)
        if not 0.1 <= seconds <= 600 or end_hz <= start_hz:
            raise ValueError("sweep needs start < end and 0.1..600 s")
        per_buffer = (end_hz / start_hz) ** (self.frames / (seconds * self.rate)) - 1
        self.sweep = (start_hz, end_hz, seconds)
        self._sweep_step0, self._sweep_step1 = s0, s1
        self._sweep_k = max(1, int(round(per_buffer * 65536)))

    def set_noise_level(self, level_dbfs):
        if type(level_dbfs) not in (int, float) or not -120 <= level_dbfs <= 0:
            raise ValueError("level must be between -120 and 0 dBFS")
        self.noise[1] = int(round(32768 * 10 ** (level_dbfs / 20)))

    def open_wav(self, stream):
        """Make a WAV stream (an open file) the 'wav' input; ValueError if it cannot play."""
        self._wav = _pcm().WavSource(stream, self.rate, self.frames)
        if "wav" not in self.inputs:
            self.inputs = self.inputs + ("wav",)

    # EQ
    def set_eq_band(self, index, kind, freq_hz, gain_db, q):
        if type(index) is not int or not 0 <= index < eq.BANDS:
            raise ValueError("band must be 0..%d" % (eq.BANDS - 1))
        band = eq.EqSettings.check_band(kind, freq_hz, gain_db, q, self.rate)
        bands = list(self.settings.bands)
        bands[index] = band
        self._apply_eq(bands=bands)
        self.settings.preset = None

    def eq_bands(self):
        return list(self.settings.bands)

    @property
    def eq_enabled(self):
        return self.settings.enabled

    @property
    def eq_preset(self):
        return self.settings.preset

    def set_eq_enabled(self, on):
        self._apply_eq(enabled=bool(on))

    def load_eq_preset(self, name):
        if name not in eq.PRESETS:
            raise ValueError("preset must be one of: %s" % ", ".join(self.eq_presets))
        self._apply_eq(bands=list(eq.PRESETS[name]))
        self.settings.preset = name

    @property
    def bass_db(self):
        return self.settings.bass_db

    def set_bass(self, db):
        if type(db) not in (int, float) or not -eq.BASS_MAX_DB <= db <= eq.BASS_MAX_DB:
            raise ValueError("bass must be between -12 and +12 dB")
        self._apply_eq(bass_db=float(db))

    def _apply_eq(self, bands=None, enabled=None, bass_db=None):
        s = self.settings
        designs = s.designs(bands, enabled, bass_db)  # ValueError here leaves s unchanged
        old = s.bands
        old_coefs = self._planned_coefs()
        if bands is not None:
            s.bands = bands
        try:
            coefs, boost_db = s.compile(designs)
        except ValueError:
            s.bands = old
            raise
        if enabled is not None:
            s.enabled = enabled
        if bass_db is not None:
            s.bass_db = bass_db
        self.eq_boost_db = boost_db
        steps = bytes(slot for slot in range(eq.SLOTS) if not _same_slot(old_coefs, coefs, slot))
        self._eq_pending = (coefs, steps)  # one assignment: the callback sees all or nothing

    def _planned_coefs(self):
        """The coefficients the EQ is heading for (the last plan's target)."""
        plan = self._eq_pending or self._plan
        return array("i", plan[0] if plan is not None else self.coef_target)

    def set_crossfeed(self, level):
        if type(level) is not int or not 0 <= level < len(crossfeed.LEVELS):
            raise ValueError("crossfeed level must be 0..%d" % (len(crossfeed.LEVELS) - 1))
        self.crossfeed = level
        self._xf_target = int(round(crossfeed.LEVELS[level] * GAIN_ONE))

    @property
    def clip_count(self):
        return self.out_state[2]

    @property
    def limit_count(self):
        """Buffers in which this block's or the next one's peak would have clipped at the
        volume's gain (a boost or a hot input): the limiter turned them down instead."""
        return self.limiter[4]

    def limit_db(self):
        """How far (dB, 0 or less) the limiter holds the gain below the volume's now."""
        lim = self.limiter[2]
        level = max(self._level[0], self._level[1])
        return 20 * math.log10(lim / level) if 0 < lim < level else 0.0

    def peak_levels(self):
        """(left, right) peaks 0..32767 since the last call, for meters."""
        s = self.out_state
        left, right = min(32767, s[3]), min(32767, s[4])
        s[3] = s[4] = 0
        return left, right

    # --- audio side: the I2S callback and what it runs; allocates nothing ---
    def _on_buffer_done(self, _i2s):
        # Small on purpose: its own frame (under 11 words) is taken before the lock, on the
        # C stack; the guarded refill's larger one is taken with the heap locked.
        if _stack_use() > LOCK_STACK_BELOW:
            self._locked_refill(_nothing)  # no room for frames on the C stack: not locked
            return
        self._lock()
        self._locked_refill(self._unlock)

    def _locked_refill(self, unlock):
        """The refill, with the heap locked by the caller; `unlock` is the unlock matching
        that lock (a fault switches the lock off for the next buffers, not this unlock)."""
        try:
            if self.interrupted:  # silence until the main loop stops the firmware
                self.i2s.write(self.outs[self._ready])
                return
            self._refill()
        except Exception as e:  # noqa: BLE001 - whatever it is, the output must not be garbage
            self._fault(e)
        except KeyboardInterrupt:
            # Ctrl-C raised in a scheduled callback would be printed and dropped by the
            # scheduler (the busier the core, the likelier it lands here): the main loop
            # raises it again (App.tick) and the firmware stops; silence meanwhile.
            self.interrupted = True
            self._silence()
        finally:
            unlock()

    def _fault(self, e):
        """The callback raised (MemoryError under the heap lock, or a bug): silence, not a
        half-filled buffer; counted and kept for status; from now on without the lock."""
        self.faults += 1
        self.fault = type(e).__name__  # a qstr: nothing allocated
        self._lock = self._unlock = _nothing
        self._silence()

    def _silence(self):
        """Both output buffers zeroed (the one the port reads too: silent at once), the gain
        ramps up again from zero; the port gets a buffer if this callback gave it none (it
        calls back only after a write)."""
        tone.fill_zero(self.outs[0], self._out_words)
        tone.fill_zero(self.outs[1], self._out_words)
        self.gain_state[0] = self.gain_state[1] = 0
        self._level[0] = self._level[1] = 0
        if not self._wrote:
            self.i2s.write(self.outs[self._ready])
            self._wrote = True

    def _refill(self):
        self._wrote = False
        if self.clock is not None:
            now = self.clock.ticks_us()
            last = self._last_us
            self._last_us = now
            if last is not None and self.clock.ticks_diff(now, last) > self._late_us:
                # The DMA ran dry and played silence: restart from silence and ramp up.
                self.underruns += 1
                self.gain_state[0] = self.gain_state[1] = 0
                self._level[0] = self._level[1] = 0
                tone.fill_zero(self.outs[self._ready], self._out_words)
        ready = self._ready
        self.i2s.write(self.outs[ready])
        self._wrote = True
        ready ^= 1
        self._ready = ready  # before the fill: a fault in it silences this one (_silence)
        self._fill(ready)
        self.buffers += 1

    def _fill(self, index):
        frames = self.frames
        work = self.work
        gs = self.gain_state
        if self._switch_to >= 0 and gs[0] == 0 and gs[1] == 0:
            self._switch_source()  # faded out: the new source fills this buffer, not the old
        self._run_source(work, frames)
        self._run_eq(work, frames)
        self._run_crossfeed(work, frames)
        # the block just made goes into the delay line, the one before it comes out to play
        if self._dp_m0 is None:
            delay_peak(work, self._delay, 2 * frames, self.limiter)
        else:
            self._dp_m0(self._work_addr, self._delay_addr, 2 * frames, self._limiter_addr)
        limit_step(self.limiter)
        start_left = gs[0]
        start_right = gs[1]
        self._run_gain(work, frames)
        at = self._seen_at  # the ramp is monotonic: its larger end is the buffer's largest gain
        self._gain_seen[at] = start_left if start_left > gs[0] else gs[0]
        self._gain_seen[at + 1] = start_right if start_right > gs[1] else gs[1]
        self._seen_at = (at + 2) % (2 * EFFECT_BUFFERS)
        # Muted = true digital silence; unmuted output is never exact zero (output.py).
        self.out_state[5] = 1 if gs[0] or gs[1] else 0
        if self.bits == 16:
            if self._int16_m0 is None:
                output.to_int16(self.outs[index], work, frames, self.out_state)
            else:
                self._int16_m0(
                    self._out_addr[index], self._work_addr, frames, self._out_state_addr
                )
        else:
            output.to_int32(self.outs[index], work, frames, self.out_state)

    def _run_source(self, work, frames):
        src = self._source
        if src == _TONE:
            self.phase = tone.sine_fill(work, frames, self.table, self.phase, self.step)
        elif src == _SWEEP:
            step = self.step
            self.phase = tone.sine_fill(work, frames, self.table, self.phase, step)
            step += ((step >> 8) * self._sweep_k) >> 8
            self.step = self._sweep_step0 if step > self._sweep_step1 else step
        elif src == _WHITE or src == _PINK:
            tone.noise_fill(work, frames, self.noise)
        elif src == _WAV and self._wav is not None:
            self._wav.fill(work, frames)
        elif src == _I2S and self._rx is not None:
            self._rx.fill(work, frames)
        else:
            tone.fill_zero(work, frames * 2)

    def _switch_source(self):
        name = self.inputs[self._switch_to]
        self._switch_to = -1
        src = SOURCES.index(name) if name in SOURCES else (_WAV if name == "wav" else _I2S)
        if src == _SWEEP:
            self.step = self._sweep_step0
        elif src == _TONE:
            self.step = self._tone_step  # an int from the control side: a float would allocate
        self.noise[2] = 1 if src == _PINK else 0
        if src == _WAV and self._wav is not None:
            self._wav.rewind()
        self._source = src
        # Silent now: the filters forget the old source, so no tail of it fades in with the new.
        tone.fill_zero(self.eq_state, len(self.eq_state))
        tone.fill_zero(self._tail, 4)
        crossfeed.clear(self.xf)
        tone.fill_zero(self._delay, 2 * self.frames)  # the old source's last block
        self.limiter[1] = GAIN_ONE  # its peak: none

    def _run_eq(self, work, frames):
        pending = self._eq_pending
        if pending is not None:
            self._eq_pending = None
            self._plan = pending
            self._plan_at = 0
            biquad.coef_copy(self.coef_target, pending[0], NCOEF)
        if self._step_slot < 0 and self._plan is not None:
            self._next_step()
        if self._step_slot >= 0:
            self._run_step(work, frames)
        elif self.active:
            if self._thumb is None:
                biquad.biquad_run(work, frames, self.coefs, self.eq_state, self.order, self.active)
            elif self._two_cores is not None:
                self._two_cores.run(self._block, frames, self.active)
            else:
                biquad_m0.run_cascade(
                    self._thumb,
                    self._work_address,
                    self._block,
                    frames,
                    self.coefs,
                    self.eq_state,
                    self.order,
                    self.active,
                )
        tail = self._tail
        n = frames * 2
        tail[0] = work[n - 2]  # one assignment each: a 4-tuple would allocate
        tail[1] = work[n - 1]
        tail[2] = work[n - 4]
        tail[3] = work[n - 3]

    def _next_step(self):
        """Start the crossfade of the next slot whose coefficients differ from the target
        (the plan's order first, then any left over from a plan replaced half-way); none
        left: the plan is done."""
        plan = self._plan
        if plan is None:
            return
        steps = plan[1]
        while self._plan_at < len(steps):
            slot = steps[self._plan_at]
            self._plan_at += 1
            if self._differs(slot):
                self._start_step(slot)
                return
        for slot in range(eq.SLOTS):
            if self._differs(slot):
                self._start_step(slot)
                return
        self._plan = None

    def _differs(self, slot):
        c = slot * 5
        for i in range(c, c + 5):
            if self.coefs[i] != self.coef_target[i]:
                return True
        return False

    def _start_step(self, slot):
        coefs = self.coefs
        g = GHOST * 5
        c = slot * 5
        for i in range(5):
            coefs[g + i] = self.coef_target[c + i]
        position = -1
        for i in range(self.active):
            if self.order[i] == slot:
                position = i
        s = self.eq_state
        per = biquad.STATE_PER
        if position >= 0:
            # The new filter starts from the old one's history (same input): its start-up
            # transient is mixed in from zero weight.
            for i in range(2 * per):
                s[GHOST * 2 * per + i] = s[slot * 2 * per + i]
            self._n_pre = position
            self._n_post = self.active - position - 1
        else:
            # A new section joins at the end of the cascade (sections commute) with the
            # history an identity section there would have had: the chain's last outputs.
            tail = self._tail
            for ch in range(2):
                base = (GHOST * 2 + ch) * per
                s[base] = s[base + 2] = tail[ch]
                s[base + 1] = s[base + 3] = tail[2 + ch]
                for i in range(4, per):  # no error-feedback or fraction residual yet
                    s[base + i] = 0
            self._n_pre = self.active
            self._n_post = 0
        for i in range(self._n_pre):
            self._pre[i] = self.order[i]
        for i in range(self._n_post):
            self._post[i] = self.order[position + 1 + i]
        self._one[0] = slot
        self._step_slot = slot
        self._step_old = position >= 0
        self._step_new = not _identity_at(coefs, g)
        self._step_left = EQ_RAMP_BUFFERS
        self._mix[0] = 0

    def _cascade(self, buf_address, buf, frames, order, count):
        if count == 0:
            return
        if self._thumb is None:
            biquad.biquad_run(buf, frames, self.coefs, self.eq_state, order, count)
        else:
            biquad_m0.run_cascade(
                self._thumb,
                buf_address,
                self._block,
                frames,
                self.coefs,
                self.eq_state,
                order,
                count,
            )

    def _run_step(self, work, frames):
        """One buffer of a section crossfade: the cascade before the slot, then the slot's
        old filter on the work buffer and the new one on a copy, mixed, then the rest."""
        thumb = self._thumb is not None
        wa = self._work_address if thumb else 0
        xa = self._xbuf_address if thumb else 0
        self._cascade(wa, work, frames, self._pre, self._n_pre)
        xbuf = self._xbuf
        biquad.coef_copy(xbuf, work, 2 * frames)
        if self._step_old:
            self._cascade(wa, work, frames, self._one, 1)
        if self._step_new:
            self._cascade(xa, xbuf, frames, self._ghost, 1)
        left = self._step_left - 1
        mix = self._mix
        end = self._mix_curve[EQ_RAMP_BUFFERS - left]
        mix[1] = (end - mix[0]) // frames
        mix[0] = end - mix[1] * frames  # lands exactly on `end`: GAIN_ONE is all new
        if self._cf_m0 is None:
            crossfade(work, xbuf, frames, mix)
        else:
            self._cf_m0(self._work_addr, self._xbuf_addr, frames, self._mix_addr)
        self._cascade(wa, work, frames, self._post, self._n_post)
        self._step_left = left
        if left == 0:
            self._finish_step()

    def _finish_step(self):
        """The mix is all new: the slot takes the new filter and its state (exactly what was
        heard), or leaves the cascade when the new filter is the identity."""
        slot = self._step_slot
        self._step_slot = -1
        coefs = self.coefs
        for i in range(5):
            coefs[slot * 5 + i] = coefs[GHOST * 5 + i]
        if not self._step_new:
            for i in range(self._n_post):
                self.order[self._n_pre + i] = self._post[i]
            self.active = self._n_pre + self._n_post
            return
        s = self.eq_state
        per = biquad.STATE_PER
        for i in range(2 * per):
            s[slot * 2 * per + i] = s[GHOST * 2 * per + i]
        if not self._step_old:
            self.order[self.active] = slot
            self.active += 1

    def _run_crossfeed(self, work, frames):
        xf = self.xf
        a = xf[3]
        target = self._xf_target
        if a == 0 and target == 0:
            return
        if a == 0:  # starting: the history left from the last time it was on must not sound
            crossfeed.prime(xf, work[0], work[1])
        step = CROSSFEED_STEP
        end = min(target, a + step) if a < target else max(target, a - step)
        xf[4] = (end - a) // frames
        if self._xf_m0 is None:
            crossfeed.crossfeed_run(work, frames, xf)
        else:
            self._xf_m0(self._work_addr, self._xf_addr, frames)
        xf[3] = end

    def _run_gain(self, work, frames):
        gs = self.gain_state
        level = self._level
        wanted = (0, 0) if self._switch_to >= 0 else self._level_target
        for ch in range(2):
            g = level[ch]
            target = wanted[ch]
            level[ch] = min(target, g + GAIN_STEP) if g < target else max(target, g - GAIN_STEP)
        limiter = self.limiter
        lim = limiter[2]
        if limiter[7] < level[0] or limiter[7] < level[1]:
            limiter[4] += 1  # the signal would have clipped at the volume's gain: counted
        if gs[0] == gs[1] == GAIN_ONE and lim == GAIN_ONE:
            if level[0] == level[1] == GAIN_ONE and wanted[0] == wanted[1] == GAIN_ONE:
                return  # unity: the multiply would be exact anyway
        for ch in range(2):
            g = gs[ch]
            end = level[ch] if level[ch] < lim else lim
            gs[2 + ch] = (end - g) // frames
            gs[ch] = end - gs[2 + ch] * frames  # the ramp lands exactly on `end`
        if self._gain_m0 is None:
            gain_ramp(work, frames, gs)
        else:
            self._gain_m0(self._work_addr, frames, self._gain_addr)
            self._gain_m0(self._work_addr + 4, frames, self._gain_addr + 4)


def _pcm():
    """uamp/dsp/pcm.py (WAV and I2S inputs), loaded only on a board that uses one: every module
    costs heap on the RP2040 (bench-rp2 --heap)."""
    from uamp.dsp import pcm

    return pcm


_HOT = (
    "_locked_refill",
    "_refill",
    "_fill",
    "_run_source",
    "_switch_source",
    "_run_eq",
    "_next_step",
    "_differs",
    "_start_step",
    "_cascade",
    "_run_step",
    "_finish_step",
    "_run_crossfeed",
    "_run_gain",
    "_fault",
    "_silence",
)


def _check_rate(rate):
    if rate not in RATES:
        raise ValueError("rate must be 44100, 48000 or 96000 Hz")


def _same_slot(a, b, slot):
    for i in range(slot * 5, slot * 5 + 5):
        if a[i] != b[i]:
            return False
    return True


def _identity_at(coefs, offset):
    return (
        coefs[offset] == biquad.COEF_ONE
        and coefs[offset + 1] == 0
        and coefs[offset + 2] == 0
        and coefs[offset + 3] == 0
        and coefs[offset + 4] == 0
    )
