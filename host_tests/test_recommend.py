"""tools/recommend.py: the numbers it prints, its gain-mode choice, the class table, the plot."""

SKIP_ON_MICROPYTHON = "host tool: CPython with matplotlib"

import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import recommend  # noqa: E402

from uamp import headphones as hpm  # noqa: E402
from uamp import profile as profiles  # noqa: E402


def _run(*argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert recommend.main(list(argv)) == 0
    return out.getvalue()


def _pico_with_relay():
    profile = recommend.board_profile("pico-pcm5102a-pga2311")
    profile["gain"] = {"high_db": 12, "relay": 8}
    return profiles.validate(profile)


def test_needs_for_a_300_ohm_headphone():
    text = _run("--board", "pico-pcm5102a-pga2311", "--ohm", "300", "--sens", "97")
    # 100 dB from 97 dB/mW: 10^(3/10) = 1.995 mW; into 300 ohm sqrt(0.001995 * 300) = 0.774 V.
    assert "needs 0.774 Vrms, 2.00 mW, 2.6 mA" in text
    # 0.774 V from 2.1 V full scale is a volume of -8.7 dB.
    assert "recommended gain mode 'normal', max volume -9.0 dB" in text


def test_mode_caps_follow_the_volume_controller():
    assert recommend.mode_caps(_pico_with_relay()) == {"low": 0.0, "high": 0.0}  # relay
    esp = recommend.board_profile("esp32-pcm5122-tpa6130a2")
    assert recommend.mode_caps(esp) == {"normal": 0.0}
    esp["gain"] = {"high_db": 10}  # no relay: 'high' takes its 10 dB from the TPA6130A2's top
    assert recommend.mode_caps(profiles.validate(esp)) == {"low": 0.0, "high": -6.5}


def test_lowest_gain_that_reaches_the_target_wins():
    profile = _pico_with_relay()
    hard = hpm.Headphone("hard", 600, 87)  # 100 dB SPL needs 3.5 V: above 2.1 V of 'low'
    by_mode = {r.mode: r for r in recommend.analyse(hard, profile, 100.0)}
    assert by_mode["low"].headroom_db < 0 <= by_mode["high"].headroom_db
    assert by_mode["high"].volume_for_target - by_mode["low"].volume_for_target == -12.0
    assert recommend.recommend(list(by_mode.values())).mode == "high"
    easy = hpm.Headphone("easy", 32, 105)
    assert recommend.recommend(recommend.analyse(easy, profile, 100.0)).mode == "low"


def test_unreachable_target_is_said_plainly():
    text = _run("--board", "esp32-pcm5122-tpa6130a2", "--ohm", "600", "--sens", "88")
    assert "cannot reach 100 dB SPL cleanly" in text


def test_class_table_has_sources_and_loads():
    classes = recommend.load_classes()
    assert len(classes) >= 5
    for name, c in classes.items():
        hpm.Headphone(name, c["ohm"], c["sens"], c["unit"])  # valid values
        assert c["source"] and c["about"]
    assert "studio-600" in _run("--list")
    assert "planar" in _run("--class", "planar")


def test_plot_writes_a_png():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spl.png"
        text = _run("--class", "studio-250", "--plot", str(path))
        assert "plot written" in text
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10000


def test_headphones_json_is_valid_json_with_about():
    data = json.loads(recommend.CLASSES.read_text())
    assert "_about" in data and "classes" in data


def _limit_of(text):
    line = [ln for ln in text.splitlines() if ln.startswith("on the console:")][0]
    return float(line.split("limit ")[1].split()[0])


def test_never_suggests_a_level_past_the_clip_point():
    # the case: 600 ohm, 94 dB/mW on the ESP32 board. Before, the table offered -2.7 dB
    # as the volume for the target while saying the amp clips above -3.4 dB.
    text = _run("--board", "esp32-pcm5122-tpa6130a2", "--ohm", "600", "--sens", "94")
    assert "clips above -3.4 dB" in text and "-2.7" not in text
    assert _limit_of(text) == -3.5
    for board in ("esp32-pcm5122-tpa6130a2", "pico-pcm5102a-pga2311"):
        profile = recommend.board_profile(board)
        chain = recommend.chain_of(profile)
        for ohm in (16, 32, 80, 300, 600):
            for sens in (86, 94, 102, 112):
                hp = hpm.Headphone("x", ohm, sens)
                text = recommend.report_text(hp, profile, 100.0)
                clip = hpm.clip_volume_db(hp, chain, 0.0)
                assert _limit_of(text) <= clip, (board, ohm, sens, text)
                for r in recommend.analyse(hp, profile, 100.0):
                    shown = "%+.1f dB" % r.volume_for_target
                    if r.volume_for_target > r.clean_db:
                        assert shown not in text.split("volume for target")[1], text


def test_sources_cited_are_in_the_repository():
    root = Path(recommend.ROOT)
    for name, c in recommend.load_classes().items():
        cited = c["source"].split(":")[0]
        assert (root / cited).is_file(), (name, cited)
    assert "docs/headphones.md" in hpm.__doc__ and (root / "docs" / "headphones.md").is_file()


def test_plot_names_only_what_it_draws():
    import matplotlib.pyplot as plt

    # 600 ohm on the ESP32 board clips inside the knob's range: a dotted line, in the legend
    fig = recommend.figure(
        hpm.Headphone("x", 600, 94), recommend.board_profile("esp32-pcm5122-tpa6130a2"), 100.0
    )
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "'normal' clips above -3.4 dB" in labels
    assert [ln.get_linestyle() for ln in ax.get_lines()].count(":") == 1
    assert "dotted" not in ax.get_title()
    plt.close(fig)
    # a headphone the amp never clips: no dotted line, and nothing says there is one
    fig = recommend.figure(
        hpm.Headphone("x", 300, 97), recommend.board_profile("pico-pcm5102a-pga2311"), 100.0
    )
    ax = fig.axes[0]
    assert ":" not in [ln.get_linestyle() for ln in ax.get_lines()]
    assert not any("clips" in t.get_text() for t in ax.get_legend().get_texts())
    assert "dotted" not in ax.get_title()
    plt.close(fig)
