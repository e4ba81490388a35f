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


# Commands a user types now and then live in uamp/commands_rare.py (help, eq, hp, ...): on the
# RP2040 that module is imported for the line and dropped again, so its code is not on the heap
# while the amp plays (about 10 KB as .mpy). On a big heap (the unix port, CPython) it stays.
RARE = ("help", "version", "standby", "limit", "rate", "eq", "hp", "reset")


class Commands:
    def __init__(self, app, reply):
        self.app = app
        self.reply = reply
        self.table: "dict" = {
            "status": self.cmd_status,
            "vol": self.cmd_vol,
            "mute": self.cmd_mute,
            "gain": self.cmd_gain,
            "bal": self.cmd_bal,
            "input": self.cmd_input,
            "bass": self.cmd_bass,
            "xfeed": self.cmd_xfeed,
            "save": self.cmd_save,
        }
        for name in RARE:
            self.table[name] = None  # uamp/commands_rare.py cmd_<name>
        self.last_xfeed = XFEED_DEFAULT

    def execute(self, line):
        """Run one line. Never raises (but lets KeyboardInterrupt through: it is not an
        Exception, and it must reach the REPL)."""
        words = line.split()
        if not words:
            return
        if words[0] not in self.table:
            self.reply("error: unknown command '%s' (try 'help')" % words[0][:16])
            return
        if len(words) > MAX_WORDS:
            self.reply("error: too many words")
            return
        handler = self.table[words[0]]
        try:
            if handler is None:
                self.run_rare(words[0], words[1:])
            else:
                handler(words[1:])
        except ValueError as e:  # CommandError, or a part refusing a value
            self.reply("error: %s" % e)
        except Exception as e:  # noqa: BLE001 - a bug in a part must not kill the console
            self.reply("error: internal: %s" % repr(e)[:60])

    def run_rare(self, name, args):
        """cmd_<name> of uamp/commands_rare.py; on a small heap the module is dropped after."""
        from uamp import commands_rare, forget

        try:
            getattr(commands_rare, "cmd_" + name)(self, args)
        finally:
            forget("uamp.commands_rare")

    def changed(self):
        settings = getattr(self.app, "settings", None)
        if settings is not None:
            settings.changed()

    def _usage(self, args, most, usage):
        if len(args) > most:
            raise CommandError("usage: " + usage)

    # --- general ---
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

    # --- audio engine ---
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

    # --- headphones ---
    def hp_warnings(self):
        app = self.app
        if app.headphone is None or app.chain is None:
            return []
        return headphones.warnings(
            app.headphone, app.chain, app.board_max_db, state.mode_gain_db(app)
        )

    # --- settings ---
    def cmd_save(self, args):
        self._usage(args, 0, "save")
        settings = self.app.settings
        if not settings.save(report=False):
            raise CommandError("settings not saved (%s)" % settings.error)
        self.reply("settings saved")
