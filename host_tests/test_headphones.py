"""Headphone loudness math (docs/headphones.md), the profile's output/headphone
sections, and the SPL cap in the firmware (seam fakes and the real PGA2311 slice)."""

import json
import math

from fake_parts import Rig

from sim.simboard import SimBoard, profile_path
from support import raises
from uamp import headphones as hpm
from uamp import profile as profiles

PICO_OUTPUT = {
    "dac_vfs_vrms": 2.1,
    "vmax_vrms": 3.5,
    "imax_ma": 100,
    "zout_ohm": 0,
}


def close(a, b, tol=0.01):
    return abs(a - b) <= tol


def test_sensitivity_conversion_and_one_milliwatt():
    hp = hpm.Headphone("hd600", 300, 97, "mw")
    assert close(hp.sens_per_volt(), 97 + 10 * math.log10(1000 / 300))
    one_mw = math.sqrt(0.001 * 300)
    assert close(hp.spl_at(one_mw), 97.0)
    assert close(hp.power_mw(one_mw), 1.0)
    assert close(hp.volts_for(97.0), one_mw, 1e-6)
    per_volt = hpm.Headphone("iem", 16, 110, "v")
    assert per_volt.sens_per_volt() == 110 and close(per_volt.spl_at(0.5), 110 - 6.0206)


def test_chain_voltage_amp_gain_balanced_and_output_impedance():
    chain = hpm.Chain(PICO_OUTPUT)
    assert close(chain.volts(0, 32), 2.1, 1e-9)
    assert close(chain.volts(-20, 32), 0.21, 1e-9)
    amp = hpm.Chain(dict(PICO_OUTPUT, amp_gain_db=12))
    assert close(amp.volts(-12, 32), 2.1, 1e-9)
    balanced = hpm.Chain(dict(PICO_OUTPUT, balanced=True))
    assert close(balanced.volts(-6, 32), 2 * 2.1 * 10 ** (-6 / 20), 1e-9)
    divided = hpm.Chain(dict(PICO_OUTPUT, zout_ohm=32))
    assert close(divided.volts(0, 32), 1.05, 1e-9)  # half across the load


def test_clipping_at_the_smaller_of_voltage_and_current():
    chain = hpm.Chain(PICO_OUTPUT)
    assert close(chain.clip_volts(600), 3.5)  # rail-limited
    assert close(chain.clip_volts(16), 1.6)  # 100 mA into 16 ohm
    iem = hpm.Headphone("iem", 16, 110, "mw")
    level, clipped = hpm.spl(iem, chain, 0)  # 2.1 V wanted, 1.6 V available
    assert clipped and close(level, iem.spl_at(1.6))
    assert not hpm.spl(iem, chain, -20)[1]
    assert close(hpm.clip_volume_db(iem, chain), 20 * math.log10(1.6 / 2.1))


def test_safe_cap_meets_max_spl_exactly():
    chain = hpm.Chain(PICO_OUTPUT)
    hp = hpm.Headphone("cans", 32, 100, "mw", max_spl_db=105)
    cap = hpm.safe_cap_db(hp, chain)
    assert close(hpm.spl(hp, chain, cap)[0], 105)
    louder = hpm.Chain(dict(PICO_OUTPUT, amp_gain_db=6))
    assert close(cap - hpm.safe_cap_db(hp, louder), 6)  # 6 dB more gain, 6 dB less room
    loud_cans = hpm.Headphone("loud", 32, 100, "mw", max_spl_db=130)
    assert close(hpm.safe_cap_db(loud_cans, chain), hpm.clip_volume_db(loud_cans, chain))


def test_warnings_for_weak_and_clipping_setups():
    esp = hpm.Chain({"dac_vfs_vrms": 2.1, "vmax_vrms": 1.42, "imax_ma": 89})
    planar = hpm.Headphone("he6", 50, 83.5, "mw")
    lines = hpm.warnings(planar, esp, 0)
    assert any("reaches only" in line for line in lines)
    assert any("clips" in line for line in lines)  # 2.1 V asked, 1.42 V available
    easy = hpm.Headphone("easy", 32, 100, "mw")
    pico = hpm.Chain(PICO_OUTPUT)
    assert hpm.warnings(easy, pico, -10) == []
    high_zout = hpm.Chain(dict(PICO_OUTPUT, zout_ohm=10))
    assert any("impedance" in line for line in hpm.warnings(easy, high_zout, -10))


def test_bad_profiles_are_refused():
    for args in (
        ("", 32, 100),
        ("Name", 32, 100),
        ("x", 0, 100),
        ("x", 32, 200),
        ("x", 32, float("nan")),
        ("x", "32", 100),
        ("x", 32, 100, "dbm"),
        ("x", 32, 100, "mw", 500),
    ):
        raises(ValueError, hpm.Headphone, *args)


def _pico_with_headphone(hp):
    profile = profiles.load(profile_path("pico-pcm5102a-pga2311"))
    profile["headphone"] = hp
    return profiles.validate(profile)


def test_profile_sections_are_validated():
    good = {"name": "hd600", "impedance_ohm": 300, "sensitivity_db": 97, "max_spl_db": 110}
    assert _pico_with_headphone(good)["headphone"]["name"] == "hd600"
    for bad, key in (
        (dict(good, impedance_ohm=0), "headphone.impedance_ohm"),
        (dict(good, sensitivity_unit="dbm"), "headphone.sensitivity_unit"),
        (dict(good, name="HD 600"), "headphone.name"),
        (dict(good, colour="red"), "headphone.colour"),
    ):
        e = raises(profiles.ProfileError, _pico_with_headphone, bad)
        assert key in str(e), (key, str(e))
    profile = profiles.load(profile_path("pico-pcm5102a-pga2311"))
    for change, key in (
        ({"vmax_vrms": -1}, "output.vmax_vrms"),
        ({"amp_gain_db": 99}, "output.amp_gain_db"),
        ({"dac_vfs_vrms": "2.1"}, "output.dac_vfs_vrms"),
        ({"balanced": "yes"}, "output.balanced"),
    ):
        broken = json.loads(json.dumps(profile))
        broken["output"].update(change)
        e = raises(profiles.ProfileError, profiles.validate, broken)
        assert key in str(e), (key, str(e))


IEM = {"name": "iem", "impedance_ohm": 16, "sensitivity_db": 112, "max_spl_db": 100}


def test_board_headphone_caps_the_volume_on_first_boot():
    rig = Rig(board_profile=_pico_with_headphone(IEM)).boot()
    app = rig.app
    assert app.headphone.name == "iem"
    assert "warning: the amp clips iem" in "".join(rig.out)  # said at boot, too
    top = app.volume.max_db
    assert rig.send("vol 0\r") == "vol %.1f dB (capped by max %.1f)\r\n" % (top, top)
    assert app.spl_db() <= 100 and app.spl_db() > 99.4  # capped on the 0.5 dB grid
    status = json.loads(rig.send("status --json\r"))
    assert status["headphone"] == "iem" and status["spl_db"] == round(app.spl_db(), 1)
    out = rig.send("hp\r")
    assert "dB SPL at 0 dBFS" in out and "iem: 16 ohm" in out
    # The volume is before the gain mode's gain: 'high' (+12 dB) lowers the cap by 12 dB.
    cap = app.volume.max_db
    spl = app.spl_db()
    rig.send("gain high\r")
    rig.run_ms(20)  # the app re-caps once the new mode is in effect
    assert app.volume.max_db == cap - 12
    rig.send("vol 0\r")
    assert abs(app.spl_db() - spl) < 0.01  # the same loudest level in either mode
    rig.send("hp off\r")
    assert app.volume.max_db == 0 and app.spl_db() is None


def test_hp_commands_manage_profiles():
    rig = Rig().boot()
    assert rig.send("hp\r") == "hp none\r\n"
    assert rig.send("hp add hd600 300 97 mw max 110\r").startswith("hp profile added: hd600")
    assert rig.send("hp add iem 16 110 v\r").startswith("hp profile added: iem")
    out = rig.send("hp use iem\r")
    assert "hp iem: 16 ohm, 110 dB/V" in out and "dB SPL" in out
    assert rig.send("hp list\r") == (
        "  hd600: 300 ohm, 97 dB/mW, max 110 dB SPL\r\n"
        "* iem: 16 ohm, 110 dB/V, max 100 dB SPL\r\n"  # no max given: the default cap
    )
    rig.send("hp del iem\r")
    assert rig.app.headphone is None and rig.send("hp list\r").count("\r\n") == 1


def test_spl_cap_holds_on_the_real_pga2311():
    board = SimBoard(board_profile=_pico_with_headphone(IEM)).boot()
    board.run_ms(400)
    board.send("vol 0\r")
    board.turn(40)
    board.run_ms(3000)
    cap = board.app.volume.max_db
    assert cap < -20 and board.volume_ic.gain_db(0) == cap
    assert board.app.spl_db() <= 100


def test_panel_names_select_profiles():
    rig = Rig(board_profile=_pico_with_headphone(IEM)).boot()
    app = rig.app
    rig.send("hp add hd600 300 97 mw\r")
    assert app.headphone_names() == ["hd600", "iem"]
    app.set_headphone("hd600")
    assert app.headphone.name == "hd600" and app.volume.max_db > -20
    raises(ValueError, app.set_headphone, "nosuch")
    assert app.headphone.name == "hd600"
    app.set_headphone(None)
    assert app.headphone is None and app.settings.dirty


def test_the_real_panel_menu_selects_a_headphone():
    from uamp.ui import menu

    board = SimBoard(board_profile=_pico_with_headphone(IEM)).boot()
    board.run_ms(400)
    board.send("hp add hd600 300 97 mw\r")
    items = [i for i in menu.build(board.app, board.app.panel) if i.label == "Headphone"]
    assert len(items) == 1
    choice = items[0]
    assert choice.value() == "iem"
    iem_cap = board.app.volume.max_db
    choice.step(-1)  # options: none, hd600, iem
    assert board.app.headphone.name == "hd600" and board.app.volume.max_db > iem_cap
    choice.step(-1)
    assert board.app.headphone is None and board.app.spl_db() is None


def test_spl_cap_follows_the_real_gain_relay():
    profile = _pico_with_headphone(dict(IEM, max_spl_db=110))
    profile["gain"] = {"high_db": 12, "relay": 8}
    board = SimBoard(board_profile=profiles.validate(profile)).boot()
    board.run_until(lambda: board.app.volume.current_db == -30, 5000)
    app = board.app
    low_cap = app.volume.max_db
    board.send("vol 0\r")
    board.run_ms(1500)
    loudest = app.spl_db()
    assert loudest <= 110 and low_cap < -20
    board.send("gain high\r")
    board.run_ms(1500)
    assert app.volume.mode_gain_db == 12 and board.pin(8).level() == 1
    assert app.volume.max_db == low_cap - 12
    assert abs(app.spl_db() - loudest) < 0.01  # same loudness, 12 dB less volume
    board.send("vol 0\r")
    board.run_ms(500)
    assert app.spl_db() <= 110
