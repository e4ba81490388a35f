"""Console replies a newcomer reads (issue 13): crossfeed in words, the EQ preset as the display
names it, a readable status line without a headphone, and a safe default SPL cap for `hp add`."""

from sim.simboard import SimBoard
from uamp import headphones


def _board():
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_until(lambda: board.app.volume.current_db == -30, 5000)
    return board


def test_xfeed_answers_in_words():
    board = _board()
    assert board.send("xfeed on\r") == "xfeed on (level 1)\r\n"  # was "xfeed 1"
    assert board.send("xfeed 3\r") == "xfeed on (level 3)\r\n"
    assert board.send("xfeed off\r") == "xfeed off\r\n"
    assert board.send("xfeed on\r") == "xfeed on (level 3)\r\n"  # the last level
    assert "xfeed on (level 3)" in board.send("status\r")


def test_a_band_edit_is_custom_on_the_console_as_on_the_display():
    board = _board()
    board.send("eq preset %s\r" % board.app.engine.eq_presets[-1])
    out = board.send("eq band 2 peak 2500 3 1.4\r")
    assert out.startswith("eq on (preset custom)"), out  # was "(preset -)"
    assert "eq on (custom)" in board.send("status\r")
    board.run_ms(300)  # the display redraws
    shown = board.app.panel._fill_status(board.clock.ticks_ms()).eq_preset
    assert shown == "custom"


def test_status_without_a_headphone_says_so():
    board = _board()
    lines = board.send("status\r").split("\r\n")
    hp = [line for line in lines if line.startswith("hp ")]
    assert hp == ["hp none (no SPL without a headphone profile: 'hp add', 'hp use')"], lines
    board.send("hp add iem 16 112 mw\r")
    board.send("hp use iem\r")
    hp = [line for line in board.send("status\r").split("\r\n") if line.startswith("hp ")]
    assert len(hp) == 1 and hp[0].startswith("hp iem  ") and hp[0].endswith(" dB SPL at 0 dBFS")


def test_hp_add_without_max_gets_the_default_cap_and_says_it():
    board = _board()
    out = board.send("hp add iem 16 112 mw\r")
    assert out == (
        "hp profile added: iem: 16 ohm, 112 dB/mW, max 100 dB SPL"
        " (the default cap; 'max dB' sets another)\r\n"
    )
    assert headphones.DEFAULT_MAX_SPL_DB == 100
    board.send("hp use iem\r")
    board.send("vol 0\r")
    board.run_ms(3000)
    # before: no cap at all, 109 dB SPL at vol 0 with this IEM on the Pico board
    assert board.app.spl_db() <= 100.0 + 1e-9
    assert board.app.volume.max_db < 0
    # an explicit max is kept, and said without the default note
    out = board.send("hp add loud 16 112 mw max 105\r")
    assert out == "hp profile added: loud: 16 ohm, 112 dB/mW, max 105 dB SPL\r\n"


def test_a_first_boot_eq_has_no_preset_rather_than_custom():
    board = _board()
    assert board.send("eq\r").startswith("eq off (preset none)")  # nothing chosen, all flat
    board.send("eq band 1 peak 1000 0 1\r")  # a 0 dB peak is still flat
    assert board.send("eq\r").startswith("eq on (preset none)")
    board.send("eq band 1 peak 1000 2 1\r")
    assert board.send("eq\r").startswith("eq on (preset custom)")
