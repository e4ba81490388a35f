"""Test-only stand-ins for the names in docs/seams.md that other parts do not offer yet.

`augment(board)` wraps the running app's real volume controller and audio engine: every name
the real part has is used as is; only the names it lacks come from the small fakes below. So
the panel tests run against the real parts as soon as they land, with no change here.
"""


class Augmented:
    def __init__(self, real, extra):
        self._real = real
        self._extra = extra
        extra.real = real

    def __getattr__(self, name):  # only called for names not found on the wrapper itself
        real = self._real
        if hasattr(real, name):
            return getattr(real, name)
        return getattr(self._extra, name)


def _number(value):
    return type(value) in (int, float) and value == value


class VolumeExtras:
    gain_modes = ("low", "high")

    def __init__(self, board_max_db):
        self.gain_mode = "low"
        self.balance_db = 0.0
        self.board_max_db = board_max_db
        self.real = None

    def set_gain_mode(self, name):
        if name not in self.gain_modes:
            raise ValueError("gain mode must be low or high")
        self.gain_mode = name

    def set_balance(self, db):
        if not _number(db) or not -6 <= db <= 6:
            raise ValueError("balance must be -6..6 dB")
        self.balance_db = db

    def set_limit(self, db):
        if not _number(db) or db > self.board_max_db or db < self.real.min_db:
            raise ValueError("limit must be at most %.1f dB" % self.board_max_db)
        self.real.max_db = db
        self.real.set_db(self.real.target_db)


class EngineExtras:
    inputs = ("tone", "i2s")
    eq_presets = ("flat", "harman", "bass")

    def __init__(self):
        self.input_name = "tone"
        self.eq_preset = "flat"
        self.eq_enabled = True
        self.bands = [
            ("peak", 100, 0.0, 0.7),
            ("peak", 1000, 0.0, 1.0),
            ("shelf", 8000, 0.0, 0.7),
        ]
        self.bass_db = 0
        self.crossfeed = 0
        self.clip_count = 0
        self.real = None

    def select_input(self, name):
        if name not in self.inputs:
            raise ValueError("no input '%s'" % name)
        self.input_name = name

    def load_eq_preset(self, name):
        if name not in self.eq_presets:
            raise ValueError("no preset '%s'" % name)
        self.eq_preset = name

    def set_eq_enabled(self, on):
        self.eq_enabled = bool(on)

    def eq_bands(self):
        return list(self.bands)

    def set_eq_band(self, index, kind, freq_hz, gain_db, q):
        if not -12 <= gain_db <= 12:
            raise ValueError("band gain must be -12..12 dB")
        self.bands[index] = (kind, freq_hz, gain_db, q)

    def set_bass(self, db):
        if not 0 <= db <= 10:  # deliberately narrower than the menu: tests the refusal path
            raise ValueError("bass must be 0..10 dB")
        self.bass_db = db

    def set_crossfeed(self, level):
        if level not in (0, 1, 2, 3):
            raise ValueError("crossfeed level must be 0..3")
        self.crossfeed = level


class SettingsSpy:
    """Counts what the panel asks of the settings part; the real part (or a fake) still runs."""

    def __init__(self, app):
        self.changes = 0
        self.resets = 0
        settings = getattr(app, "settings", None)
        if settings is None:
            settings = _NoSettings()
            app.settings = settings
        real_changed = settings.changed

        def changed():
            self.changes += 1
            real_changed()

        settings.changed = changed
        if hasattr(settings, "factory_reset"):
            real_reset = settings.factory_reset

            def factory_reset():
                self.resets += 1
                real_reset()

            settings.factory_reset = factory_reset
        else:
            commands = app.console.commands
            real_cmd = commands.table["reset"]

            def cmd_reset(args):
                self.resets += 1
                real_cmd(args)

            commands.table["reset"] = cmd_reset


class _NoSettings:
    def changed(self):
        pass

    def tick(self):
        pass


def augment(board, spl_db=None):
    """Give the board's app the seams' names it lacks; returns (volume extras, engine extras,
    settings spy) for assertions."""
    app = board.app
    volume_extra = VolumeExtras(app.panel.board_max_db)
    engine_extra = EngineExtras()
    app.volume = Augmented(app.volume, volume_extra)
    app.engine = Augmented(app.engine, engine_extra)
    spy = SettingsSpy(app)
    if spl_db is not None and app.spl_db() is None:
        app.spl_db = lambda: spl_db + app.volume.target_db
    return volume_extra, engine_extra, spy
