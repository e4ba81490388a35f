"""The console's commands. Each one checks all its arguments before it changes anything, so a
bad line gets one `error: ...` reply and leaves every setting as it was. The parts are reached
only through the names in docs/seams.md; a part that lacks a name answers "not supported".
"""

import json

from uamp import headphones, state

MAX_WORDS = 8
XFEED_DEFAULT = 1


class CommandError(ValueError):
    pass


def parse_number(word, what="number"):
    """A plain decimal number ("-20", "3.5", "+6", optional "dB" suffix). Rejects nan, inf,
    exponents and underscores, which float() would take."""
    text = word.lower()
    if text.endswith("db"):
        text = text[:-2]
    digits = 0
    dots = 0
    for i, ch in enumerate(text):
        if "0" <= ch <= "9":
            digits += 1
        elif ch == ".":
            dots += 1
        elif not (ch in "+-" and i == 0):
            digits = -1
            break
    if digits <= 0 or dots > 1 or len(text) > 10:
        raise CommandError("not a number: '%s' (%s)" % (word[:16], what))
    return float(text) + 0.0  # "-0" is 0 (else it shows as "-0.0 dB")


def parse_range(word, what, lo, hi):
    value = parse_number(word, what)
    if not lo <= value <= hi:
        raise CommandError("%s must be %g..%g, got %s" % (what, lo, hi, word))
    return value


def parse_on_off(word, current):
    if word == "on":
        return True
    if word == "off":
        return False
    if word == "toggle":
        return not current
    raise CommandError("expected on, off or toggle, got '%s'" % word[:16])


def _int_if_whole(value):
    return int(value) if value == int(value) else value


def _need(part, name, command):
    func = getattr(part, name, None)
    if func is None:
        raise CommandError("'%s' is not supported by this build" % command)
    return func


def _show(value):
    return "-" if value is None else str(value)


def _xfeed_words(level):
    return "on (level %d)" % level if level else "off"


def _preset_words(eng):
    """The preset's name; 'custom' once a band was edited by hand (as the display says), 'none'
    while no preset was chosen and every band is still flat (a first boot)."""
    preset = getattr(eng, "eq_preset", None)
    bands = getattr(eng, "eq_bands", None)
    if preset is not None or bands is None:
        return _show(preset)
    for kind, _freq, gain, _q in bands():
        if gain or kind not in ("peak", "lowshelf", "highshelf"):
            return "custom"
    return "none"


HELP = (
    ("help", "this list"),
    ("status [--json]", "everything at a glance (--json: one line for tools)"),
    ("vol [dB | +N | up [N] | down [N]]", "show or set the volume: 'vol -20' is a level,"),
    ("", "'vol +3', 'vol up 3', 'vol down 3' are steps (-N is always a level)"),
    ("mute [on|off|toggle]", "show or set mute"),
    ("gain [mode]", "show or set the gain mode"),
    ("bal [dB]", "balance, positive = right louder"),
    ("input [name]", "show or select the input"),
    ("eq [on|off | band N kind Hz dB Q | preset [name] | save name]", "equalizer"),
    ("bass [dB]", "bass shelf"),
    ("xfeed [on|off|level]", "crossfeed"),
    ("hp [list | use name | off | add name ohm sens mw|v [max dB] | del name]", "headphones"),
    ("limit [dB|off]", "your maximum volume"),
    ("rate [44100|48000|96000]", "show or set the sample rate (Hz)"),
    ("standby [on|off]", "show, enter or leave standby (amp off)"),
    ("save", "write the settings now"),
    ("reset", "settings back to defaults (never louder)"),
    ("version", "firmware version"),
)


class Commands:
    def __init__(self, app, reply):
        self.app = app
        self.reply = reply
        self.table = {
            "help": self.cmd_help,
            "status": self.cmd_status,
            "vol": self.cmd_vol,
            "mute": self.cmd_mute,
            "gain": self.cmd_gain,
            "bal": self.cmd_bal,
            "input": self.cmd_input,
            "eq": self.cmd_eq,
            "bass": self.cmd_bass,
            "xfeed": self.cmd_xfeed,
            "hp": self.cmd_hp,
            "limit": self.cmd_limit,
            "rate": self.cmd_rate,
            "standby": self.cmd_standby,
            "save": self.cmd_save,
            "reset": self.cmd_reset,
            "version": self.cmd_version,
        }
        self.last_xfeed = XFEED_DEFAULT

    def execute(self, line):
        """Run one line. Never raises (but lets KeyboardInterrupt through: it is not an
        Exception, and it must reach the REPL)."""
        words = line.split()
        if not words:
            return
        handler = self.table.get(words[0])
        if handler is None:
            self.reply("error: unknown command '%s' (try 'help')" % words[0][:16])
            return
        if len(words) > MAX_WORDS:
            self.reply("error: too many words")
            return
        try:
            handler(words[1:])
        except ValueError as e:  # CommandError, or a part refusing a value
            self.reply("error: %s" % e)
        except Exception as e:  # noqa: BLE001 - a bug in a part must not kill the console
            self.reply("error: internal: %s" % repr(e)[:60])

    def changed(self):
        settings = getattr(self.app, "settings", None)
        if settings is not None:
            settings.changed()

    def _usage(self, args, most, usage):
        if len(args) > most:
            raise CommandError("usage: " + usage)

    # --- general ---
    def cmd_help(self, args):
        self._usage(args, 0, "help")
        for usage, text in HELP:
            if len(usage) > 30:
                self.reply(usage)
                usage = ""
            self.reply("%-30s %s" % (usage, text))

    def cmd_version(self, args):
        self._usage(args, 0, "version")
        from uamp import VERSION

        self.reply("uamp %s" % VERSION)

    def status(self):
        app = self.app
        vol = app.volume
        eng = app.engine
        spl = app.spl_db()
        return {
            "volume_db": vol.target_db,
            "mute": state.user_muted(app) if self._standby() else bool(vol.muted),
            "gain": getattr(vol, "gain_mode", None),
            "balance_db": getattr(vol, "balance_db", 0.0),
            "input": getattr(eng, "input_name", None),
            "eq": {
                "enabled": bool(getattr(eng, "eq_enabled", False)),
                "preset": getattr(eng, "eq_preset", None),
            },
            "crossfeed": getattr(eng, "crossfeed", 0),
            "headphone": None if app.headphone is None else app.headphone.name,
            "spl_db": None if spl is None else round(spl, 1),
            "clip_count": getattr(eng, "clip_count", None),  # None: this engine does not count
            # buffers the limiter turned down (a boost that would have clipped), and by how
            # much it holds the gain down now (dB)
            "limit_count": getattr(eng, "limit_count", None),
            "limit_db": round(eng.limit_db(), 1) if hasattr(eng, "limit_db") else None,
            "underruns": getattr(eng, "underruns", None),
            "audio_faults": getattr(eng, "faults", None),  # the callback caught and silenced
            "rate": getattr(eng, "rate", None),
            "uptime": app.uptime_s(),
            "standby": self._standby(),
        }

    def _standby(self):
        in_standby = getattr(self.app, "in_standby", None)
        return bool(in_standby is not None and in_standby())

    def _awake(self, command):
        """Level and mute commands wait for the amp to be on, as the panel's knob and mute
        button do: in standby they would move the volume chip of an amp that is off."""
        if self._standby():
            raise CommandError("in standby: '%s' waits for 'standby off'" % command)

    def cmd_standby(self, args):
        self._usage(args, 1, "standby [on|off]")
        app = self.app
        if args:
            on = parse_on_off(args[0], self._standby())
            if on != self._standby():
                # ValueError while busy (powering up, changing rate): nothing changes
                _need(app, "shutdown" if on else "wake", "standby")()
                self.reply("standby on (fading out, amp off)" if on else "standby off (waking)")
                return
        self.reply("standby %s" % ("on" if self._standby() else "off"))

    def cmd_status(self, args):
        if args and args != ["--json"]:
            raise CommandError("usage: status [--json]")
        s = self.status()
        if args:
            self.reply(json.dumps(s))
            return
        limit = state.effective_limit(self.app)
        self.reply(
            "vol %.1f dB (max %.1f)  mute %s  gain %s  bal %.1f dB"
            % (
                s["volume_db"],
                limit,
                "on" if s["mute"] else "off",
                _show(s["gain"]),
                s["balance_db"],
            )
        )
        eq = s["eq"]
        self.reply(
            "input %s  rate %s Hz  eq %s (%s)  xfeed %s"
            % (
                _show(s["input"]),
                _show(s["rate"]),
                "on" if eq["enabled"] else "off",
                _preset_words(self.app.engine),
                _xfeed_words(s["crossfeed"]),
            )
        )
        if s["headphone"] is None:
            self.reply("hp none (no SPL without a headphone profile: 'hp add', 'hp use')")
        elif s["spl_db"] is None:
            self.reply("hp %s  SPL unknown (no output data in the board profile)" % s["headphone"])
        else:
            self.reply("hp %s  %.1f dB SPL at 0 dBFS" % (s["headphone"], s["spl_db"]))
        limited = _show(s["limit_count"])
        if s["limit_db"]:
            limited += " (now %.1f dB)" % s["limit_db"]
        self.reply(
            "clips %s  limited %s  underruns %s  up %d s"
            % (_show(s["clip_count"]), limited, _show(s["underruns"]), s["uptime"])
        )
        if s["audio_faults"]:
            self.reply(
                "audio faults %d (last %s): each played silence; the callback runs unlocked"
                % (s["audio_faults"], self.app.engine.fault)
            )
        if s["standby"]:
            self.reply("standby: amp off ('standby off' wakes)")
        hold = getattr(self.app, "floor_hold", None)
        if hold:
            self.reply("muted: %s" % hold)
        fault = getattr(self.app.volume, "fault", None)
        if fault:
            self.reply("fault: %s (muted; 'mute off' retries)" % fault)

    # --- volume controller ---
    def cmd_vol(self, args):
        vol = self.app.volume
        usage = "vol [dB | +N | up [N] | down [N]]"
        self._usage(args, 2, usage)
        if args:
            self._awake("vol")
            if args[0] in ("up", "down"):
                step = 1.0
                if len(args) == 2:
                    step = parse_range(args[1], "step", 0, 60)
                target = vol.target_db + (step if args[0] == "up" else -step)
            elif len(args) == 1 and args[0].startswith("+"):
                # An explicit plus is a step up; "-20" stays an absolute level.
                target = vol.target_db + parse_range(args[0], "step", 0, 60)
            elif len(args) == 1:
                # The real range: the volume's floor to the board's cap (limits sit below it)
                target = parse_range(
                    args[0], "volume", state.volume_floor(self.app), self.app.board_max_db
                )
            else:
                raise CommandError("usage: " + usage)
            reached = vol.set_db(target)
            self.changed()
            if reached is not None and reached < target:
                # a limit, the headphone's cap or the gain mode's: say so, with the level reached
                self.reply("vol %.1f dB (capped by max %.1f)" % (reached, vol.max_db))
                return
            if reached is not None and reached > target:
                self.reply("vol %.1f dB (the floor)" % reached)
                return
        self.reply("vol %.1f dB" % vol.target_db)

    def cmd_mute(self, args):
        vol = self.app.volume
        self._usage(args, 1, "mute [on|off|toggle]")
        if args:
            self._awake("mute")
            on = parse_on_off(args[0], vol.muted)
            hold = getattr(self.app, "floor_hold", None)
            if hold and not on:
                raise CommandError("stays muted: %s" % hold)
            if hold:
                self.app.floor_resume = False  # the user wants it muted: stays so after the hold
            vol.mute(on)
            self.changed()
        self.reply("mute %s" % ("on" if self.status()["mute"] else "off"))

    def cmd_gain(self, args):
        vol = self.app.volume
        self._usage(args, 1, "gain [mode]")
        modes = getattr(vol, "gain_modes", ())
        if args:
            self._awake("gain")
            if args[0] not in modes:
                raise CommandError(
                    "unknown gain mode '%s' (modes: %s)" % (args[0][:16], " ".join(modes) or "-")
                )
            _need(vol, "set_gain_mode", "gain")(args[0])
            self.changed()
        self.reply(
            "gain %s (modes: %s)"
            % (_show(getattr(vol, "gain_mode", None)), " ".join(modes) or "-")
        )

    def cmd_bal(self, args):
        vol = self.app.volume
        self._usage(args, 1, "bal [dB]")
        if args:
            self._awake("bal")
            db = parse_range(args[0], "balance", -40, 40)
            _need(vol, "set_balance", "bal")(db)
            self.changed()
        self.reply("bal %.1f dB" % getattr(vol, "balance_db", 0.0))

    def cmd_limit(self, args):
        app = self.app
        self._usage(args, 1, "limit [dB|off]")
        if args:
            if args[0] == "off":
                limit = None
            else:
                limit = parse_range(args[0], "limit", -150, 40)
                app.volume.set_limit(limit)  # its range check: ValueError, nothing changed
            app.user_limit_db = limit
            state.apply_limit(app)
            self.changed()
        user = "off" if app.user_limit_db is None else "%.1f dB" % app.user_limit_db
        self.reply("limit %s (in force: %.1f dB)" % (user, state.effective_limit(app)))

    # --- audio engine ---
    def cmd_rate(self, args):
        app = self.app
        self._usage(args, 1, "rate [44100|48000|96000]")
        rate = getattr(app.engine, "rate", None)
        if args:
            wanted = _int_if_whole(parse_number(args[0], "rate"))
            if wanted != rate:
                _need(app, "set_sample_rate", "rate")(wanted)  # ValueError: nothing changed
                self.changed()
                self.reply("rate %d Hz (fading out, switching, fading back in)" % wanted)
                return
        self.reply("rate %s Hz" % _show(rate))

    def cmd_input(self, args):
        eng = self.app.engine
        self._usage(args, 1, "input [name]")
        names = getattr(eng, "inputs", ())
        if args:
            if args[0] not in names:
                raise CommandError(
                    "unknown input '%s' (inputs: %s)" % (args[0][:16], " ".join(names) or "-")
                )
            _need(eng, "select_input", "input")(args[0])
            self.changed()
        self.reply(
            "input %s (inputs: %s)"
            % (_show(getattr(eng, "input_name", None)), " ".join(names) or "-")
        )

    def cmd_bass(self, args):
        eng = self.app.engine
        self._usage(args, 1, "bass [dB]")
        if args:
            db = parse_range(args[0], "bass", -40, 40)
            _need(eng, "set_bass", "bass")(db)
            self.changed()
        self.reply("bass %.1f dB" % getattr(eng, "bass_db", 0.0))

    def cmd_xfeed(self, args):
        eng = self.app.engine
        self._usage(args, 1, "xfeed [on|off|level]")
        if args:
            set_crossfeed = _need(eng, "set_crossfeed", "xfeed")
            if args[0] == "on":
                level = self.last_xfeed
            elif args[0] == "off":
                level = 0
            else:
                level = _int_if_whole(parse_range(args[0], "crossfeed level", 0, 100))
            set_crossfeed(level)
            if level:
                self.last_xfeed = level
            self.changed()
        self.reply("xfeed %s" % _xfeed_words(getattr(eng, "crossfeed", 0)))

    def cmd_eq(self, args):
        eng = self.app.engine
        if not args:
            self._eq_show(eng)
            return
        sub = args[0]
        if sub in ("on", "off"):
            self._usage(args, 1, "eq on|off")
            _need(eng, "set_eq_enabled", "eq")(sub == "on")
            self.changed()
            self._eq_show(eng)
        elif sub == "band":
            if len(args) != 6:
                raise CommandError("usage: eq band N kind Hz dB Q")
            count = len(_need(eng, "eq_bands", "eq band")())
            index = parse_range(args[1], "band number", 1, count)
            if index != int(index):
                raise CommandError("band number must be whole, got %s" % args[1])
            freq = parse_range(args[3], "frequency", 1, 100000)
            gain = parse_range(args[4], "gain", -40, 40)
            q = parse_range(args[5], "Q", 0.01, 100)
            _need(eng, "set_eq_band", "eq band")(int(index) - 1, args[2], freq, gain, q)
            self._eq_on(eng)
            self.changed()
            self._eq_show(eng)
        elif sub in ("preset", "load"):
            self._usage(args, 2, "eq preset [name]")
            if len(args) == 1:
                self._eq_presets(eng)
            else:
                self._eq_load(eng, args[1])
        elif sub == "save":
            if len(args) != 2:
                raise CommandError("usage: eq save name")
            self._eq_save(eng, args[1])
        else:
            raise CommandError(
                "usage: eq [on|off | band N kind Hz dB Q | preset [name] | save name]"
            )

    def _eq_show(self, eng):
        enabled = getattr(eng, "eq_enabled", False)
        self.reply("eq %s (preset %s)" % ("on" if enabled else "off", _preset_words(eng)))
        bands = getattr(eng, "eq_bands", None)
        if bands is not None:
            for i, band in enumerate(bands()):
                kind, freq, gain, q = band
                self.reply("  %d: %s %g Hz %+.1f dB Q %.2f" % (i + 1, kind, freq, gain, q))

    def _user_presets(self):
        return self.app.settings.values["eq_user"]

    def _eq_presets(self, eng):
        builtin = list(getattr(eng, "eq_presets", ()))
        user = sorted(self._user_presets())
        self.reply("presets: %s" % (" ".join(builtin) or "-"))
        self.reply("saved: %s" % (" ".join(user) or "-"))

    def _eq_load(self, eng, name):
        user = self._user_presets()
        if name in getattr(eng, "eq_presets", ()):
            _need(eng, "load_eq_preset", "eq preset")(name)
        elif name in user:
            set_band = _need(eng, "set_eq_band", "eq preset")
            bands = user[name]
            current = eng.eq_bands()
            try:
                for i, band in enumerate(bands):
                    set_band(i, *band)
            except ValueError:
                for i, band in enumerate(current):  # all or nothing
                    set_band(i, *band)
                raise
        else:
            raise CommandError("no EQ preset '%s'" % name[:16])
        self._eq_on(eng)
        self.changed()
        self._eq_show(eng)

    def _eq_on(self, eng):
        """A preset chosen or a band set is meant to be heard: the EQ goes on, as the panel's
        preset choice does ('eq off' switches it off)."""
        set_enabled = getattr(eng, "set_eq_enabled", None)
        if set_enabled is not None:
            set_enabled(True)

    def _eq_save(self, eng, name):
        from uamp.settings import MAX_EQ_PRESETS

        headphones.check_name(name)
        if name in getattr(eng, "eq_presets", ()):
            raise CommandError("'%s' is a built-in preset: choose another name" % name)
        bands = _need(eng, "eq_bands", "eq save")()
        user = self._user_presets()
        if name not in user and len(user) >= MAX_EQ_PRESETS:
            raise CommandError("at most %d saved presets" % MAX_EQ_PRESETS)
        user[name] = [list(b) for b in bands]
        self.changed()
        self.reply("eq preset '%s' saved (%d bands)" % (name, len(bands)))

    # --- headphones ---
    def cmd_hp(self, args):
        app = self.app
        profiles = app.settings.values["headphones"]
        sub = args[0] if args else None
        if sub is None:
            self._usage(args, 0, "hp")
        elif sub == "list":
            self._usage(args, 1, "hp list")
            for name in sorted(profiles):
                hp = headphones.Headphone.from_dict(name, profiles[name])
                mark = "*" if app.headphone is not None and app.headphone.name == name else " "
                self.reply("%s %s" % (mark, hp.describe()))
            if not profiles:
                self.reply("no headphone profiles (add one: hp add name ohm sens mw|v)")
            return
        elif sub == "use":
            if len(args) != 2:
                raise CommandError("usage: hp use name")
            state.select_headphone(app, args[1])
        elif sub == "off":
            self._usage(args, 1, "hp off")
            state.select_headphone(app, None)
        elif sub == "add":
            self._hp_add(args[1:], profiles)
            return
        elif sub == "del":
            if len(args) != 2 or args[1] not in profiles:
                raise CommandError("usage: hp del name (an existing profile)")
            del profiles[args[1]]
            if app.headphone is not None and app.headphone.name == args[1]:
                app.headphone = None
                state.apply_limit(app)
            self.changed()
            self.reply("hp profile '%s' deleted" % args[1])
            return
        else:
            raise CommandError("usage: hp [list | use name | off | add ... | del name]")
        self._hp_show()

    def _hp_add(self, args, profiles):
        from uamp.settings import MAX_PROFILES

        usage = "usage: hp add name ohm sens mw|v [max dB]"
        if len(args) not in (4, 6) or (len(args) == 6 and args[4] != "max"):
            raise CommandError(usage)
        name = headphones.check_name(args[0])
        ohm = parse_number(args[1], "impedance")
        sens = parse_number(args[2], "sensitivity")
        # no "max": a safe cap all the same (an IEM would otherwise reach 109 dB SPL at 0 dB)
        max_spl = headphones.DEFAULT_MAX_SPL_DB
        if len(args) == 6:
            max_spl = parse_number(args[5], "max SPL")
        hp = headphones.Headphone(name, ohm, sens, args[3], max_spl)  # validates every field
        if name not in profiles and len(profiles) >= MAX_PROFILES:
            raise CommandError("at most %d headphone profiles" % MAX_PROFILES)
        profiles[name] = hp.to_dict()
        if self.app.headphone is not None and self.app.headphone.name == name:
            self.app.headphone = hp
            state.apply_limit(self.app)
        self.changed()
        default = " (the default cap; 'max dB' sets another)" if len(args) == 4 else ""
        self.reply("hp profile added: %s%s" % (hp.describe(), default))

    def hp_warnings(self):
        app = self.app
        if app.headphone is None or app.chain is None:
            return []
        return headphones.warnings(
            app.headphone, app.chain, app.board_max_db, state.mode_gain_db(app)
        )

    def _hp_show(self):
        app = self.app
        hp = app.headphone
        if hp is None:
            self.reply("hp none")
            return
        self.reply("hp %s" % hp.describe())
        if app.chain is None:
            self.reply("no output chain data in the board profile: SPL unknown")
            return
        self.reply(
            "%.1f dB SPL at 0 dBFS now; volume capped at %.1f dB"
            % (app.spl_db(), state.effective_limit(app))
        )
        for line in self.hp_warnings():
            self.reply(line)

    # --- settings ---
    def cmd_save(self, args):
        self._usage(args, 0, "save")
        settings = self.app.settings
        if not settings.save(report=False):
            raise CommandError("settings not saved (%s)" % settings.error)
        self.reply("settings saved")

    def cmd_reset(self, args):
        self._usage(args, 0, "reset")
        for line in state.reset(self.app):
            self.reply(line)
        self.reply("settings reset to defaults")
