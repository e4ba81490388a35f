"""What a first-time user met in the host tools (QA pass): the front panel's keys, its console
pane, the virtual board's --link, analyze.py on a bad capture, and `make help`."""

SKIP_ON_MICROPYTHON = "drives curses, subprocesses and numpy from CPython"

import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import wave  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import panel_view  # noqa: E402
import vboard  # noqa: E402
from test_vboard_sim import Terminal  # noqa: E402


def test_sim_ctrl_c_reaches_the_board_and_ctrl_q_quits():
    # curses' cbreak mode left ISIG and IXON on: Ctrl-C killed the whole sim with SIGINT and
    # Ctrl-Q was swallowed as XON, so the documented keys did nothing useful
    term = Terminal()
    try:
        term.wait_for("uamp ready")
        os.write(term.fd, b"\x03")
        term.wait_for(">>>")  # the firmware stopped; the board's friendly REPL answers
        os.write(term.fd, b"\x11")  # Ctrl-Q
    finally:
        status = term.close()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert b"sim: stopped cleanly" in term.tail


def test_console_pane_wraps_long_lines_instead_of_cutting_them():
    view = panel_view.PanelView("pico-pcm5102a-pga2311", {"volume": {"type": "pga2311"}})
    answer = '{"volume_db": -30.0, ' + ", ".join('"k%d": %d' % (i, i) for i in range(30)) + "}"
    view.console.feed("> status --json\r\n" + answer + "\r\n> ")
    width = 60
    lines = view.render(width, 60)
    assert all(len(line) <= width for line in lines)
    shown = "".join(line for line in lines if not line.startswith("─"))
    assert answer in shown  # every character of the answer is on screen


def test_vboard_link_never_replaces_a_real_file(tmp_path):
    precious = tmp_path / "notes.txt"
    precious.write_text("mine")
    board = vboard.VirtualBoard(flash=tmp_path / "flash", link=precious)
    try:
        board.start()
        raise AssertionError("a regular file was accepted as --link")
    except ValueError as e:
        assert "not a symlink" in str(e)
    assert precious.read_text() == "mine"


def test_vboard_stop_leaves_a_link_another_board_now_owns(tmp_path):
    link = tmp_path / "tty"
    first = vboard.VirtualBoard(flash=tmp_path / "a", link=link).start()
    second = vboard.VirtualBoard(flash=tmp_path / "b", link=link).start()
    try:
        first.stop()  # e.g. an old `make vboard` ended after a new one took the same LINK
        assert link.is_symlink() and os.readlink(link) == second.tty
    finally:
        first.stop()
        second.stop()
    assert not link.is_symlink()


def analyze(*args):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "analyze.py"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stdout + result.stderr


def test_analyze_thd_says_what_is_wrong_with_a_capture(tmp_path):
    code, out = analyze("thd", tmp_path / "missing.wav")
    assert code == 2 and "Traceback" not in out and "cannot read" in out
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    code, out = analyze("thd", text)
    assert code == 2 and "Traceback" not in out and "RIFF" in out
    silent = tmp_path / "muted.wav"  # what build/sim.wav holds after a muted session
    with wave.open(str(silent), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(bytes(4 * 48000))
    code, out = analyze("thd", silent)
    assert code == 1 and "no signal" in out and "nan" not in out


def test_make_help_lists_every_target():
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split()
    out = subprocess.run(
        ["make", "--no-print-directory", "-s", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    missing = [t for t in phony if t != "help" and not re.search(r"\b%s\b" % t, out)]
    assert not missing, "make help does not mention: %s" % missing
    for board in (ROOT / "boards").glob("*.json"):
        assert board.stem in out


def test_deploy_of_a_profile_the_board_does_not_have_fails_at_once(tmp_path):
    # main.py answers a silent chip with one "uamp not started:" line and the REPL; deploy used
    # to wait out its 20 s for a ready line that could not come, then blame the timeout
    import mpy_build
    from test_deploy import make_deploy

    flash, link = tmp_path / "flash", tmp_path / "tty"
    assert not mpy_build.build("x64", tmp_path / "mpy")
    shutil.copytree(tmp_path / "mpy" / "x64" / "uamp", flash / "uamp")  # hashes match: no copy
    # deploy now refuses another board's profile up front (test_deploy.py); a board that does
    # not say what it simulates stands in for a real one whose DAC is missing or miswired
    (flash / "boot.py").write_text("import sys\ndel sys.modules['_vboard']\n")
    with vboard.VirtualBoard(board="pico-pcm5102a-pga2311", flash=flash, link=link):
        code, out = make_deploy("esp32-pcm5122-tpa6130a2", link)  # its DAC is not on this board
    assert code != 0 and "deploy: the firmware failed to start" in out
    assert "uamp not started: dac pcm5122 does not answer" in out and "within 20 s" not in out


def test_recommend_names_the_profiles_for_a_mistyped_board():
    import recommend

    try:
        recommend.main(["--board", "pico-pcm5102a", "--ohm", "32", "--sens", "100"])
        raise AssertionError("a missing profile was accepted")
    except SystemExit as e:
        message = str(e.code)
    assert "cannot read" in message and "pico-pcm5102a-pga2311" in message.splitlines()[-1]


def test_an_80x24_terminal_still_shows_the_console_and_the_prompt():
    # the full layout needs 100 x 37: in the default terminal size the console, the key help
    # and the line being typed were all below the bottom edge, so people typed blind
    profile = json.loads((ROOT / "boards" / "pico-pcm5102a-pga2311.json").read_text())
    view = panel_view.PanelView("pico-pcm5102a-pga2311", profile)
    view.update(
        json.dumps({"gain_db": [-30.0, -30.0], "amp": 1, "dac_muted": 0, "peaks": [9000, 9000]})
    )
    view.console.feed("> status\r\nvol -30.0 dB (max 0.0)  mute off\r\n> ")
    view.typed = "vol -2"
    lines = view.render(80, 24)
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert "vol -30.0 dB (max 0.0)" in text and lines[-1] == "> vol -2"
    assert "PGA2311 L -30.0 dB" in text and "F10" in text
    facts = next(i for i, line in enumerate(lines) if line.startswith("PGA2311"))
    assert facts >= 16  # every OLED row (64 pixels / 4) is still above the facts


def test_analyze_thd_measures_the_steady_part_of_a_capture_with_a_fade_in(tmp_path):
    from sim.simboard import SimBoard

    board = SimBoard().boot()  # power-up: a fade-in of about 0.6 s to the power-on level
    board.run_ms(2600)
    capture = tmp_path / "capture.wav"
    with wave.open(str(capture), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(bytes(board.i2s.capture[: board.i2s.captured]))
    code, out = analyze("thd", capture)
    # before: the first 10 % skipped, the fade counted as distortion (-11.8 dB on this capture)
    assert code == 0, out
    figure = float(re.search(r"THD\+N (-?[0-9.]+) dB", out).group(1))
    assert figure < -80, out
    assert "the level changes in the first" in out and "measuring the steady part" in out
    # --skip: the user's own start; a level change after it is warned about
    code, out = analyze("thd", capture, "--skip", "0.2")
    assert code == 0 and "warning: the level changes by" in out, out
    code, out = analyze("thd", capture, "--skip", "1.5")
    assert code == 0 and "warning" not in out and "changes" not in out, out


def test_eq_response_png_reads_plainly():
    import argparse

    import matplotlib.pyplot as plt

    sys.path.insert(0, str(ROOT / "tools"))
    import analyze as tool

    args = argparse.Namespace(
        settings=None, preset="warm", band=None, bass=6.0, crossfeed=2, rate=48000
    )
    fig, worst, _ = tool.response_figure(args)
    ax = fig.axes[0]
    assert [round(t) for t in ax.get_xticks()] == [20, 100, 1000, 10000]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["20", "100", "1k", "10k"]
    title = ax.get_title()
    assert "preset 'warm'" in title and "bass +6 dB" in title and "crossfeed level 2" in title
    assert ax.get_xlabel() == "frequency (Hz)" and ax.get_ylabel() == "level (dB)"
    labels = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    for jargon in ("RBJ", "kernel", "coefficients", "pre-gain"):
        assert jargon not in labels + title
    assert worst < 0.01
    plt.close(fig)
    args = argparse.Namespace(
        settings=None, preset=None, band=None, bass=0, crossfeed=0, rate=48000
    )
    fig, _, _ = tool.response_figure(args)
    assert fig.axes[0].get_title().startswith("uamp EQ: EQ flat, no bass boost\n")
    plt.close(fig)


def test_make_vboard_says_when_firmware_arrives_on_an_empty_flash(tmp_path):
    # its "no firmware on its flash yet" note stayed the last word after a deploy
    flash = tmp_path / "flash"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "vboard.py"), "--flash", str(flash)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "no firmware on its flash yet" in line:
                break
        vboard.install_source(flash, "pico-pcm5102a-pga2311")  # what make deploy copies
        for line in proc.stdout:
            lines.append(line)
            if "firmware on its flash now" in line:
                break
        assert "firmware on its flash now" in lines[-1], lines
    finally:
        proc.terminate()
        proc.wait(10)


def _pico_view():
    profile = json.loads((ROOT / "boards" / "pico-pcm5102a-pga2311.json").read_text())
    view = panel_view.PanelView("pico-pcm5102a-pga2311", profile)
    view.update(json.dumps({"gain_db": [-30.0, -30.0], "amp": 1, "dac_muted": 0}))
    return view


def test_sim_key_help_names_each_f_key_after_its_button():
    text = "\n".join(_pico_view().render(120, 40))
    # F1 is the profile's first button, `push` (the menu), not mute
    assert "F1 push  F2 mute" in text and "F5 F6" in text
    assert "Up Down    console history" in text and "PgUp PgDn  console scrollback" in text


def test_sim_notes_are_marked_as_the_panels_own():
    view = _pico_view()
    view.console.feed("vol -30.0 dB\r\n")
    view.note = "knob +1"
    lines = view.render(120, 40)
    assert lines[-2] == panel_view.NOTE_MARK + "knob +1"
    assert not any(line.startswith(panel_view.NOTE_MARK) for line in lines[:-2])
    import termshot  # the screenshot draws the notes in their own colour, by the same mark

    assert termshot.NOTE_MARK == panel_view.NOTE_MARK


def test_sim_console_scrolls_back_and_returns():
    view = _pico_view()
    view.console.feed("".join("line %d\r\n" % i for i in range(200)))
    rows = lambda: [ln for ln in view.render(120, 40) if ln.startswith("line ")]  # noqa: E731
    assert rows()[-1] == "line 199"
    view.scroll(+1)
    back = rows()
    assert back[-1] != "line 199" and "scrolled back" in "\n".join(view.render(120, 40))
    view.feed("line 200\r\n")  # new output does not move a pane that is scrolled back
    assert rows() == back
    for _ in range(100):
        view.scroll(+1)
    assert rows()[0] == "line 0"  # the top of the scrollback, no further
    for _ in range(100):
        view.scroll(-1)
    assert view.back == 0 and rows()[-1] == "line 200"


def test_sim_history_walks_back_and_forward():
    history = panel_view.History()
    for line in ("status", "vol -20", "vol -20", ""):
        history.add(line)
    assert history.lines == ["status", "vol -20"]  # no repeats, no empty lines
    assert history.up("half typ") == "vol -20"
    assert history.up("vol -20") == "status"
    assert history.up("status") == "status"  # the oldest stays
    assert history.down("status") == "vol -20"
    assert history.down("vol -20") == "half typ"  # back to what was being typed
    assert history.down("half typ") == "half typ"


def test_sim_up_arrow_recalls_the_last_line_and_leaves_the_knob_alone():
    term = Terminal()
    try:
        term.wait_for("PGA2311   L  -30.0 dB")
        os.write(term.fd, b"version\r")
        term.wait_for("uamp 0.1.0")
        os.write(term.fd, b"\x1b[A")  # Up: before, it turned the knob up a detent
        term.wait_for("> version")
        term.read(1.0)
        assert "PGA2311   L  -30.0 dB" in "\n".join(term.screen.display)
        os.write(term.fd, b"\x1b[21~")  # F10
    finally:
        status = term.close()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_lowercase_g_is_not_a_9():
    # docs/sim-panel.png (termshot.py draws the firmware's 5x7 font): "gain" read as "9ain"
    from uamp.ui import font

    def rows_lit(ch):
        base = (ord(ch) - font.FIRST) * font.WIDTH
        columns = font.DATA[base : base + font.WIDTH]
        return [y for y in range(font.HEIGHT) if any(c >> y & 1 for c in columns)]

    assert rows_lit("g")[0] == rows_lit("a")[0] == 2  # starts at x-height, as a lowercase does
    assert rows_lit("9")[0] == 0  # a digit starts at the top
    assert rows_lit("g") != rows_lit("9")


def test_each_sim_run_records_to_its_own_file_and_old_runs_are_pruned(tmp_path):
    # build/sim.wav was overwritten by every run
    import importlib.util
    import time

    # tools/sim.py by its path: `sim` is the simulator package on the tests' path
    spec = importlib.util.spec_from_file_location("simtool", ROOT / "tools" / "sim.py")
    simtool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(simtool)

    runs = tmp_path / "sim"
    made = []
    for n in range(simtool.KEEP_RUNS + 2):
        made.append(simtool.new_recording("b", runs))
        os.utime(made[-1], (time.time() + n, time.time() + n))  # runs in order, within a second
    left = sorted(runs.glob("*.wav"))
    # one file per run, even within a second; the newest runs kept
    assert sorted(made[-simtool.KEEP_RUNS :]) == left
    latest = tmp_path / "sim.wav"
    assert latest.is_symlink() and latest.resolve() == made[-1].resolve()
