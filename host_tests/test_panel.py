"""The front panel on the simulated boards: knob, buttons, menu, idle display, LED, reset flow.

Pins are driven as a person would, against the real volume controller, audio engine and
settings; results are read where a listener would notice them: the chip models (PGA2311 gain,
relay pin, SSD1306 screen, LED) and the captured I2S output."""

import io
import struct

from panel_rig import (
    PICO,
    RELAY_PIN,
    SettingsSpy,
    edit_item,
    led,
    level_db,
    open_menu,
    running,
    with_gain,
)

from sim.simboard import SimBoard
from uamp import settings
from uamp.app import App
from uamp.board import Board
from uamp.dsp import eq
from uamp.encoder import Accelerator
from uamp.ui import menu as menus
from uamp.ui import panel as panel_module
from uamp.ui.panel import Panel


def test_slow_turns_are_exact_half_db_steps():
    board = running()
    start = board.app.volume.target_db
    board.turn(7)
    assert board.app.volume.target_db == start + 3.5
    board.turn(-3)
    assert board.app.volume.target_db == start + 2.0
    board.run_ms(200)
    assert board.volume_ic.gain_db(0) == start + 2.0


def test_fast_flick_is_capped_in_db_per_second_and_count_is_exact():
    board = running()
    volume = board.app.volume
    volume.set_db(-80)
    board.run_ms(2000)
    cap = board.app.panel.accel.cap_db_s
    burst = cap * Accelerator.BURST_S
    start_db, start_ms = volume.target_db, board.clock.ticks_ms()
    before = board.app.panel.knob_total
    worst = 0.0
    for _ in range(10):  # 100 detents at 1 ms per edge: 250 detents/s, a hard flick
        board.turn(10, ms_per_edge=1)
        elapsed = (board.clock.ticks_ms() - start_ms) / 1000
        rise = volume.target_db - start_db
        worst = max(worst, rise - cap * elapsed)
        assert rise <= cap * elapsed + burst, (rise, elapsed)
    board.run_ms(50)
    assert board.app.panel.knob_total - before == 100
    assert volume.target_db > start_db + 0.5 * 20  # faster than 0.5 dB a detent would allow...
    print(
        "flick: rose %.1f dB in %d ms (cap %d dB/s + %.1f dB burst)"
        % (volume.target_db - start_db, board.clock.ticks_ms() - start_ms, cap, burst)
    )


def test_fast_turn_down_is_not_limited():
    board = running()
    volume = board.app.volume
    start = volume.target_db
    board.turn(-40, ms_per_edge=1)
    board.run_ms(20)
    assert volume.target_db <= start - 40  # accelerated: more than 0.5 dB a detent
    assert board.app.panel.knob_total == -40


def test_turns_during_power_up_are_dropped():
    board = SimBoard(PICO).boot()
    board.turn(8)  # 640 ms: starts while the amp is still powering up
    board.run_until(lambda: board.app.state == 2, 2000)
    board.run_ms(100)
    # The detents turned before the amp was running (the first ~300 ms) were not applied.
    assert board.app.power_on_db < board.app.volume.target_db < board.app.power_on_db + 4.0


def test_mute_button_mutes_the_chip_and_lights_the_led():
    board = running()
    assert led(board) == 0
    board.press("mute")
    board.run_ms(300)
    assert board.app.volume.muted and board.volume_ic.gain_db(0) is None
    assert led(board) == 1
    board.press("mute")
    board.run_ms(300)
    assert not board.app.volume.muted and board.volume_ic.gain_db(0) is not None
    assert led(board) == 0


def test_menu_lists_what_the_real_parts_offer():
    board = running(PICO, with_gain)
    labels = open_menu(board)
    assert board.app.panel.mode == panel_module.MENU
    for wanted in ("Input", "Gain", "Bass", "EQ preset", "EQ", "EQ bands", "Crossfeed"):
        assert wanted in labels, labels
    for wanted in ("Balance", "Headphone", "Max volume", "Brightness", "Knob limit", "About"):
        assert wanted in labels, labels
    assert "Gain" not in open_menu(running(PICO))  # the shipped Pico has no gain section
    board.hold("push", 900)  # long press leaves the menu
    assert board.app.panel.mode == panel_module.MAIN


def test_gain_item_switches_the_relay_and_keeps_the_output_level():
    board = running(PICO, with_gain)
    spy = SettingsSpy(board.app)
    before = level_db(board)
    ic_before = board.volume_ic.gain_db(0)
    labels = open_menu(board)
    board.turn(labels.index("Gain"))
    board.press("push")  # edit
    board.turn(1)
    assert board.app.volume.gain_mode == "high"
    changes = spy.changes
    board.press("push")  # done: one save request per edit
    assert spy.changes == changes + 1
    board.run_ms(500)
    assert board.pin(RELAY_PIN).level() == 1
    assert board.volume_ic.gain_db(0) == ic_before - 12  # the relay's 12 dB came off the IC
    assert abs(level_db(board) - before) <= 0.1  # what the listener hears stays
    assert board.settle_screen().lit() > 300


def test_input_item_switches_the_engine_source():
    board = running()
    assert board.app.engine.input_name == "tone" and level_db(board) is not None
    labels = open_menu(board)
    sources = board.app.engine.inputs
    edit_item(board, "Input", sources.index("silence") - sources.index("tone"), labels)
    board.run_ms(300)  # the engine fades out, swaps and fades in
    assert board.app.engine.input_name == "silence"
    assert level_db(board) < -100  # the output dither alone
    edit_item(board, "Input", sources.index("tone") - sources.index("silence"), labels)
    board.run_ms(300)
    assert abs(level_db(board) - board.app.power_on_db) <= 0.1


def test_eq_band_cut_and_eq_switch_reach_the_output():
    board = running()
    before = level_db(board)
    labels = open_menu(board)
    assert board.app.engine.eq_enabled is False  # the default
    board.turn(labels.index("EQ bands"))
    board.press("push")  # the submenu: "< back", then one row per band
    bands = board.app.engine.eq_bands()
    band = [b[1] for b in bands].index(1000)  # a band on the 1 kHz test tone
    board.turn(band + 1)
    board.press("push")
    board.turn(-12)  # -6 dB
    board.press("push")
    assert board.app.engine.eq_bands()[band][2] == -6.0
    assert board.app.engine.eq_enabled is True  # tuning a band switches the EQ on
    board.turn(-(band + 1))
    board.press("push")  # back to the top level
    board.turn(-labels.index("EQ bands"))
    board.run_ms(300)  # coefficients ramp over 16 buffers
    assert abs(level_db(board) - (before - 6.0)) <= 0.2
    edit_item(board, "EQ", -1, labels)
    assert board.app.engine.eq_enabled is False
    board.run_ms(300)
    assert abs(level_db(board) - before) <= 0.2
    assert board.app.panel.status.eq_preset == "off"


def test_eq_preset_and_bass_items_load_the_engine_and_keep_headroom():
    board = running()
    before = level_db(board)
    labels = open_menu(board)
    edit_item(board, "Bass", 6, labels)
    assert board.app.engine.bass_db == 6
    board.run_ms(300)
    # A boost never clips, and no fixed pre-gain takes it back: the 1 kHz tone (an octave and
    # more above the 100 Hz shelf, far from full scale) keeps its level (it sank 6 dB).
    assert abs(level_db(board) - before) <= 0.3
    assert board.app.engine.limit_count == 0
    edit_item(board, "Bass", -6, labels)
    edit_item(board, "EQ preset", 1, labels)
    engine = board.app.engine
    assert engine.eq_preset in engine.eq_presets and engine.eq_enabled  # chosen: heard
    assert [tuple(b) for b in engine.eq_bands()] == [
        tuple(b) for b in eq.PRESETS[engine.eq_preset]
    ]
    board.hold("push", 900)  # back to the main screen, which names the preset
    board.settle_screen()
    assert board.app.panel.status.eq_preset == engine.eq_preset


def test_crossfeed_and_balance_items():
    board = running()
    labels = open_menu(board)
    edit_item(board, "Crossfeed", 2, labels)
    assert board.app.engine.crossfeed == 2
    edit_item(board, "Balance", -2, labels)
    assert board.app.volume.balance_db == -1.0
    board.run_ms(300)
    # Left louder: the right channel of the volume IC is 1 dB down.
    assert board.volume_ic.gain_db(1) == board.volume_ic.gain_db(0) - 1.0


def test_menu_refused_value_keeps_the_old_one_and_says_why():
    # Every real part's range matches its menu item, so the refusal path is checked on a menu
    # of its own: a setter that refuses above 10.
    kept = [0]

    def set_up_to_10(value):
        if value > 10:
            raise ValueError("at most 10")
        kept[0] = value

    item = menus.Number("Level", lambda: kept[0], set_up_to_10, 0, 12, 1, "%d")
    menu = menus.Menu("menu", [item], lambda: None)
    menu.push()
    for _ in range(11):
        menu.turn(1)
    assert kept[0] == 10 and menu.title() == "at most 10" and menu.editing


def test_max_volume_item_lowers_the_cap():
    board = running()
    board.press("push")
    labels = [label for label, _ in board.app.panel.menu.rows()]
    board.turn(labels.index("Max volume"))
    board.press("push")
    board.turn(-10)
    board.press("push")
    cap = board.app.volume.max_db
    assert cap == board.app.panel.board_max_db - 10
    board.hold("push", 900)
    board.turn(60, ms_per_edge=2)
    board.run_ms(3000)
    assert board.volume_ic.gain_db(0) <= cap


def test_menu_times_out_to_main_screen():
    board = running()
    board.press("push")
    assert board.app.panel.mode == panel_module.MENU
    board.run_ms(Panel.MENU_TIMEOUT_MS + 100)
    assert board.app.panel.mode == panel_module.MAIN


def test_display_dims_then_blanks_then_wakes_on_input():
    board = running(PICO, lambda p: p["display"].update({"dim_s": 5, "blank_s": 10}))
    oled = board.display
    assert oled.on and oled.contrast == board.app.panel._contrast()
    board.run_ms(5100)
    assert oled.on and oled.contrast == Panel.DIM_CONTRAST
    board.run_ms(5100)
    assert not oled.on and board.screen().lit() == 0
    start = board.app.volume.target_db
    board.turn(1)
    screen = board.settle_screen()
    assert oled.on and oled.contrast == board.app.panel._contrast() and screen.lit() > 100
    assert board.app.volume.target_db == start + 0.5  # the waking turn also counts


def test_board_without_display_works_with_led():
    board = running(PICO, lambda p: p.pop("display"))
    assert board.screen() is None and board.app.panel.display is None
    start = board.app.volume.target_db
    board.turn(2)
    assert board.app.volume.target_db == start + 1.0
    board.press("mute")
    assert board.app.volume.muted and led(board) == 1


def test_display_fault_leaves_the_amp_working():
    board = running()
    board.display.fail = 5  # the OLED stops acknowledging (unplugged)
    board.turn(2)
    board.run_ms(200)
    assert board.app.panel.display is None and "display" in board.app.panel.fault
    start = board.app.volume.target_db
    board.turn(2)
    assert board.app.volume.target_db == start + 1.0


def test_display_missing_at_boot_is_not_fatal():
    board = SimBoard(PICO)
    assert board.app.panel.display is not None
    board.display.fail = 5  # now build the firmware again on a board whose OLED never answers
    app = App(board.profile, Board(board.profile, board.clock), board.clock, board._serial)
    assert app.panel.display is None and "display" in app.panel.fault


def test_hold_at_boot_then_confirm_on_screen_resets_settings():
    board = running(PICO, held="push")
    settings = SettingsSpy(board.app)
    board.run_ms(Panel.FACTORY_HOLD_MS)
    assert board.app.panel.mode == panel_module.CONFIRM
    board.button_up("push")
    board.run_ms(200)
    assert settings.resets == 0
    board.app.volume.set_balance(3.0)
    board.turn(1)  # choose YES
    board.press("push")
    assert settings.resets == 1 and board.app.panel.mode == panel_module.MAIN
    assert board.app.volume.balance_db == 0.0  # the real reset ran: defaults are back


def test_hold_at_boot_answered_no_changes_nothing():
    board = running(PICO, held="push")
    settings = SettingsSpy(board.app)
    board.run_ms(Panel.FACTORY_HOLD_MS)
    board.button_up("push")
    board.run_ms(100)
    board.press("push")  # NO is preselected
    assert settings.resets == 0 and board.app.panel.mode == panel_module.MAIN


def test_short_hold_at_boot_is_an_ordinary_boot():
    board = running(PICO, held="push")
    settings = SettingsSpy(board.app)
    board.run_ms(500)
    board.button_up("push")
    board.run_ms(1000)
    assert board.app.panel.mode == panel_module.MAIN and settings.resets == 0


def test_reset_confirm_times_out():
    board = running(PICO, held="push")
    settings = SettingsSpy(board.app)
    board.run_ms(Panel.FACTORY_HOLD_MS)
    board.button_up("push")
    board.run_ms(Panel.CONFIRM_TIMEOUT_MS + 100)
    assert board.app.panel.mode == panel_module.MAIN and settings.resets == 0


def test_reset_by_second_hold_without_display():
    board = running(PICO, lambda p: p.pop("display"), held="push")
    settings = SettingsSpy(board.app)
    board.run_ms(Panel.FACTORY_HOLD_MS)
    assert board.app.panel.mode == panel_module.CONFIRM_HOLD
    board.button_up("push")
    board.run_ms(300)
    blinks = set()
    for _ in range(10):
        board.run_ms(50)
        blinks.add(led(board))
    assert blinks == {0, 1}  # the LED blinks fast while the request waits
    board.hold("push", Panel.FACTORY_HOLD_MS + 100)
    assert settings.resets == 1 and board.app.panel.mode == panel_module.MAIN


def _extra_buttons(p):
    with_gain(p)
    p["buttons"][1]["double"] = "input"
    p["buttons"].append({"name": "gain", "pin": 20, "action": "gain", "long": "eq"})


def _zero_crossings(board, ms):
    board.i2s.clear_capture()
    board.run_ms(ms)
    samples = board.samples(0)
    return sum(1 for i in range(1, len(samples)) if (samples[i - 1] < 0) != (samples[i] < 0))


def test_profile_actions_input_gain_eq():
    board = running(PICO, _extra_buttons)
    app = board.app
    assert app.engine.input_name == "tone" and _zero_crossings(board, 100) >= 190  # 1 kHz
    board.press("mute", after_ms=50)
    board.press("mute", after_ms=400)  # a double press: next input, the 20 Hz..20 kHz sweep
    assert app.engine.input_name == app.engine.inputs[1] == "sweep" and not app.volume.muted
    assert _zero_crossings(board, 100) <= 10  # the sweep starts at 20 Hz
    board.press("gain")
    assert app.volume.gain_mode == "high"
    board.run_ms(300)
    assert board.pin(RELAY_PIN).level() == 1
    presets = app.engine.eq_presets
    assert not app.engine.eq_enabled
    seen = []
    for _ in range(len(presets) + 1):  # long presses: off -> every preset in turn -> off
        board.hold("gain", 900)
        board.run_ms(100)
        seen.append(app.panel.status.eq_preset)
        assert app.engine.eq_enabled == (seen[-1] != "off")
    assert seen == list(presets) + ["off"], seen


def _square_wav(frames, half_period, rate=48000):
    """A full-scale square wave (a hot master) as a mono 16-bit WAV file in memory."""
    data = bytearray(2 * frames)
    for i in range(frames):
        struct.pack_into("<h", data, 2 * i, 32767 if (i // half_period) % 2 == 0 else -32767)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, 2 * rate, 2, 16)
    return io.BytesIO(header + b"data" + struct.pack("<I", len(data)) + data)


def test_clip_indicator_on_screen_and_led():
    board = running()
    engine = board.app.engine
    board.run_ms(200)
    assert engine.clip_count == 0 and not board.app.panel.status.clipping
    engine.open_wav(_square_wav(4800, 240))  # full scale: the dither would take it over
    engine.select_input("wav")
    board.run_ms(300)
    # the limiter turned it down (by 0.001 dB) instead: counted, and shown as a clip would be
    assert engine.clip_count == 0 and engine.limit_count > 0
    blinks = set()
    for _ in range(6):
        board.run_ms(50)
        blinks.add(led(board))
    assert blinks == {0, 1}
    assert board.app.panel.status.clipping
    engine.select_input("tone")
    board.run_ms(Panel.CLIP_HOLD_MS + 300)
    assert not board.app.panel.clipping(board.clock.ticks_ms())
    assert not board.app.panel.status.clipping


def test_headphone_item_selects_a_profile_and_caps_the_volume():
    board = running()
    spy = SettingsSpy(board.app)
    reply = board.send("hp add iem 16 120 mw\r")
    assert "error" not in reply, reply
    board.send("hp off\r")
    assert board.app.headphone is None and board.app.panel.status.spl_db is None
    uncapped = board.app.volume.max_db
    board.press("push")
    labels = [label for label, _ in board.app.panel.menu.rows()]
    board.turn(labels.index("Headphone"))
    board.press("push")
    board.turn(1)
    board.press("push")
    assert board.app.headphone is not None and board.app.headphone.name == "iem"
    cap = board.app.volume.max_db
    assert cap < uncapped  # a sensitive IEM lowers the cap in force
    assert spy.changes >= 1
    board.hold("push", 900)
    board.turn(80, ms_per_edge=2)  # a flick all the way up stops at the IEM's cap
    board.run_ms(4000)
    assert board.volume_ic.gain_db(0) <= cap
    assert board.app.panel.status.spl_db == board.app.spl_db() is not None


def test_esp32_board_shares_its_i2c_bus_with_the_display():
    board = SimBoard("esp32-pcm5122-tpa6130a2").boot()
    board.run_until(lambda: board.app.state == 2, 3000)
    start = board.app.volume.target_db
    board.turn(4)
    screen = board.settle_screen()
    assert board.app.volume.target_db == start + 2.0
    assert screen.lit() > 300 and board.display.protocol_errors == []
    assert board.app.panel.fault is None and board.app.volume.fault is None


def test_brightness_item_sets_the_oled_contrast():
    board = running()
    board.press("push")
    labels = [label for label, _ in board.app.panel.menu.rows()]
    board.turn(labels.index("Brightness"))
    board.press("push")
    board.turn(-5)
    board.press("push")
    assert board.app.panel.brightness == 3
    assert board.display.contrast == 3 * 255 // 10


def test_brightness_and_knob_limit_set_in_the_menu_survive_a_reboot():
    board = running()
    spy = SettingsSpy(board.app)
    labels = open_menu(board)
    edit_item(board, "Brightness", -5, labels)
    edit_item(board, "Knob limit", 2, labels)
    assert spy.changes >= 2 and board.app.panel.accel.cap_db_s == 30
    board.hold("push", 900)
    board.run_ms(settings.SAVE_DELAY_MS + 500)
    again = running(flash=board.flash)  # power cycle: the same flash, a new board
    assert again.app.panel.brightness == 3 and again.display.contrast == 3 * 255 // 10
    assert again.app.panel.accel.cap_db_s == 30
    volume = again.app.volume
    start_db, start_ms = volume.target_db, again.clock.ticks_ms()
    again.turn(100, ms_per_edge=1)  # a hard flick, under the restored 30 dB/s
    elapsed = (again.clock.ticks_ms() - start_ms) / 1000
    assert volume.target_db - start_db <= 30 * elapsed + 30 * Accelerator.BURST_S


def test_chip_fault_is_shown_on_the_main_screen():
    board = running()
    board.app.volume.fail(OSError(5))
    board.settle_screen()
    note = board.app.panel.status.note
    assert note is not None and note.startswith("fault: volume chip")
    assert board.app.volume.muted and led(board) == 1
