"""Audio engine: fills one preallocated buffer per I2S callback and queues it for output.

Everything the callback touches is allocated in __init__; the callback itself allocates
nothing (host_tests/test_audio.py proves it under micropython.heap_lock() on the unix port).
"""

from uamp.dsp.gain import UNITY, apply_gain
from uamp.dsp.tone import make_table, phase_step, tone_fill

FRAMES = 256  # frames per buffer: 5.3 ms at 48 kHz
TONE_HZ = 1000
TONE_DBFS = -6.0
# Largest change of the digital gain per buffer (Q15): a full fade takes 32 buffers (~170 ms).
GAIN_STEP = UNITY // 32


class AudioEngine:
    def __init__(self, i2s, rate, frames=FRAMES):
        self.i2s = i2s
        self.frames = frames
        self.buf = bytearray(frames * 4)  # stereo int16
        self.table = make_table(TONE_DBFS)
        self.step = phase_step(TONE_HZ, rate)
        self.phase = 0
        self.gain = 0  # Q15 gain applied to the current buffer; starts silent
        self.target_gain = 0
        self.buffers = 0
        self._callback = self._on_buffer_done  # bound once: binding allocates

    def start(self):
        self.i2s.irq(self._callback)
        self._refill()

    def set_gain(self, gain_q15):
        self.target_gain = max(0, min(UNITY, gain_q15))

    def _on_buffer_done(self, _i2s):
        self._refill()

    def _refill(self):
        self.phase = tone_fill(self.buf, self.frames, self.table, self.phase, self.step)
        gain = self.gain
        target = self.target_gain
        if gain < target:
            gain = min(target, gain + GAIN_STEP)
        elif gain > target:
            gain = max(target, gain - GAIN_STEP)
        self.gain = gain
        apply_gain(self.buf, self.frames * 2, gain)
        self.i2s.write(self.buf)
        self.buffers += 1
