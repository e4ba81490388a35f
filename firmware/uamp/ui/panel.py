"""The front panel: knob, buttons, display (or LED) and menu, stepped by the app's tick task.

`tick()` runs every app tick (10 ms) while the amp is running, and while it is off (standby)
so a button can wake it. It takes the detents the encoder IRQ counted, polls the buttons,
acts, and then does at most a little display work: one redraw per FRAME_MS when something
visible changed, sent PAGES_PER_TICK pages at a time, so no tick holds the I2C bus (and with it
the scheduler that refills I2S) for more than ~7 ms.
"""

from uamp import forget
from uamp.buttons import DOUBLE, LONG, SHORT, Button
from uamp.drivers.ssd1306 import SSD1306
from uamp.encoder import Accelerator, Encoder
from uamp.ui import offers, screens
from uamp.ui.painter import Painter

MAIN, MENU, STANDBY, BOOT_HOLD, CONFIRM, CONFIRM_HOLD = range(6)


class Panel:
    FRAME_MS = 50  # at most 20 redraws a second
    PAGES_PER_TICK = 2  # 2 x 129 bytes: ~6.6 ms on a 400 kHz bus
    DIM_S = 20  # idle time before the display dims (profile display.dim_s)
    BLANK_S = 120  # ... and before it blanks; 0 = never (profile display.blank_s)
    DIM_CONTRAST = 0
    MENU_TIMEOUT_MS = 30000
    FACTORY_HOLD_MS = 3000  # hold at boot this long to ask for a factory reset
    CONFIRM_TIMEOUT_MS = 10000
    CLIP_HOLD_MS = 1500  # the clip indicator stays this long after the last clipped sample
    NOTE_MS = 2500
    BLINK_FAST_MS = 100
    BLINK_SLOW_MS = 500

    def __init__(self, app, board, profile, clock):
        self.app = app
        self.clock = clock
        self.fault = None
        now = clock.ticks_ms()
        self.encoder = None
        enc = profile.get("encoder")
        if enc:
            self.encoder = Encoder(
                board.input(enc["a"]),
                board.input(enc["b"]),
                enc["steps_per_detent"],
                enc.get("invert") or False,
            )
            board.on_edges(self.encoder.pin_a, self.encoder.isr)
            board.on_edges(self.encoder.pin_b, self.encoder.isr)
        self.accel = Accelerator((enc or {}).get("max_rise_db_s") or Accelerator.CAP_DEFAULT)
        self.knob_total = 0  # net detents since boot (diagnostics and tests)
        self.buttons = []
        self.actions = {}  # button name -> {event: action}
        for cfg in profile.get("buttons") or ():
            acts = {SHORT: cfg["action"]}
            if cfg.get("long"):
                acts[LONG] = cfg["long"]
            if cfg.get("double"):
                acts[DOUBLE] = cfg["double"]
            active_low = cfg.get("active_low")
            button = Button(
                board.input(cfg["pin"], active_low is not False),
                cfg["name"],
                now,
                clock.ticks_diff,
                active_low is not False,
                DOUBLE in acts,
            )
            self.buttons.append(button)
            self.actions[button.name] = acts
        # The button that enters the menu (the knob push) also confirms; any button otherwise.
        self.select_button = None
        for button in self.buttons:
            if self.actions[button.name][SHORT] == "menu":
                self.select_button = button
        if self.select_button is None and self.buttons:
            self.select_button = self.buttons[0]
        led = profile.get("led")
        self.led = None if led is None else board.output(led, 0)
        self.led_on = False
        disp = profile.get("display") or {}
        self.dim_ms = (disp.get("dim_s") or self.DIM_S) * 1000
        blank = disp.get("blank_s")
        self.blank_ms = (self.BLANK_S if blank is None else blank) * 1000
        self.brightness = 8
        self.display = None
        self.painter = None
        if disp and board.i2c is not None:
            self._start_display(board.i2c, disp)
        self.board_max_db = app.volume.cap_db  # the board's cap; the user limit sits below it
        self.status = screens.Status()
        self.menu = None
        self.mode = MAIN
        if self.select_button is not None and self.select_button.held_at_boot:
            self.mode = BOOT_HOLD
        self.confirm_choice = 0
        self.mode_since = now
        self.last_input = now
        self.dimmed = False
        self.drawn_key = None
        self.last_frame = now
        self.note = None
        self.note_until = now
        self.clip_seen = None
        self.clip_until = now
        self.standby_was_muted = False
        # The app's power states: standby is the chip layer's shutdown (amp off, DAC muted).
        from uamp import app as power

        self.power_off, self.power_running = power.OFF, power.RUNNING
        self.started = False
        self.redraws = 0

    # --- display ---
    def _start_display(self, i2c, cfg):
        try:
            display = SSD1306(i2c, cfg["addr"], cfg["width"], cfg["height"])
            display.init()
            display.contrast(self._contrast())
            self.display = display
            self.painter = Painter(display.fb, display.width, display.height)
            from uamp import VERSION

            screens.message_screen(self.painter, ["uamp " + VERSION, "starting"])
            display.show()
            display.power(True)
        except OSError as e:
            self._display_failed(e)

    def _display_failed(self, error):
        # A missing or unplugged display must never stop the amp: carry on with the LED.
        self.display = None
        self.painter = None
        self.fault = "display: no answer on I2C (%s)" % (error,)

    def _contrast(self):
        return (self.brightness * 255) // 10

    def set_brightness(self, level):
        if type(level) is not int or not 1 <= level <= 10:
            raise ValueError("brightness must be 1..10")
        self.brightness = level
        if self.display is not None and not self.dimmed:
            try:
                self.display.contrast(self._contrast())
            except OSError as e:
                self._display_failed(e)

    def set_knob_limit(self, db_s):
        self.accel.set_cap(db_s)

    # --- app-level settings that combine several parts (uamp/state.py owns the policy) ---
    def _reapply_limit(self):
        if hasattr(self.app, "user_limit_db"):
            from uamp import state

            state.apply_limit(self.app)  # the headphone's safe cap depends on the gain mode

    def set_gain(self, name):
        self.app.volume.set_gain_mode(name)
        self._reapply_limit()

    def user_limit_db(self):
        limit = self.app.user_limit_db
        return self.board_max_db if limit is None else limit

    def set_user_limit(self, db):
        if type(db) not in (int, float) or not db <= self.board_max_db:
            raise ValueError("max volume must be at most %.1f dB" % self.board_max_db)
        self.app.user_limit_db = db
        self._reapply_limit()

    def set_headphone(self, name):
        app = self.app
        if name == "none":
            app.headphone = None
        else:
            from uamp.headphones import Headphone

            data = (app.settings.values.get("headphones") or {}).get(name)
            if data is None:
                raise ValueError("no headphone profile '%s'" % name)
            app.headphone = Headphone.from_dict(name, data)
        self._reapply_limit()

    # --- the tick ---
    def tick(self):
        clock = self.clock
        now = clock.ticks_ms()
        detents = 0
        if self.encoder is not None:
            detents = self.encoder.take_detents()
            if not self.started:
                detents = 0  # turns made while the amp powered up are dropped, not replayed
        self.started = True
        self.knob_total += detents
        pressed = None
        for button in self.buttons:
            event = button.poll(now)
            if event is not None and pressed is None:
                pressed = (button, event)
        if detents or pressed is not None:
            self._wake(now)
        self._follow_power(now)
        mode = self.mode
        if mode == MAIN:
            self._main(now, detents, pressed)
        elif mode == MENU:
            self._in_menu(now, detents, pressed)
        elif mode == STANDBY:
            self._in_standby(now, pressed)
        else:
            self._reset_flow(now, detents, pressed)
        self._watch(now)
        self._idle(now)
        self._update_led(now)
        self._draw(now)

    def _action(self, pressed):
        button, event = pressed
        return self.actions[button.name].get(event)

    def _main(self, now, detents, pressed):
        if detents:
            change = self.accel.change_db(detents, now, self.clock.ticks_diff)
            volume = self.app.volume
            if change:
                volume.set_db(volume.target_db + change)
                self.changed()
        if pressed is not None:
            self._do(self._action(pressed), now)

    def _in_menu(self, now, detents, pressed):
        menu = self.menu
        if menu is None:  # MENU mode always has one; never stuck there without it
            self._enter(MAIN, now)
            return
        if detents:
            menu.turn(detents)
        if pressed is not None:
            button, event = pressed
            action = self._action(pressed)
            if button is self.select_button and event == SHORT:
                menu.push()
            elif button is self.select_button and event == LONG:
                menu.close()
            elif action != "menu":
                self._do(action, now)  # mute and friends still work inside the menu
        if detents or pressed is not None:
            self.mode_since = now
        elif self.clock.ticks_diff(now, self.mode_since) >= self.MENU_TIMEOUT_MS:
            menu.close()
        if not menu.open:
            self._close_menu()
            self._enter(MAIN, now)

    def _close_menu(self):
        self.menu = None
        forget("uamp.ui.menu")  # see _open_menu

    def _enter(self, mode, now):
        self.mode = mode
        self.mode_since = now

    def changed(self):
        """A user-visible setting changed: the settings part saves it (debounced)."""
        settings = getattr(self.app, "settings", None)
        if settings is not None:
            settings.changed()

    def _say(self, text, now):
        self.note = text
        self.note_until = self.clock.ticks_add(now, self.NOTE_MS)

    def _do(self, action, now):
        """Run a profile action (buttons.ACTIONS); a part that says no shows why."""
        if action is None:
            return
        app = self.app
        volume, engine = app.volume, app.engine
        try:
            if action == "mute":
                volume.mute(not volume.muted)
            elif action == "menu":
                self.menu = _open_menu(app, self)
                self._enter(MENU, now)
                return
            elif action == "standby":
                self._standby(True, now)
                return
            elif action == "input":
                self._cycle(engine, "inputs", "input_name", "select_input", now)
            elif action == "gain":
                self._cycle(volume, "gain_modes", "gain_mode", "set_gain_mode", now)
                self._reapply_limit()
            elif action == "eq":
                self._cycle_eq(engine, now)
        except ValueError as e:
            self._say(str(e), now)
            return
        self.changed()

    def _cycle(self, part, names, current, select, now):
        if not offers(part, names, current, select) or not getattr(part, names):
            self._say("not on this board", now)
            return
        options = getattr(part, names)
        now_name = getattr(part, current)
        index = options.index(now_name) if now_name in options else -1
        new = options[(index + 1) % len(options)]
        getattr(part, select)(new)
        self._say("%s %s" % (current.split("_")[0], new), now)

    def load_eq_preset(self, name):
        """A chosen preset is meant to be heard: load it and switch the EQ on."""
        engine = self.app.engine
        engine.load_eq_preset(name)
        if hasattr(engine, "set_eq_enabled"):
            engine.set_eq_enabled(True)

    def _cycle_eq(self, engine, now):
        """The EQ button: off -> first preset -> ... -> last preset -> off."""
        if not offers(engine, "eq_presets", "eq_preset", "load_eq_preset"):
            self._say("not on this board", now)
            return
        presets = engine.eq_presets
        switchable = hasattr(engine, "set_eq_enabled")
        on = not switchable or engine.eq_enabled
        current = engine.eq_preset if on else None
        index = presets.index(current) + 1 if current in presets else 0
        if index >= len(presets) and switchable:
            engine.set_eq_enabled(False)
            self._say("eq off", now)
            return
        name = presets[index % len(presets)]
        self.load_eq_preset(name)
        self._say("eq " + name, now)

    # --- standby: the app shuts the amp down (fade, DAC muted, amp off) and wakes it ---
    def _standby(self, on, now):
        app = self.app
        if on:
            was_muted = app.volume.muted
            app.shutdown()  # ValueError while the app is busy: _do shows it, nothing changes
            self.standby_was_muted = was_muted
            self._enter_standby(now)
        else:
            app.wake()  # the app powers up in order; _follow_power sees it running again

    def _enter_standby(self, now):
        if self.menu is not None:
            self.menu.close()
            self._close_menu()
        self._enter(STANDBY, now)
        self._display_power(False)

    def _in_standby(self, now, pressed):
        """Off: the standby button (any press) or the knob push wakes; the knob does nothing."""
        if pressed is None:
            return
        button, event = pressed
        if self._action(pressed) == "standby" or (button is self.select_button and event == SHORT):
            try:
                self._standby(False, now)
            except ValueError as e:
                self._say(str(e), now)

    def _follow_power(self, now):
        """Standby follows the app's power state, whoever changed it (panel or console)."""
        state = self.app.state
        if self.mode == STANDBY:
            if state == self.power_running:
                # The first running tick after a wake, before the volume ramp moves: mute
                # again if the amp was muted before standby.
                if self.standby_was_muted:
                    self.app.volume.mute(True)
                self._enter(MAIN, now)
                self._wake(now)
        elif state == self.power_off:
            self.standby_was_muted = False  # shut down elsewhere: wake as the app does
            self._enter_standby(now)

    # --- factory reset: hold the select button at boot, then confirm ---
    def _reset_flow(self, now, detents, pressed):
        button = self.select_button
        if button is None:  # the reset flow starts only from a select button held at boot
            self._enter(MAIN, now)
            return
        diff = self.clock.ticks_diff
        if self.mode == BOOT_HOLD:
            if not button.pressed:
                self._enter(MAIN, now)  # let go early: an ordinary boot
            elif button.held_ms(now) >= self.FACTORY_HOLD_MS:
                self.confirm_choice = 0
                self._enter(CONFIRM if self.display is not None else CONFIRM_HOLD, now)
            return
        if diff(now, self.mode_since) >= self.CONFIRM_TIMEOUT_MS:
            self._say("reset cancelled", now)
            self._enter(MAIN, now)
            return
        if self.mode == CONFIRM:
            if detents:
                self.confirm_choice = 1 if detents > 0 else 0
            if pressed is not None and pressed[0] is button and pressed[1] == SHORT:
                if self.confirm_choice:
                    self._factory_reset(now)
                else:
                    self._say("reset cancelled", now)
                self._enter(MAIN, now)
        else:  # CONFIRM_HOLD: no display; let go, then a second hold of the same length
            if not button.pressed:
                self.confirm_choice = 1  # released once: the next hold counts
            elif self.confirm_choice and button.held_ms(now) >= self.FACTORY_HOLD_MS:
                self._factory_reset(now)
                self._enter(MAIN, now)

    def _factory_reset(self, now):
        app = self.app
        settings = getattr(app, "settings", None)
        commands = getattr(getattr(app, "console", None), "commands", None)
        if settings is not None and hasattr(settings, "factory_reset"):
            settings.factory_reset()
        elif commands is not None and "reset" in getattr(commands, "table", ()):
            commands.execute("reset")  # the console's reset: defaults, never louder
        else:
            self._say("reset not available", now)
            return
        self._say("settings reset", now)

    # --- what changed without the panel: volume from the console, clipping ---
    def _watch(self, now):
        engine = self.app.engine
        count = getattr(engine, "clip_count", None)
        if count is not None:
            # a signal the limiter turned down would have clipped: the indicator says so too
            count += getattr(engine, "limit_count", 0)
            if self.clip_seen is not None and count != self.clip_seen:
                self.clip_until = self.clock.ticks_add(now, self.CLIP_HOLD_MS)
            self.clip_seen = count
        if self.note is not None and self.clock.ticks_diff(now, self.note_until) >= 0:
            self.note = None

    def clipping(self, now):
        return self.clip_seen is not None and self.clock.ticks_diff(self.clip_until, now) > 0

    # --- idle: dim, then blank; any input wakes ---
    def _wake(self, now):
        self.last_input = now
        if self.mode == STANDBY:
            return
        if self.display is not None and not self.display.on:
            self._display_power(True)
        if self.dimmed:
            self.dimmed = False
            self._display_contrast(self._contrast())

    def _idle(self, now):
        if self.display is None or self.mode == STANDBY:
            return
        idle = self.clock.ticks_diff(now, self.last_input)
        if self.blank_ms and idle >= self.blank_ms and self.display.on:
            self._display_power(False)
        elif idle >= self.dim_ms and not self.dimmed:
            self.dimmed = True
            self._display_contrast(self.DIM_CONTRAST)

    def _display_power(self, on):
        if self.display is None:
            return
        try:
            self.display.power(on)
        except OSError as e:
            self._display_failed(e)
        self.drawn_key = None  # redraw on wake

    def _display_contrast(self, level):
        if self.display is None:
            return
        try:
            self.display.contrast(level)
        except OSError as e:
            self._display_failed(e)

    # --- LED: the status light on every board, the only one without a display ---
    def _update_led(self, now):
        if self.led is None:
            return
        if self.mode == STANDBY:
            on = (now // self.BLINK_SLOW_MS) % 2 == 0
        elif self.mode == CONFIRM or self.mode == CONFIRM_HOLD:  # `in (..)` builds a tuple
            on = (now // self.BLINK_FAST_MS) % 2 == 0
        elif self.clipping(now):
            on = (now // self.BLINK_FAST_MS) % 2 == 0
        else:
            on = self.app.volume.muted
        if on != self.led_on:
            self.led_on = on
            self.led(1 if on else 0)

    # --- drawing ---
    def _fill_status(self, now):
        app = self.app
        volume, engine = app.volume, app.engine
        s = self.status
        s.volume_db = volume.target_db
        s.min_db = volume.min_db
        s.max_db = volume.max_db
        s.muted = volume.muted
        s.gain_mode = None
        if len(getattr(volume, "gain_modes", ())) > 1:  # one mode only: nothing to tell
            s.gain_mode = volume.gain_mode
        s.input_name = getattr(engine, "input_name", None)
        s.eq_preset = getattr(engine, "eq_preset", None)
        if getattr(engine, "eq_enabled", True) is False:
            s.eq_preset = "off"
        elif s.eq_preset is None and hasattr(engine, "eq_bands"):
            s.eq_preset = "custom"  # bands edited by hand
        spl = getattr(app, "spl_db", None)
        s.spl_db = spl() if spl is not None else None
        s.clipping = self.clipping(now)
        fault = getattr(volume, "fault", None)
        s.note = self.note or (None if fault is None else "fault: " + fault)
        return s

    def _screen_key(self, now):
        mode = self.mode
        menu = self.menu
        if mode == MENU and menu is not None:
            return (MENU, menu.title(), tuple(menu.rows()), menu.selected(), menu.editing)
        if mode == CONFIRM:
            return (CONFIRM, self.confirm_choice)
        if mode == BOOT_HOLD:
            return (BOOT_HOLD,)
        return (MAIN,) + self._fill_status(now).key()

    def _render(self, now):
        p = self.painter
        mode = self.mode
        menu = self.menu
        if mode == MENU and menu is not None:
            screens.menu_screen(p, menu.title(), menu.rows(), menu.selected(), menu.editing)
        elif mode == CONFIRM:
            screens.confirm_screen(
                p,
                ["factory reset?", "all settings", "to defaults"],
                ("no", "yes"),
                self.confirm_choice,
            )
        elif mode == BOOT_HOLD:
            screens.message_screen(p, ["keep holding", "for factory reset"])
        else:
            screens.main_screen(p, self.status)

    def _draw(self, now):
        display = self.display
        if display is None or not display.on:
            return
        try:
            if display.sending():
                display.send_pages(self.PAGES_PER_TICK)
                return
            if self.clock.ticks_diff(now, self.last_frame) < self.FRAME_MS:
                return
            key = self._screen_key(now)
            if key == self.drawn_key:
                return
            self._render(now)
            self.drawn_key = key
            self.last_frame = now
            self.redraws += 1
            display.begin_frame()
            display.send_pages(self.PAGES_PER_TICK)
        except OSError as e:
            self._display_failed(e)


def _open_menu(app, panel):
    """The knob menu (uamp/ui/menu.py), imported when it opens: on the RP2040 its code is not on
    the heap while nobody uses it (about 6.6 KB, bench-rp2 --heap), and it is dropped again when
    the menu closes (Panel._close_menu)."""
    from uamp.ui import menu

    return menu.Menu("menu", menu.build(app, panel), panel.changed)
