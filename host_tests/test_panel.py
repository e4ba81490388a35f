"""The front panel on the simulated Pico: knob, buttons, menu, idle display, LED, reset flow.

Pins are driven as a person would; results are read from the simulated chips (PGA2311 gain,
SSD1306 screen, LED pin). Names other parts do not offer yet come from panel_fakes.augment."""

import json

from panel_fakes import augment

from sim.simboard import SimBoard, profile_path
from uamp import profile as profiles
from uamp.app import App
from uamp.board import Board
from uamp.encoder import Accelerator
from uamp.ui import panel as panel_module
from uamp.ui.panel import Panel

PICO = "pico-pcm5102a-pga2311"


def _profile(edit=None):
    with open(profile_path(PICO)) as f:
        data = json.loads(f.read())
    if edit is not None:
        edit(data)
    return profiles.validate(data, PICO)


def _with_gain(data):
    data["gain"] = {"high_db": 12}


def _running(edit=None, held=None):
    board = SimBoard(PICO, _profile(edit), held_buttons=() if held is None else (held,))
    board.boot()
    board.run_until(lambda: board.app.volume.current_db == board.app.power_on_db, 5000)
    return board


def _led(board):
    return board.pin(board.profile["led"]).level()


def _screen_has_text(board, rows):
    """True when the screen's lit pixels in `rows` are not all dark (something is drawn)."""
    screen = board.settle_screen()
    return any(screen.rows[y][x] for y in rows for x in range(screen.width))


def test_slow_turns_are_exact_half_db_steps():
    board = _running()
    start = board.app.volume.target_db
    board.turn(7)
    assert board.app.volume.target_db == start + 3.5
    board.turn(-3)
    assert board.app.volume.target_db == start + 2.0
    board.run_ms(200)
    assert board.volume_ic.gain_db(0) == start + 2.0


def test_fast_flick_is_capped_in_db_per_second_and_count_is_exact():
    board = _running()
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
    board = _running()
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
    board = _running()
    assert _led(board) == 0
    board.press("mute")
    board.run_ms(300)
    assert board.app.volume.muted and board.volume_ic.gain_db(0) is None
    assert _led(board) == 1
    board.press("mute")
    board.run_ms(300)
    assert not board.app.volume.muted and board.volume_ic.gain_db(0) is not None
    assert _led(board) == 0


def test_menu_drives_the_parts_and_saves():
    board = _running(_with_gain)
    volume_x, engine_x, settings = augment(board)
    board.press("push")
    assert board.app.panel.mode == panel_module.MENU
    menu = board.app.panel.menu
    labels = [label for label, _ in menu.rows()]
    for wanted in ("Input", "Gain", "Bass", "EQ preset", "EQ bands", "Crossfeed", "Balance"):
        assert wanted in labels, labels
    for wanted in ("Max volume", "Brightness", "Knob limit", "About"):
        assert wanted in labels, labels
    board.turn(labels.index("Gain"))
    board.press("push")  # edit
    before = board.app.volume.gain_mode
    board.turn(1)
    assert board.app.volume.gain_mode != before
    changes = settings.changes
    board.press("push")  # done
    assert settings.changes == changes + 1
    screen = board.settle_screen()
    assert screen.lit() > 300
    board.hold("push", 900)  # long press leaves the menu
    assert board.app.panel.mode == panel_module.MAIN


def test_menu_eq_band_and_balance_edits():
    board = _running()
    _, engine_x, _ = augment(board)
    board.press("push")
    labels = [label for label, _ in board.app.panel.menu.rows()]
    board.turn(labels.index("EQ bands"))
    board.press("push")  # opens the submenu: "< back", then one row per band
    board.turn(2)  # band 2
    board.press("push")
    board.turn(3)
    board.press("push")
    assert board.app.engine.eq_bands()[1][2] == 1.5
    board.turn(-5)
    board.press("push")  # back to the top level
    board.turn(labels.index("Balance") - labels.index("EQ bands"))
    board.press("push")
    board.turn(-2)
    board.press("push")
    assert board.app.volume.balance_db == -1.0


def test_menu_refused_value_keeps_the_old_one_and_says_why():
    board = _running()
    _, engine_x, _ = augment(board)
    real = board.app.engine._real
    real_set_bass = real.set_bass

    def set_bass_up_to_10(db):  # an engine that refuses above 10 dB
        if db > 10:
            raise ValueError("bass must be at most 10 dB")
        real_set_bass(db)

    real.set_bass = set_bass_up_to_10
    board.press("push")
    labels = [label for label, _ in board.app.panel.menu.rows()]
    board.turn(labels.index("Bass"))
    board.press("push")
    for _ in range(11):
        board.turn(1)
    assert board.app.engine.bass_db == 10
    assert "bass" in board.app.panel.menu.title()


def test_max_volume_item_lowers_the_cap():
    board = _running()
    augment(board)
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
    board = _running()
    board.press("push")
    assert board.app.panel.mode == panel_module.MENU
    board.run_ms(Panel.MENU_TIMEOUT_MS + 100)
    assert board.app.panel.mode == panel_module.MAIN


def test_display_dims_then_blanks_then_wakes_on_input():
    board = _running(lambda p: p["display"].update({"dim_s": 5, "blank_s": 10}))
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
    board = _running(lambda p: p.pop("display"))
    assert board.screen() is None and board.app.panel.display is None
    start = board.app.volume.target_db
    board.turn(2)
    assert board.app.volume.target_db == start + 1.0
    board.press("mute")
    assert board.app.volume.muted and _led(board) == 1


def test_display_fault_leaves_the_amp_working():
    board = _running()
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
    board = _running(held="push")
    _, _, settings = augment(board)
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
    board = _running(held="push")
    _, _, settings = augment(board)
    board.run_ms(Panel.FACTORY_HOLD_MS)
    board.button_up("push")
    board.run_ms(100)
    board.press("push")  # NO is preselected
    assert settings.resets == 0 and board.app.panel.mode == panel_module.MAIN


def test_short_hold_at_boot_is_an_ordinary_boot():
    board = _running(held="push")
    _, _, settings = augment(board)
    board.run_ms(500)
    board.button_up("push")
    board.run_ms(1000)
    assert board.app.panel.mode == panel_module.MAIN and settings.resets == 0


def test_reset_confirm_times_out():
    board = _running(held="push")
    _, _, settings = augment(board)
    board.run_ms(Panel.FACTORY_HOLD_MS)
    board.button_up("push")
    board.run_ms(Panel.CONFIRM_TIMEOUT_MS + 100)
    assert board.app.panel.mode == panel_module.MAIN and settings.resets == 0


def test_reset_by_second_hold_without_display():
    board = _running(lambda p: p.pop("display"), held="push")
    _, _, settings = augment(board)
    board.run_ms(Panel.FACTORY_HOLD_MS)
    assert board.app.panel.mode == panel_module.CONFIRM_HOLD
    board.button_up("push")
    board.run_ms(300)
    blinks = set()
    for _ in range(10):
        board.run_ms(50)
        blinks.add(_led(board))
    assert blinks == {0, 1}  # the LED blinks fast while the request waits
    board.hold("push", Panel.FACTORY_HOLD_MS + 100)
    assert settings.resets == 1 and board.app.panel.mode == panel_module.MAIN


def _extra_buttons(p):
    _with_gain(p)
    p["buttons"][1]["long"] = "standby"
    p["buttons"][1]["double"] = "input"
    p["buttons"].append({"name": "gain", "pin": 20, "action": "gain", "long": "eq"})


def test_profile_actions_input_gain_eq_standby():
    board = _running(_extra_buttons)
    _, engine_x, _ = augment(board)
    app = board.app
    board.press("mute", after_ms=50)
    first = app.engine.inputs.index(app.engine.input_name)
    board.press("mute", after_ms=400)  # a double press: next input
    assert app.engine.input_name == app.engine.inputs[first + 1] and not app.volume.muted
    board.press("gain")
    assert app.volume.gain_mode == "high"
    presets = app.engine.eq_presets
    before = presets.index(app.engine.eq_preset) if app.engine.eq_preset in presets else -1
    board.hold("gain", 900)
    assert app.engine.eq_preset == presets[(before + 1) % len(presets)]
    board.hold("mute", 900)  # long: standby
    assert app.panel.mode == panel_module.STANDBY and app.volume.muted
    assert not board.display.on
    board.turn(3)  # the knob does nothing in standby
    board.hold("mute", 900)
    assert app.panel.mode == panel_module.MAIN and not app.volume.muted and board.display.on


def test_clip_indicator_on_screen_and_led():
    board = _running()
    _, engine_x, _ = augment(board)
    board.run_ms(200)
    board.app.engine._real.out_state[2] += 3  # as the output kernel counts 3 clipped samples
    board.run_ms(60)
    led = set()
    for _ in range(6):
        board.run_ms(50)
        led.add(_led(board))
    assert led == {0, 1}
    assert board.app.panel.status.clipping
    board.run_ms(Panel.CLIP_HOLD_MS + 200)
    assert not board.app.panel.clipping(board.clock.ticks_ms())


def test_headphone_item_selects_a_profile_and_caps_the_volume():
    board = _running()
    spy = augment(board)[2]
    reply = board.send("hp add iem 16 120 mw\r")
    assert "error" not in reply, reply
    board.send("hp off\r")
    assert board.app.headphone is None
    uncapped = board.app.volume.max_db
    board.press("push")
    labels = [label for label, _ in board.app.panel.menu.rows()]
    board.turn(labels.index("Headphone"))
    board.press("push")
    board.turn(1)
    board.press("push")
    assert board.app.headphone is not None and board.app.headphone.name == "iem"
    assert board.app.volume.max_db < uncapped  # a sensitive IEM lowers the cap in force
    assert spy.changes >= 1


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
    board = _running()
    board.press("push")
    labels = [label for label, _ in board.app.panel.menu.rows()]
    board.turn(labels.index("Brightness"))
    board.press("push")
    board.turn(-5)
    board.press("push")
    assert board.app.panel.brightness == 3
    assert board.display.contrast == 3 * 255 // 10


def test_chip_fault_is_shown_on_the_main_screen():
    board = _running()
    board.app.volume.fail(OSError(5))
    board.settle_screen()
    note = board.app.panel.status.note
    assert note is not None and note.startswith("fault: volume chip")
    assert board.app.volume.muted and _led(board) == 1
