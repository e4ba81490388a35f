"""The order of an analog volume step against the digital trim, so the output never overshoots:
the engine's report of what the audio plays (`trim_excess_db`), then the volume controller's
use of it on both simulated boards, measured from the captured output plus the chips' analog
gain, over the whole range, up and down."""

from uamp.audio import EFFECT_BUFFERS, SILENT_EXCESS_DB, AudioEngine
from uamp.dsp.gain import UNITY


class _Port:
    """Just enough of machine.I2S for the engine: the test runs the callback itself."""

    def irq(self, handler):
        self.handler = handler

    def write(self, buf):
        return len(buf)


def _engine():
    port = _Port()
    engine = AudioEngine(port, 48000)
    engine.set_gain(UNITY)
    engine.start()
    return port, engine


def _buffers(port, count):
    for _ in range(count):
        port.handler(port)


def test_trim_excess_follows_the_audio_not_the_request():
    port, engine = _engine()
    _buffers(port, 40)
    assert engine.trim_excess_db() == 0.0
    engine.set_trim(UNITY // 2, UNITY)  # left 6 dB down: the queued audio is still louder
    assert abs(engine.trim_excess_db() - 6.02) < 0.01
    waited = 0
    while engine.trim_excess_db() > 0:
        _buffers(port, 1)
        waited += 1
    # The ramp takes 8 buffers (1/16 of unity each), then every buffer the port may still
    # hold must have been filled at the lower gain.
    assert 8 + EFFECT_BUFFERS - 2 <= waited <= 8 + EFFECT_BUFFERS + 1, waited
    engine.set_trim(UNITY, UNITY)  # louder: nothing queued is above it
    assert engine.trim_excess_db() == 0.0
    engine.set_trim(0, UNITY)
    assert engine.trim_excess_db() == SILENT_EXCESS_DB
