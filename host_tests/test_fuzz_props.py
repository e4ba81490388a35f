"""Issue 14 as hypothesis properties (CPython only; test_fuzz_seeded.py runs a seeded fuzzer
of the same ground on both interpreters): any serial bytes leave the console answering, a
line with a character that is not printable ASCII is refused and changes nothing, and any
JSON in any settings field decodes to values that validate cleanly."""

SKIP_ON_MICROPYTHON = "hypothesis runs on CPython only"

import json  # noqa: E402

from fake_parts import Rig  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_fuzz_seeded import BAD, _console_state, _encode, _full_settings, _serial  # noqa: E402

from uamp import settings as uamp_settings  # noqa: E402

EXAMPLES = 300


def repeatable(examples):
    """Hypothesis settings for `examples` examples, the same ones every run (derandomized, no
    database), however slow the machine."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


RUN = repeatable(EXAMPLES)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=20,
)


def test_any_serial_bytes_leave_the_console_answering():
    rig = Rig().boot()
    counts = {"streams": 0}

    @RUN
    @given(st.binary(max_size=60))
    def run(data):
        _serial(rig.app, data.replace(b"\x03", b""))  # Ctrl-C stops the firmware, by design
        start = len(rig.out)
        _serial(rig.app, b"\x15vol -20\r")
        assert "".join(rig.out[start:]).endswith("vol -20.0 dB\r\n"), data
        counts["streams"] += 1

    run()
    print("hypothesis: %d serial byte streams, console answered after each" % counts["streams"])


def test_a_bad_character_anywhere_refuses_the_line():
    rig = Rig().boot()
    counts = {"lines": 0}
    printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)

    @RUN
    @given(printable, st.sampled_from(BAD), st.integers(0, 30))
    def run(line, bad, at):
        line = line[:at] + bad + line[at:]
        before = _console_state(rig.app)
        out = rig.send(line + "\r")
        assert out.startswith("error: character U+%04X" % ord(bad)), (line, out)
        assert _console_state(rig.app) == before, line
        counts["lines"] += 1

    run()
    print("hypothesis: %d lines with a bad character, all refused" % counts["lines"])


def test_any_json_in_any_settings_field_decodes_to_valid_values():
    base = _full_settings()
    counts = {"documents": 0}

    @RUN
    @given(st.dictionaries(st.sampled_from(sorted(base)), JSON, min_size=1, max_size=4))
    def run(changes):
        body = dict(base)
        body.update(changes)
        problems = []
        values = uamp_settings.decode(_encode(body), problems)
        assert values is not None, problems
        again = []
        assert uamp_settings.validate(json.loads(json.dumps(values)), again) == values
        assert again == [], (changes, again)
        counts["documents"] += 1

    run()
    print("hypothesis: %d settings documents, all decoded to valid values" % counts["documents"])
