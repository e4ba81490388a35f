"""Screens against the reference images the tests own (host_tests/screens/*.pbm), captured from
the firmware running on simulated boards with the real parts (screen_scenarios.py), on both
interpreters (real `framebuf` on MicroPython, the stand-in on CPython); and pixels arriving
unchanged on the simulated SSD1306 through the driver and the I2C bus.

To accept an intended change of a screen: `python tools/screenshot.py --update-references`,
then look at the diff of the .pbm files (plain text) and the PNGs before committing."""

import screen_scenarios

from sim import machine
from sim.chips.ssd1306 import Screen, SSD1306Model
from sim.simboard import SimBoard
from simenv import HERE
from uamp.drivers.ssd1306 import SSD1306
from uamp.ui import screens


def _reference(name):
    with open("%s/%s/%s.pbm" % (HERE, screen_scenarios.REFERENCE_DIR, name)) as f:
        return Screen.from_pbm(f.read())


def test_every_screen_matches_its_reference_image():
    for name in screen_scenarios.SCENARIOS:
        got = screen_scenarios.render(name)
        want = _reference(name)
        assert got == want, "%s: %d pixels differ\n%s" % (
            name,
            got.differences(want),
            got.text(),
        )


def test_reference_images_are_not_blank_and_differ():
    seen = []
    for name in screen_scenarios.SCENARIOS:
        image = _reference(name)
        assert image.lit() > 150, name
        for other in seen:
            assert image != other
        seen.append(image)


def test_main_screen_shows_the_real_parts_state():
    board = screen_scenarios.live("main")
    app, status = board.app, board.app.panel.status
    assert status.input_name == app.engine.input_name == "tone"
    assert status.gain_mode == app.volume.gain_mode == "low"
    assert status.eq_preset == app.engine.eq_preset == "warm"
    assert status.spl_db == app.spl_db() and 80 < status.spl_db < 90
    assert status.volume_db == app.volume.target_db == -23.5 and not status.clipping
    clipped = screen_scenarios.live("main-muted-clip").app.panel.status
    assert clipped.clipping and clipped.muted and clipped.input_name == "wav"
    assert clipped.spl_db is None  # no headphone profile selected


def test_a_changed_value_changes_the_screen():
    board = screen_scenarios.live("main")
    a = board.screen()
    board.turn(-1)
    b = board.settle_screen()
    assert a != b and 0 < a.differences(b) < 400  # the digits, the SPL and the level bar only


def _driver_on_model(height=64):
    world = machine.reset_world()
    model = SSD1306Model(world, 1, 0x3C, 128, height)
    i2c = machine.I2C(1, scl=machine.Pin(15), sda=machine.Pin(14), freq=400000)
    oled = SSD1306(i2c, 0x3C, 128, height)
    return model, oled


def test_driver_configures_the_panel_as_the_datasheet_says():
    model, oled = _driver_on_model()
    assert model.screen().lit() == 0
    oled.init()
    assert model.ready() and not model.on and model.mode == 0
    assert model.seg_remap and model.com_reverse and model.com_pins == 0x12
    oled.power(True)
    oled.contrast(200)
    assert model.on and model.contrast == 200
    assert model.protocol_errors == []


def test_pixels_arrive_unchanged_through_bus_and_controller():
    for height, name in ((64, "menu"), (32, "main-128x32")):
        model, oled = _driver_on_model(height)
        oled.init()
        oled.power(True)
        want = _reference(name)
        for y in range(height):
            for x in range(128):
                oled.fb.pixel(x, y, want.rows[y][x])
        oled.begin_frame()
        sends = 0
        while not oled.send_pages(1):
            sends += 1
        assert sends == height // 8 - 1
        assert model.screen() == want, name
        assert model.protocol_errors == []
        # One page per transfer: the longest blocks the bus ~3 ms at 400 kHz.
        assert model.longest_us < 3500, model.longest_us


def test_model_decodes_single_command_control_bytes_and_page_mode():
    model, _ = _driver_on_model()
    i2c = machine.I2C(1, freq=400000)
    # Co = 1 control bytes, one command each (datasheet 8.1.5.2), then page addressing mode.
    i2c.writeto(0x3C, bytes((0x80, 0x8D, 0x80, 0x14, 0x80, 0xA8, 0x80, 0x3F, 0x80, 0xAF)))
    i2c.writeto(0x3C, bytes((0x00, 0xB2, 0x05, 0x10)))  # page 2, column 5
    i2c.writeto(0x3C, bytes((0x40, 0xFF)))
    assert model.on and model.ready()
    screen = model.screen()
    # No remap: column 5 is the viewer's x = 122; no COM reverse: page 2 is y = 63-16.. 63-23.
    assert screen.lit() == 8
    assert all(screen.pixel(122, y) for y in range(40, 48))
    i2c.writeto(0x3C, bytes((0x80, 0xA7)))  # inverse
    assert model.screen().lit() == 128 * 64 - 8
    i2c.writeto(0x3C, bytes((0x80, 0xAE)))
    assert model.screen().lit() == 0
    i2c.writeto(0x3C, bytes((0x80, 0x99)))
    assert model.protocol_errors == ["unknown command 99h"]


def test_board_screen_shows_what_the_panel_drew():
    board = SimBoard("pico-pcm5102a-pga2311").boot()
    board.run_until(lambda: board.app.state == 2, 2000)
    assert "error" not in board.send(screen_scenarios.HEADPHONE)
    board.send("hp use studio\r")
    board.turn(3)
    shown = board.settle_screen()
    painter, buf = screen_scenarios.canvas()
    screens.main_screen(painter, board.app.panel.status)
    assert shown == screen_scenarios.to_screen(buf, 128, 64)
    assert board.app.panel.status.spl_db is not None and board.app.panel.status.input_name
    board.press("push")
    shown = board.settle_screen()
    menu = board.app.panel.menu
    painter, buf = screen_scenarios.canvas()
    screens.menu_screen(painter, menu.title(), menu.rows(), menu.selected(), menu.editing)
    assert shown == screen_scenarios.to_screen(buf, 128, 64)
