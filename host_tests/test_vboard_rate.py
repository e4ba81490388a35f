"""The virtual board's real-time runner (sim/realtime.py) across a sample-rate change: each 1 ms
step plays the port's current rate, and the WAV keeps its header's rate and the true duration."""

from array import array

from panel_rig import profile

from sim import machine, realtime, simboard

WAV_PATH = "/tmp/uamp_test_vboard_rate.wav"


class _Time:
    """Stands in for the wall clock: these tests step the hardware themselves."""

    @staticmethod
    def ticks_ms():
        return 0

    @staticmethod
    def ticks_diff(a, b):
        return a - b


def _hardware():
    board_profile = profile()
    wall_clock = realtime.time
    realtime.time = _Time  # CPython has no time.ticks_ms; the steps here ignore the wall clock
    try:
        hw = realtime.Hardware(board_profile, machine, simboard.attach_chips, 0)
    finally:
        realtime.time = wall_clock
    return hw, board_profile


def _open(board_profile, rate):
    cfg = board_profile["i2s"]
    return machine.I2S(
        cfg["id"],
        sck=machine.Pin(cfg["sck"]),
        ws=machine.Pin(cfg["ws"]),
        sd=machine.Pin(cfg["sd"]),
        mode=machine.I2S.TX,
        bits=16,
        format=machine.I2S.STEREO,
        rate=rate,
        ibuf=cfg["ibuf"],
    )


def _steps(hw, ms):
    for _ in range(ms):
        hw.step_ms()


def _played_after_reopen(old_rate, new_rate):
    hw, board_profile = _hardware()
    old = _open(board_profile, old_rate)
    _steps(hw, 1000)
    assert old.frames_played == old_rate
    old.deinit()
    new = _open(board_profile, new_rate)  # what app.set_sample_rate does: same port id, new rate
    _steps(hw, 1)
    first_ms = new.frames_played
    _steps(hw, 999)
    return first_ms, new.frames_played


def test_a_port_reopened_at_a_higher_rate_plays_its_rate_from_the_first_ms():
    # The old runner played rate * now - (old rate) * now: 3.9 k frames in one ms after 1 s.
    assert _played_after_reopen(44100, 48000) == (48, 48000)


def test_a_port_reopened_at_a_lower_rate_plays_its_rate_from_the_first_ms():
    first_ms, second = _played_after_reopen(48000, 44100)
    assert first_ms in (44, 45) and second == 44100


def _frames(count):
    samples = array("h", bytes(4 * count))
    for i in range(count):
        samples[2 * i] = i & 0x7FFF
        samples[2 * i + 1] = -(i & 0x7FFF)
    return bytes(samples)


def _wav_file():
    with open(WAV_PATH, "rb") as f:
        data = f.read()
    header = array("I", data[24:28])[0], array("I", data[40:44])[0]
    return header, array("h", data[44:])


def test_the_wav_keeps_its_rate_and_true_duration_across_a_rate_change():
    hw, board_profile = _hardware()
    wav = realtime.WavWriter(WAV_PATH, board_profile["i2s"]["rate"], False)
    audio = realtime.Audio(wav)
    hw.on_audio = audio.take
    assert wav.rate == 48000
    port = _open(board_profile, 48000)
    port.write(_frames(4800))
    _steps(hw, 100)
    port.deinit()
    port = _open(board_profile, 44100)
    port.write(_frames(8820))
    _steps(hw, 200)
    wav.flush()
    (rate, data_bytes), samples = _wav_file()
    assert rate == 48000
    assert data_bytes == len(samples) * 2 == 4 * (4800 + 9600)  # 0.3 s of audio stays 0.3 s
    for j in range(9600):  # nearest earlier frame of the 44.1 kHz stream
        i = (j * 44100 // 48000) & 0x7FFF
        assert samples[2 * (4800 + j)] == i and samples[2 * (4800 + j) + 1] == -i
    assert len(audio.notes) == 1 and "44100" in audio.notes[0] and "48000" in audio.notes[0]
    port.deinit()
    port = _open(board_profile, 48000)
    port.write(_frames(480))
    _steps(hw, 10)
    wav.flush()
    wav.file.close()
    _, samples = _wav_file()
    assert samples[2 * (4800 + 9600) :] == _frames_array(480)  # at the file's rate: as played
    assert "back" in audio.notes[1]


def _frames_array(count):
    return array("h", _frames(count))
