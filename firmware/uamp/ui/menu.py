"""The knob menu: a tree of items, navigated with turn / push / long push.

Items read and change the live parts through the names in docs/seams.md (`app.volume`,
`app.engine`, `app.headphone`...). An item is only offered when its part offers the names it
needs, so a board (or a build) without, say, gain modes simply has no GAIN item. Values change
live as the knob turns; a part that refuses a value (ValueError) keeps its previous setting and
the menu shows why.
"""

from uamp.ui import offers

TYPE_CHECKING = False  # pyright reads this as True: the typing import is the checker's only
if TYPE_CHECKING:
    from typing import Callable


class Item:
    editable = False

    def __init__(self, label):
        self.label = label

    def value(self) -> str:
        return ""


class Info(Item):
    def __init__(self, label, get):
        super().__init__(label)
        self.get = get

    def value(self):
        return self.get()


class Choice(Item):
    """One of a list of names; turning steps through them (no wrap-around)."""

    editable = True

    def __init__(self, label, options, get, set, show=None):
        super().__init__(label)
        self.options = options
        self.get = get
        self.set = set
        self.show = show

    def value(self):
        current = self.get()
        return self.show(current) if self.show else str(current)

    def step(self, n):
        options = self.options()
        current = self.get()
        index = options.index(current) if current in options else 0
        new = max(0, min(len(options) - 1, index + n))
        if options and options[new] != current:
            self.set(options[new])


class Number(Item):
    editable = True

    def __init__(
        self,
        label,
        get,
        set,
        lo: "float | Callable[[], float]",
        hi: "float | Callable[[], float]",
        step,
        fmt,
    ):
        super().__init__(label)
        self.get = get
        self.set = set
        self.lo = lo
        self.hi = hi
        self.increment = step
        self.fmt = fmt

    def value(self):
        fmt = self.fmt
        return str(fmt(self.get())) if callable(fmt) else fmt % self.get()

    def step(self, n):
        lo, hi = (
            self.lo() if callable(self.lo) else self.lo,
            self.hi() if callable(self.hi) else self.hi,
        )
        current = self.get()
        new = max(lo, min(hi, current + n * self.increment))
        if new != current:
            self.set(new)


class Submenu(Item):
    def __init__(self, label, items: "list | Callable[[], list]"):
        super().__init__(label)
        self.items = items  # a list, or a function building it when the submenu opens

    def value(self):
        return ">"

    def build(self):
        return self.items() if callable(self.items) else self.items


class Action(Item):
    def __init__(self, label, run, value=""):
        super().__init__(label)
        self.run = run
        self._value = value

    def value(self):
        return self._value


class Menu:
    """Where the user is in the tree. turn(n), push(), back() return nothing; `open` goes False
    when the user leaves the top level."""

    def __init__(self, title, items, on_change):
        self.on_change = on_change
        self.stack = [(title, items, 0)]
        self.editing = False
        self.note = None
        self.open = True

    def _top(self):
        return self.stack[-1]

    def title(self):
        return self.note or self._top()[0]

    def items(self):
        return self._top()[1]

    def selected(self):
        return self._top()[2]

    def current(self):
        return self.items()[self.selected()]

    def rows(self):
        return [(item.label, item.value()) for item in self.items()]

    def turn(self, n):
        self.note = None
        if self.editing:
            try:
                self.current().step(n)
            except ValueError as e:
                self.note = str(e)
            return
        title, items, selected = self._top()
        self.stack[-1] = (title, items, max(0, min(len(items) - 1, selected + n)))

    def push(self):
        self.note = None
        item = self.current()
        if self.editing:
            self.editing = False
            self.on_change()
        elif isinstance(item, Submenu):
            items = item.build()
            if items:
                self.stack.append((item.label, [Action("< back", self.back)] + items, 0))
        elif item.editable:
            self.editing = True
        elif isinstance(item, Action):
            item.run()

    def back(self):
        self.note = None
        if self.editing:
            self.editing = False
            self.on_change()
        elif len(self.stack) > 1:
            self.stack.pop()
        else:
            self.open = False

    def close(self):
        if self.editing:
            self.editing = False
            self.on_change()
        self.open = False


def _name(thing):
    if thing is None:
        return "none"
    if isinstance(thing, dict):
        return str(thing.get("name", "?"))
    return str(getattr(thing, "name", thing))


def _db(value):
    return ("%+.1f dB" % value) if value else "0.0 dB"


def _eq_band_items(engine):
    items = []
    for index, band in enumerate(engine.eq_bands()):
        items.append(_band_item(engine, index, band))
    return items


_KIND = {"lowshelf": "low", "highshelf": "high", "highpass": "hpf", "lowpass": "lpf"}


def _band_item(engine, index, band):
    # eq_bands() gives (kind, freq_hz, gain_db, q) per band, the order set_eq_band takes.
    kind, freq = band[0], band[1]
    label = "%d %s %s" % (index + 1, _KIND.get(kind) or str(kind)[:4], _hz(freq))

    def get():
        return engine.eq_bands()[index][2]

    def set(gain_db):
        now = engine.eq_bands()[index]
        engine.set_eq_band(index, now[0], now[1], gain_db, now[3])
        if hasattr(engine, "set_eq_enabled") and not engine.eq_enabled:
            engine.set_eq_enabled(True)  # a band being tuned is meant to be heard

    return Number(label, get, set, -12.0, 12.0, 0.5, _db)


def _hz(freq):
    return ("%dk" % (freq // 1000)) if freq >= 1000 and freq % 1000 == 0 else ("%d" % freq)


def build(app, panel):
    """The menu for this board's parts, in the order people use them."""
    volume = app.volume
    engine = app.engine
    items = []
    if offers(engine, "inputs", "select_input", "input_name") and len(engine.inputs) > 1:
        items.append(
            Choice("Input", lambda: engine.inputs, lambda: engine.input_name, engine.select_input)
        )
    if offers(volume, "gain_modes", "set_gain_mode", "gain_mode") and len(volume.gain_modes) > 1:
        items.append(
            Choice("Gain", lambda: volume.gain_modes, lambda: volume.gain_mode, panel.set_gain)
        )
    if offers(engine, "set_bass", "bass_db"):
        items.append(Number("Bass", lambda: engine.bass_db, engine.set_bass, 0, 12, 1, _db))
    if offers(engine, "eq_presets", "load_eq_preset", "eq_preset"):
        items.append(
            Choice(
                "EQ preset",
                lambda: engine.eq_presets,
                lambda: engine.eq_preset,
                panel.load_eq_preset,
                lambda name: name or "-",  # None: bands set by hand
            )
        )
    if offers(engine, "eq_enabled", "set_eq_enabled"):
        items.append(
            Choice(
                "EQ",
                lambda: (False, True),
                lambda: engine.eq_enabled,
                engine.set_eq_enabled,
                lambda on: "on" if on else "off",
            )
        )
    if offers(engine, "eq_bands", "set_eq_band"):
        items.append(Submenu("EQ bands", lambda: _eq_band_items(engine)))
    if offers(engine, "set_crossfeed", "crossfeed"):
        items.append(
            Number(
                "Crossfeed",
                lambda: engine.crossfeed,
                engine.set_crossfeed,
                0,
                3,
                1,
                lambda level: "off" if not level else str(level),
            )
        )
    if offers(volume, "set_balance", "balance_db"):
        items.append(
            Number("Balance", lambda: volume.balance_db, volume.set_balance, -6, 6, 0.5, _balance)
        )
    if offers(app, "user_limit_db", "settings", "headphone"):
        # The settings part keeps the headphone profiles and the user's limit; uamp.state
        # combines them (with the gain mode) into the cap in force.
        items.append(
            Choice(
                "Headphone",
                lambda: ("none",) + tuple(sorted(app.settings.values.get("headphones") or ())),
                lambda: _name(app.headphone),
                panel.set_headphone,
            )
        )
        items.append(
            Number(
                "Max volume",
                panel.user_limit_db,
                panel.set_user_limit,
                lambda: volume.min_db + 10,
                panel.board_max_db,
                1,
                lambda db: "%.1f dB" % db,
            )
        )
    elif offers(volume, "set_limit", "max_db"):
        items.append(
            Number(
                "Max volume",
                lambda: volume.max_db,
                volume.set_limit,
                lambda: volume.min_db + 10,
                panel.board_max_db,
                1,
                lambda db: "%.1f dB" % db,
            )
        )
    if panel.display is not None:
        items.append(
            Number("Brightness", lambda: panel.brightness, panel.set_brightness, 1, 10, 1, "%d")
        )
    items.append(
        Number(
            "Knob limit",
            lambda: panel.accel.cap_db_s,
            panel.set_knob_limit,
            panel.accel.CAP_MIN,
            panel.accel.CAP_MAX,
            5,
            "%d dB/s",
        )
    )
    items.append(Submenu("About", lambda: _about(app)))
    return items


def _balance(db):
    if not db:
        return "center"
    return ("R %.1f dB" % db) if db > 0 else ("L %.1f dB" % -db)


def _about(app):
    from uamp import VERSION

    return [
        Info("Version", lambda: VERSION),
        Info("MCU", lambda: app.profile["mcu"]),
        Info(app.profile["name"], lambda: ""),
    ]
