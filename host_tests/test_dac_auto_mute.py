"""Both DACs mute their analog output by themselves after 1024 zero samples (21 ms at 48 kHz)
and unmute abruptly on the next non-zero sample (PCM5102A SLAS859C 9.3.2.3, PCM5122 SLAS763C
8.3.2.3). Through the real engine and the chip models, fed by the I2S data the board plays:
while the user's volume is unmuted that never happens, at 16 and 32 bits, on both boards; the
only releases are where a fade-in from silence starts, far too quiet to hear."""

import io
import math
import struct

from sim.simboard import SimBoard, profile_path
from uamp import app as app_module
from uamp import profile as profiles

BOARDS = ("pico-pcm5102a-pga2311", "esp32-pcm5122-tpa6130a2")
QUIET_LSB = 32  # a release where the first sample is at most -60 dBFS (16-bit LSB) is silent


def _silence_then_tone(silence_frames, tone_frames, rate=48000):
    """A stereo 16-bit WAV: digital silence, then a -6 dBFS 1 kHz tone that starts at once
    (a track with a silent intro). The engine loops it, so the cut comes again and again."""
    data = bytearray(4 * (silence_frames + tone_frames))
    for i in range(tone_frames):
        value = int(16384 * math.sin(2 * math.pi * 1000 * (i + 1) / rate))
        struct.pack_into("<hh", data, 4 * (silence_frames + i), value, value)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 2, rate, 4 * rate, 4, 16)
    return io.BytesIO(header + b"data" + struct.pack("<I", len(data)) + data)


def _running(name, bits):
    profile = profiles.load(profile_path(name))
    profile["i2s"]["bits"] = bits
    board = SimBoard(name, profiles.validate(profile, "%s, %d-bit" % (name, bits))).boot()
    board.run_until(lambda: board.app.state == app_module.RUNNING, 1000)
    volume = board.app.volume
    board.run_until(lambda: volume.current_db == volume.target_db and not volume.waiting, 5000)
    assert board.dac.gain_db(0) is not None, (name, bits)  # the DAC plays these words
    return board


def test_silence_then_sound_never_meets_the_dacs_auto_mute():
    for name in BOARDS:
        for bits in (16, 32):
            board = _running(name, bits)
            detect = board.dac.zero_detect
            engaged = detect.engaged  # power-up: muted, exact silence, the DAC may mute
            engine = board.app.engine
            engine.open_wav(_silence_then_tone(4800, 4800))  # 100 ms of silence, then sound
            engine.select_input("wav")
            board.run_ms(1000)
            assert detect.engaged == engaged, (name, bits)  # never muted while unmuted
            engine.select_input("silence")  # the silence input too: 300 ms of it
            board.run_ms(300)
            engine.select_input("tone")
            board.run_ms(200)
            assert detect.engaged == engaged, (name, bits)
            loud = [r for r in detect.release_levels() if r[1] > QUIET_LSB]
            assert loud == [], (name, bits, loud)
            worst = max([level for _ms, level in detect.release_levels()] or [0])
            print(
                "%s %d-bit: zero-data mute engaged %d times while unmuted (at power-up %d); "
                "%d releases, loudest first sample %d LSB (16-bit)"
                % (name, bits, detect.engaged - engaged, engaged, detect.releases, worst)
            )


def test_a_user_mute_may_meet_it_but_the_unmute_fades_in_under_it():
    """Muted, the output is exact silence and a PCM5102A sets its analog mute; the user's
    unmute then starts the fade from zero, so the chip's abrupt release is at a level far
    below hearing."""
    for bits in (16, 32):
        board = _running(BOARDS[0], bits)
        detect = board.dac.zero_detect
        board.app.volume.mute(True)
        board.run_ms(600)  # the 300 ms fade, then the trims at zero
        assert detect.muted == [True, True]  # the fixed zero-data mute of the PCM5102A
        releases = detect.releases
        board.app.volume.mute(False)
        board.run_ms(300)
        assert detect.muted == [False, False] and detect.releases == releases + 1, bits
        assert detect.release_levels()[-1][1] <= QUIET_LSB, (bits, detect.release_levels())
