"""Zero-data detect of the PCM510xA/PCM512x DACs, fed by the I2S data the board plays.

SLAS859C 9.3.2.3 / SLAS763C 8.3.2.3 "Zero Data Detect": when the input is zero for a number of
LRCK periods (1024 by default: 21 ms at 48 kHz) the DAC sets its analog mute; by default
both channels must be zero. Leaving the mute is not ramped: the output follows the first
non-zero sample at once (TI E2E answer on the PCM5102A; the datasheets do not describe a
ramp there), which is the click this model makes visible.

The detector listens to `World.i2s_listeners` like the PGA2311 model. It may run inside the
firmware's audio callback with the heap locked: plain loops, small ints, preallocated lists.
"""

MAX_EVENTS = 64


class ZeroDataDetect:
    """Per channel: the run of zero samples and whether the analog mute is set. The owner
    keeps `thresholds` (frames per channel), `enabled` (per channel) and `both` (mute only
    when both channels are zero) in step with its registers. `audible()` says whether the
    output would be heard now (not soft-muted, not in standby): a release while it is not
    is no click and is not recorded."""

    def __init__(self, world, port_id, audible, threshold=1024):
        self.world = world
        self.port_id = port_id
        self.audible = audible
        self.thresholds = [threshold, threshold]
        self.enabled = [True, True]
        self.both = True
        self.runs = [0, 0]
        self.muted = [False, False]
        self.engaged = 0  # times the analog mute was set
        self._first = [-1, -1]  # first non-zero frame per channel in the buffer heard
        # Each audible release: the time (ms) and the first non-zero sample in 16-bit LSB
        # (1/32768 of full scale), in preallocated lists.
        self.release_ms = [0] * MAX_EVENTS
        self.release_level = [0] * MAX_EVENTS
        self.releases = 0
        world.i2s_listeners.append(self._heard)

    def release_levels(self):
        """[(time ms, first sample in 16-bit LSB)] of the audible releases recorded."""
        n = min(self.releases, MAX_EVENTS)
        return [(self.release_ms[i], self.release_level[i]) for i in range(n)]

    def _heard(self, port, data, start, end):
        if port.port_id != self.port_id or end <= start:
            return
        width = port.bits // 8
        step = port.frame_bytes
        frames = (end - start) // step
        first = self._first
        ch = 0
        while ch < 2:
            begin = start + (ch * width if step > width else 0)
            first[ch] = -1
            last = -1 if data is None else _last_nonzero(data, begin, frames, step, width)
            if last < 0:
                self.runs[ch] += frames
            else:
                self.runs[ch] = frames - 1 - last
                first[ch] = _first_nonzero(data, begin, frames, step, width)
            ch += 1
        if self.both:
            # Both channels zero, and both enabled (SLAS763C Table 5 and its note).
            mute = self.enabled[0] and self.enabled[1]
            mute = mute and self.runs[0] >= self.thresholds[0]
            mute = mute and self.runs[1] >= self.thresholds[1]
            if self.muted[0] and (first[0] >= 0 or first[1] >= 0):
                self._release(data, start, step, width)
            if mute and not self.muted[0]:
                self.engaged += 1
            self.muted[0] = self.muted[1] = mute
            return
        ch = 0
        while ch < 2:
            mute = self.enabled[ch] and self.runs[ch] >= self.thresholds[ch]
            if self.muted[ch] and first[ch] >= 0:
                self._release(data, start, step, width)
            if mute and not self.muted[ch]:
                self.engaged += 1
            self.muted[ch] = mute
            ch += 1

    def _release(self, data, start, step, width):
        if not self.audible():
            return
        level = 0
        ch = 0
        while ch < 2:
            if self._first[ch] >= 0:
                at = start + (ch * width if step > width else 0) + self._first[ch] * step
                sample = _sample(data, at, width)
                if sample < 0:
                    sample = -sample
                sample >>= 8 * width - 16  # in 16-bit LSB
                if sample > level:
                    level = sample
            ch += 1
        if self.releases < MAX_EVENTS:
            self.release_ms[self.releases] = self.world.clock.now_us // 1000
            self.release_level[self.releases] = level
        self.releases += 1


def _nonzero(data, at, width):
    k = 0
    while k < width:
        if data[at + k]:
            return True
        k += 1
    return False


def _last_nonzero(data, begin, frames, step, width):
    """Index (frames from begin) of the last non-zero sample, -1 if all are zero. Scans from
    the end: a playing signal stops at once, only silence costs the whole buffer."""
    i = frames - 1
    while i >= 0:
        if _nonzero(data, begin + i * step, width):
            return i
        i -= 1
    return -1


def _first_nonzero(data, begin, frames, step, width):
    i = 0
    while i < frames:
        if _nonzero(data, begin + i * step, width):
            return i
        i += 1
    return -1


def _sample(data, at, width):
    value = 0
    k = width - 1
    while k >= 0:
        value = (value << 8) | data[at + k]
        k -= 1
    if value >= 1 << (8 * width - 1):
        value -= 1 << (8 * width)
    return value
