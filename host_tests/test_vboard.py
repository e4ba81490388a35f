"""The virtual board: the REPL protocol as real clients speak it (mpremote, a serial terminal),
the flash folder that persists, soft reboot, stimulus scripts and the WAV recording."""

SKIP_ON_MICROPYTHON = "drives the MicroPython unix port through a pty from CPython"

import json  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from vboard_client import Client  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import vboard  # noqa: E402

MPREMOTE = str(Path(sys.executable).parent / "mpremote")


def mpremote(link, *args):
    result = subprocess.run(
        [MPREMOTE, "connect", str(link), *args], capture_output=True, text=True, timeout=60
    )
    return result.returncode, result.stdout + result.stderr


def test_mpremote_fs_exec_run_and_flash_persists(tmp_path):
    flash, link = tmp_path / "flash", tmp_path / "tty"
    with vboard.VirtualBoard(flash=flash, link=link):
        script = tmp_path / "hello.py"
        script.write_text("import sys\nprint('hello from', sys.platform, 6 * 7)\n")
        assert mpremote(link, "fs", "cp", str(script), ":hello.py")[0] == 0
        code, out = mpremote(link, "fs", "ls")
        assert code == 0 and "hello.py" in out
        assert str(len(script.read_text())) in out  # sizes listed, as littlefs/FAT boards do
        code, out = mpremote(link, "exec", "import hello")
        assert code == 0 and "hello from linux 42" in out
        code, out = mpremote(link, "run", str(script))
        assert code == 0 and "hello from linux 42" in out
        code, out = mpremote(link, "exec", "1/0")  # errors come back as errors (exit code 1)
        assert code == 1 and "ZeroDivisionError" in out
    assert (flash / "hello.py").read_text() == script.read_text()
    with vboard.VirtualBoard(flash=flash, link=link):  # power-cycled: the file is still there
        code, out = mpremote(link, "exec", "print(open('hello.py').read().count('print'))")
        assert code == 0 and out.strip() == "1"


def test_friendly_repl_ctrl_c_and_soft_reboot(tmp_path):
    flash, link = tmp_path / "flash", tmp_path / "tty"
    flash.mkdir()
    (flash / "boot.py").write_text("print('boot.py ran')\n")
    (flash / "main.py").write_text("print('main.py ran')\nwhile True:\n    pass\n")
    with vboard.VirtualBoard(flash=flash, link=link):
        term = Client(link)
        try:
            term.expect("main.py ran\r\n")
            out = term.interrupt()  # interrupt main.py, like a board
            assert "KeyboardInterrupt" in out and "MicroPython v" in out
            term.write("6 * 7\r")
            assert term.expect(">>> ").endswith("42\r\n>>> ")
            term.write("for i in range(2):\r")
            term.expect("... ")
            term.write("print('line', i)\r\r")
            out = term.expect(">>> ")
            assert "line 0\r\nline 1\r\n" in out
            term.write("x = 5\r")
            term.expect(">>> ")
            term.write("\x04")  # soft reboot: fresh interpreter, boot.py then main.py
            out = term.expect("main.py ran\r\n")
            assert "MPY: soft reboot\r\n" in out and "boot.py ran" in out
            term.interrupt()
            term.write("x\r")
            assert "NameError" in term.expect(">>> ")  # nothing survived the reboot
        finally:
            term.close()


def test_raw_repl_and_raw_paste(tmp_path):
    link = tmp_path / "tty"
    with vboard.VirtualBoard(flash=tmp_path / "flash", link=link):
        term = Client(link)
        try:
            term.write("\r\x03\x01")
            term.expect("raw REPL; CTRL-B to exit\r\n>")
            term.write("print(1 + 1)\x04")  # plain raw REPL: OK, output, \x04, error, \x04
            assert term.expect("\x04>") == "OK2\r\n\x04\x04>"
            term.write("\x05A\x01")
            term.expect("R\x01")
            window = struct.unpack("<H", term.read_exact(2))[0]
            assert window > 0
            term.write("raise ValueError('nope')\x04")  # raw paste: under one window
            out = term.expect("\x04>")
            assert out.startswith("\x04") and "ValueError: nope" in out
            term.write("\x02")
            term.expect(">>> ")
        finally:
            term.close()


def wait_for_panel(panels, text, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in "".join(panels[-3:]):
            return
        time.sleep(0.05)
    raise AssertionError("the panel never showed %s; last: %s" % (text, panels[-1:]))


def test_knob_stimulus_and_wav(tmp_path):
    flash, link, wav = tmp_path / "flash", tmp_path / "tty", tmp_path / "out.wav"
    vboard.install_source(flash, "pico-pcm5102a-pga2311")
    script = tmp_path / "events.txt"
    script.write_text(
        "# a free GPIO driven high from outside, then a line typed\n"
        "100 pin 26 1\n"
        "200 serial version\\r\n"
    )
    panels = []
    board = vboard.VirtualBoard(
        flash=flash, link=link, stimulus=script, wav=wav, on_panel=panels.append
    )
    with board:
        term = Client(link)
        try:
            term.expect("uamp ready: ")
            term.expect("uamp 0.1.0")  # the stimulus typed `version`
            # Knob turns during the power-up sequence are dropped by design: wait for -30 dB.
            wait_for_panel(panels, '"gain_db": [-30.0')
            board.control("turn 4 60")  # four slow detents (240 ms apart) of 0.5 dB each
            wait_for_panel(panels, '"gain_db": [-28.0')
            term.write("vol\r")
            term.expect("vol -28.0 dB")  # the firmware counted the detents
            term.interrupt()  # to the REPL: the pin the stimulus drove reads high
            term.write("import machine; machine.Pin(26, machine.Pin.IN).value()\r")
            assert term.expect(">>> ").endswith("\r\n1\r\n>>> ")
        finally:
            term.close()
    data = wav.read_bytes()
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt "
    channels, rate = struct.unpack("<HI", data[22:28])
    assert (channels, rate) == (2, 48000)
    size = struct.unpack("<I", data[40:44])[0]
    assert 0 < size <= len(data) - 44
    samples = struct.unpack("<%dh" % (size // 2), data[44 : 44 + size])
    assert max(samples) > 10000  # the test tone plays once the power-up sequence unmutes
    states = [json.loads(p) for p in panels]
    gains = [s["gain_db"][0] for s in states if "gain_db" in s]
    assert gains[0] is None  # muted at power-up
    assert -28.0 in gains  # then ramped to the power-on level plus 4 detents
    assert any(s["amp"] == 1 and s["dac_muted"] is False for s in states)
    assert any("oled" in s and int(s["oled"]["ram"], 16) and s["oled"]["on"] for s in states)


def test_stimulus_grammar_and_clear_errors(tmp_path):
    events = vboard.realtime_parse(
        "# a comment\n900 turn -6 5   # fast\n500 turn 3\n2500 serial vol -20\\r  # typed\n"
        "1500 hold mute 800\n2000 pin 20 float\n4000 stop\n"
    )
    assert [at for at, _ in events] == [500, 900, 1500, 2000, 2500, 4000]
    assert events[1][1] == ["turn", "-6 5"] and events[4][1] == ["serial", "vol -20\\r"]
    for bad, says in (
        ("100 twist 3", "event must be one of"),
        ("x turn 3", "time must be whole ms"),
        ("100 turn three", "usage: <ms> turn DETENTS"),
        ("100 hold mute", "usage: <ms> hold BUTTON MS"),
        ("100 pin 20 high", "usage: <ms> pin GPIO"),
        ("100 stop now", "usage: <ms> stop"),
    ):
        script = tmp_path / "bad.txt"
        script.write_text("0 turn 1\n" + bad + "\n")
        try:
            vboard.VirtualBoard(flash=tmp_path / "f", stimulus=script)
        except ValueError as e:
            assert "line 2" in str(e) and says in str(e), (bad, str(e))
        else:
            raise AssertionError("accepted: " + bad)


def test_stop_event_ends_the_run(tmp_path):
    script = tmp_path / "stop.txt"
    script.write_text("300 stop\n")
    board = vboard.VirtualBoard(flash=tmp_path / "flash", stimulus=script)
    with board:
        assert board.stopped.wait(15)


def test_the_board_says_when_its_mcu_stops_answering(tmp_path):
    # A hung MCU (seen once after a second deploy: the raw REPL never came, zero bytes back)
    # used to look like a board that ignores its port. SIGSTOP freezes the MCU process the way
    # a deadlock does; the supervisor must say so, and say when it comes back.
    import os
    import signal

    logs = []
    with vboard.VirtualBoard(flash=tmp_path / "flash", log=logs.append) as board:
        term = Client(board.tty)
        try:
            term.write("\r")
            term.expect(">>> ")  # an empty flash: the bare REPL, answering
            os.kill(board.child.pid, signal.SIGSTOP)
            deadline = time.monotonic() + vboard.SILENT_S + 10
            while not any("has not answered" in line for line in logs):
                assert time.monotonic() < deadline, logs
                time.sleep(0.1)
            os.kill(board.child.pid, signal.SIGCONT)
            deadline = time.monotonic() + 10
            while not any("answers again" in line for line in logs):
                assert time.monotonic() < deadline, logs
                time.sleep(0.1)
            term.write("1+1\r")
            term.expect("2\r\n>>> ")
        finally:
            term.close()
    said = [line for line in logs if "has not answered" in line]
    assert len(said) == 1 and f"process {board.child.pid}" in said[0], logs


def test_no_imports_in_the_virtual_boards_hot_path():
    # An import of a built-in module inside a function searches the board's flash first, every
    # call: the per-millisecond `from array import array` in Audio.take cost the MCU 99 % of its
    # time on a loaded host (measured with the panel's hw_pct; 4-21 % without it).
    import ast

    source = (ROOT / "host_tests" / "sim" / "realtime.py").read_text()
    hot = {
        "Hardware": ("advance", "_advance", "step_ms", "panel_state"),
        "Audio": ("take", "at_wav_rate", "take_peaks"),
        "WavWriter": ("write", "flush", "_header"),
        "Board": ("service", "_service", "_interrupt", "tell", "read_char"),
        "Budget": ("allow", "spent"),
    }
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name in hot:
            for func in node.body:
                if isinstance(func, ast.FunctionDef) and func.name in hot[node.name]:
                    found.append(func.name)
                    for inner in ast.walk(func):
                        assert not isinstance(inner, (ast.Import, ast.ImportFrom)), (
                            "%s.%s imports at every call" % (node.name, func.name)
                        )
    assert len(found) == sum(len(v) for v in hot.values()), found


def test_a_bounded_wav_keeps_the_last_seconds_in_order(tmp_path):
    # build/sim.wav grew without bound: a session of an hour is 690 MB
    wav = tmp_path / "out.wav"
    vboard.install_source(tmp_path / "flash", "pico-pcm5102a-pga2311")
    board = vboard.VirtualBoard(flash=tmp_path / "flash", wav=wav, wav_seconds=1.0)
    with board:
        deadline = time.monotonic() + 60
        while not vboard.prev_of(wav).exists():  # the first second is full: a second part
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.5)
    assert not vboard.prev_of(wav).exists()
    import wave

    with wave.open(str(wav)) as w:
        assert w.getframerate() == 48000 and w.getnchannels() == 2
        assert w.getnframes() == 48000  # exactly the last second


def test_join_wav_puts_the_parts_in_time_order(tmp_path):
    def part(path, values):
        frames = b"".join(struct.pack("<hh", v, v) for v in values)
        header = (
            b"RIFF"
            + struct.pack("<I", 36 + len(frames))
            + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 2, 10, 40, 4, 16)
            + b"data"
            + struct.pack("<I", 0)  # a header that lags its data, as while recording
        )
        path.write_bytes(header + frames)

    wav = tmp_path / "x.wav"
    part(vboard.prev_of(wav), range(0, 10))
    part(wav, range(10, 14))
    vboard.join_wav(wav, 1.0)  # 10 frames at 10 Hz
    import wave

    with wave.open(str(wav)) as w:
        got = struct.unpack("<%dh" % (2 * w.getnframes()), w.readframes(w.getnframes()))
    assert list(got[0::2]) == list(range(4, 14)) and not vboard.prev_of(wav).exists()
