"""Fuzz the console with hypothesis: no exception escapes, and a line answered with an error
changes nothing. Prints how many inputs it tried."""

SKIP_ON_MICROPYTHON = "hypothesis runs on CPython only"

import json  # noqa: E402

from fake_parts import Rig  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_console import snapshot  # noqa: E402
from test_fuzz_props import repeatable  # noqa: E402

from sim.simboard import SimBoard  # noqa: E402

WORDS = (
    "help status --json vol up down mute on off toggle gain low high bal input tone usb spdif "
    "eq band preset save load harman flat peak lowshelf highshelf bass xfeed hp list use add "
    "del mw v max limit reset version hd600 mine 0 1 2 5 -3 -20 12.5 +6 -0 1000 0.7 300 97 "
    "nan inf 1e3 -1e309 99999999999 0x10 1_0 -- . dB -12dB rate 44100 96000 +3 standby"
).split()
EXAMPLES = 2500  # command lines and keystroke streams each; half as many on the real parts


COMMANDS = (
    "help status vol mute gain bal input eq bass xfeed hp limit rate save reset version".split()
)


def _lines():
    """Mostly a real command with random arguments, sometimes anything at all."""
    word = st.sampled_from(WORDS) | st.text(max_size=12)
    command = st.tuples(st.sampled_from(COMMANDS), st.lists(word, max_size=7))
    return command.map(lambda c: " ".join([c[0]] + c[1])) | st.lists(word, max_size=9).map(
        " ".join
    )


def _streams():
    """Raw keystrokes: printable text with control characters and escape sequences."""
    piece = st.sampled_from(
        ["\r", "\n", "\r\n", "\x08", "\x7f", "\x1b[A", "\x1b[B", "\x1b[", "\x1b", "\x03", "\x15"]
    ) | st.text(max_size=20)
    return st.lists(piece, max_size=12).map("".join)


def _check(rig, text, counts):
    before = snapshot(rig)
    out = rig.send(text)
    counts["inputs"] += 1
    if out.startswith("error:"):
        counts["errors"] += 1
        # Only one line was typed: one error line, and nothing changed.
        assert out.count("\r\n") == 1, (text, out)
        assert snapshot(rig) == before, (text, out)


_FUZZ = repeatable(EXAMPLES)


def test_fuzz_command_lines():
    rig = Rig().boot()
    counts = {"inputs": 0, "errors": 0}

    @_FUZZ
    @given(_lines())
    def run(line):
        _check(rig, line.replace("\r", " ").replace("\n", " ") + "\r", counts)
        rig.app.console.line = ""  # a line with ESC in it leaves an escape pending: start clean
        rig.app.console.escape = 0

    run()
    print("console fuzz: %d command lines, %d refused with one error line, 0 escaped"
          % (counts["inputs"], counts["errors"]))  # fmt: skip
    assert counts["inputs"] >= EXAMPLES and EXAMPLES // 10 < counts["errors"] < counts["inputs"]


def test_fuzz_keystrokes():
    rig = Rig().boot()
    counts = {"inputs": 0}

    @_FUZZ
    @given(_streams())
    def run(text):
        rig.send(text)  # anything may happen, but nothing may escape
        counts["inputs"] += 1
        assert len(rig.app.console.line) <= 80

    run()
    print("console fuzz: %d keystroke streams, 0 escaped" % counts["inputs"])
    assert counts["inputs"] >= EXAMPLES


def test_fuzz_on_the_real_parts():
    """The same command-line fuzz against the real volume controller and engine of today."""
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_ms(400)
    counts = {"inputs": 0, "errors": 0}

    def snap(_rig):
        app = board.app
        s = app.console.commands.status()
        s.pop("uptime")
        s["cap"] = app.volume.max_db
        s["values"] = json.dumps(app.settings.values)
        return s

    @repeatable(EXAMPLES // 2)
    @given(_lines())
    def run(line):
        before = snap(board)
        out = board.send(line.replace("\r", " ").replace("\n", " ") + "\r")
        board.app.console.line = ""
        board.app.console.escape = 0
        counts["inputs"] += 1
        if out.startswith("error:"):
            counts["errors"] += 1
            assert out.count("\r\n") == 1, (line, out)
            assert snap(board) == before, (line, out)

    run()
    print("console fuzz on the real parts: %d command lines, %d refused, 0 escaped"
          % (counts["inputs"], counts["errors"]))  # fmt: skip
    assert counts["inputs"] >= EXAMPLES // 2
