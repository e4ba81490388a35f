"""Audio engine: fills one preallocated buffer per I2S callback and queues it for output.

Everything the callback touches is allocated in __init__; the callback itself allocates
nothing (host_tests/test_audio.py proves it under micropython.heap_lock() on the unix port).
"""

from uamp.dsp.gain import UNITY, apply_gain
from uamp.dsp.tone import make_table, phase_step, tone_fill
from uamp.dsp.trim import apply_trim

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
        # Per-channel trim (volume controller), ramped like the gain; unity until set.
        self.trim_left = UNITY
        self.trim_right = UNITY
        self.target_left = UNITY
        self.target_right = UNITY
        self.buffers = 0
        self._callback = self._on_buffer_done  # bound once: binding allocates

    def start(self):
        self.i2s.irq(self._callback)
        self._refill()

    def set_gain(self, gain_q15):
        self.target_gain = max(0, min(UNITY, gain_q15))

    def set_trim(self, left_q15, right_q15):
        """Per-channel digital gain (Q15, at most unity), ramped per buffer like set_gain."""
        self.target_left = max(0, min(UNITY, left_q15))
        self.target_right = max(0, min(UNITY, right_q15))

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
        left = _ramp(self.trim_left, self.target_left)
        right = _ramp(self.trim_right, self.target_right)
        self.trim_left = left
        self.trim_right = right
        if left != UNITY or right != UNITY:
            apply_trim(self.buf, self.frames, left, right)
        self.i2s.write(self.buf)
        self.buffers += 1


def _ramp(value, target):
    """One buffer's move of a Q15 gain toward its target: at most GAIN_STEP."""
    if value < target:
        return min(target, value + GAIN_STEP)
    return max(target, value - GAIN_STEP)
