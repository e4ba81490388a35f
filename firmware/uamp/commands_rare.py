"""The console's rarely used commands: help, version, standby, limit, rate, eq, hp, reset.

uamp/commands.py imports this module for the line that needs it and, on a small heap, drops it
again afterwards: its code stays off the RP2040's heap while the amp plays (the bench-rp2
--heap table shows it). Each function takes the Commands object (`self`) and the arguments.
"""

from uamp import headphones, state
from uamp.commands import (
    CommandError,
    _int_if_whole,
    _need,
    _preset_words,
    _show,
    parse_number,
    parse_on_off,
    parse_range,
)

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


def cmd_eq(self, args):
    eng = self.app.engine
    if not args:
        _eq_show(self, eng)
        return
    sub = args[0]
    if sub in ("on", "off"):
        self._usage(args, 1, "eq on|off")
        _need(eng, "set_eq_enabled", "eq")(sub == "on")
        self.changed()
        _eq_show(self, eng)
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
        _eq_on(self, eng)
        self.changed()
        _eq_show(self, eng)
    elif sub in ("preset", "load"):
        self._usage(args, 2, "eq preset [name]")
        if len(args) == 1:
            _eq_presets(self, eng)
        else:
            _eq_load(self, eng, args[1])
    elif sub == "save":
        if len(args) != 2:
            raise CommandError("usage: eq save name")
        _eq_save(self, eng, args[1])
    else:
        raise CommandError("usage: eq [on|off | band N kind Hz dB Q | preset [name] | save name]")


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
    user = sorted(_user_presets(self))
    self.reply("presets: %s" % (" ".join(builtin) or "-"))
    self.reply("saved: %s" % (" ".join(user) or "-"))


def _eq_load(self, eng, name):
    user = _user_presets(self)
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
    _eq_on(self, eng)
    self.changed()
    _eq_show(self, eng)


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
    user = _user_presets(self)
    if name not in user and len(user) >= MAX_EQ_PRESETS:
        raise CommandError("at most %d saved presets" % MAX_EQ_PRESETS)
    user[name] = [list(b) for b in bands]
    self.changed()
    self.reply("eq preset '%s' saved (%d bands)" % (name, len(bands)))


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
        _hp_add(self, args[1:], profiles)
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
    _hp_show(self)


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


def cmd_reset(self, args):
    self._usage(args, 0, "reset")
    for line in state.reset(self.app):
        self.reply(line)
    self.reply("settings reset to defaults")
