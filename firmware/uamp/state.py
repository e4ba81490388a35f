"""The user's state across the parts: what is saved, how it comes back at boot, and the loudness
guard (headphone profile + user limit -> the volume cap in force).

The other parts are reached only through the names in docs/seams.md. A part that lacks a name
(built in parallel, or a board without that feature) is skipped, never an error at boot.
"""

import math

from uamp import headphones

TYPE_CHECKING = False  # pyright reads this as True: the typing import is the checker's only
if TYPE_CHECKING:
    from typing import Any


def _get(obj, name, default: "Any" = None) -> "Any":
    return getattr(obj, name, default)


def capture(app, values):
    """The values to save: the live parts' state over what only the settings keep. Before
    power-up has restored the saved state, the parts hold boot transients (the ramp's start,
    muted): the loaded values stand then. The mute saved is the user's, not a rate change's
    or a standby's fade (nor a cap hold's)."""
    out = dict(values)
    if not getattr(app, "restored", True):
        return out
    vol = app.volume
    out["volume_db"] = vol.target_db
    out["mute"] = user_muted(app)
    out["limit_db"] = app.user_limit_db
    out["balance_db"] = float(_get(vol, "balance_db", 0.0))
    out["gain"] = _get(vol, "gain_mode")
    eng = app.engine
    out["input"] = _get(eng, "input_name")
    out["eq_enabled"] = bool(_get(eng, "eq_enabled", False))
    out["eq_preset"] = _get(eng, "eq_preset")
    bands = _get(eng, "eq_bands")
    out["eq_bands"] = None if bands is None else [list(b) for b in bands()]
    out["bass_db"] = float(_get(eng, "bass_db", 0.0))
    out["crossfeed"] = float(_get(eng, "crossfeed", 0))
    out["headphone"] = None if app.headphone is None else app.headphone.name
    out["rate"] = _get(eng, "rate")
    panel = _get(app, "panel")
    if panel is not None:
        out["brightness"] = _get(panel, "brightness")
        accel = _get(panel, "accel")
        out["knob_db_s"] = None if accel is None else float(accel.cap_db_s)
    return out


def user_muted(app):
    """Muted by the user: a quiet change (rate, standby) keeps their choice in resume_unmuted,
    a cap hold in floor_resume (it muted, the user did not)."""
    in_standby = getattr(app, "in_standby", None)
    if getattr(app, "change_action", None) is not None or (in_standby and in_standby()):
        return not getattr(app, "resume_unmuted", False)
    if getattr(app, "floor_resume", False):
        return False
    return bool(app.volume.muted)


def _try(problems, what, func, *args):
    """Apply one saved value; a value the part refuses is reported and skipped."""
    if func is None:
        return
    try:
        func(*args)
    except (ValueError, TypeError) as e:
        problems.append("settings: %s not restored (%s)" % (what, e))


def _part_defaults(app):
    """What the parts start with, for the settings whose default is "the part's own" (None):
    taken once, at boot before anything is restored, so a reset can bring them back."""
    found = getattr(app, "part_defaults", None)
    if found is None:
        vol = app.volume
        eng = app.engine
        bands = _get(eng, "eq_bands")
        panel = _get(app, "panel")
        accel = _get(panel, "accel")
        found = app.part_defaults = {
            "gain": _get(vol, "gain_mode"),
            "input": _get(eng, "input_name"),
            "eq_preset": _get(eng, "eq_preset"),
            "eq_bands": None if bands is None else [list(b) for b in bands()],
            "brightness": _get(panel, "brightness"),
            "knob_db_s": None if accel is None else float(accel.cap_db_s),
        }
    return found


def _unchanged_bands(eng):
    """The engine's bands, which a restore may skip setting again (no preset chosen: setting a
    band would only clear it), or () when it cannot tell."""
    bands = _get(eng, "eq_bands")
    if bands is None or getattr(eng, "eq_preset", None) is not None:
        return ()
    return bands()


def apply(app, values, problems):
    """Restore saved values into the parts. Never loud: the restored volume is at most the
    board's power-on level, and the headphone's max SPL caps it too."""
    _part_defaults(app)
    vol = app.volume
    eng = app.engine
    if values["gain"] is not None:
        _try(problems, "gain", _get(vol, "set_gain_mode"), values["gain"])
    _try(problems, "balance", _get(vol, "set_balance"), values["balance_db"])
    if values["input"] is not None:
        _try(problems, "input", _get(eng, "select_input"), values["input"])
    user = values["eq_user"]
    for name in getattr(eng, "eq_presets", ()):
        if name in user:  # `eq preset NAME` picks the built-in one: this one is unreachable
            del user[name]
            problems.append("settings: eq_user: '%s' dropped (a built-in preset's name)" % name)
    bands = values["eq_bands"]
    if values["eq_preset"] is not None:
        # A named preset defines the bands; its name must survive the restore too.
        _try(problems, "EQ preset", _get(eng, "load_eq_preset"), values["eq_preset"])
    elif bands is not None and _get(eng, "set_eq_band") is not None:
        now = _unchanged_bands(eng)
        for index, band in enumerate(bands):
            if index < len(now) and list(now[index]) == list(band):
                continue  # already so (a flat band, most boots): no redesign, 0.16 s on an RP2040
            _try(problems, "EQ band %d" % index, eng.set_eq_band, index, *band)
    _try(problems, "EQ on/off", _get(eng, "set_eq_enabled"), values["eq_enabled"])
    _try(problems, "bass", _get(eng, "set_bass"), values["bass_db"])
    crossfeed = values["crossfeed"]
    if crossfeed == int(crossfeed):
        crossfeed = int(crossfeed)
    _try(problems, "crossfeed", _get(eng, "set_crossfeed"), crossfeed)

    panel = _get(app, "panel")
    if panel is not None:
        if values["brightness"] is not None:
            _try(problems, "brightness", _get(panel, "set_brightness"), values["brightness"])
        if values["knob_db_s"] is not None:
            _try(problems, "knob speed", _get(panel, "set_knob_limit"), values["knob_db_s"])

    limit = values["limit_db"]
    if limit is not None:
        try:
            vol.set_limit(limit)  # the volume's own range check (apply_limit sets the real cap)
        except ValueError as e:
            problems.append("settings: limit not restored (%s)" % e)
            limit = values["limit_db"] = None
    app.user_limit_db = limit
    board_hp = app.profile.get("headphone")
    if not values["headphones"] and board_hp is not None:
        # First boot (or after reset): the build's own headphone from the board profile.
        name = board_hp["name"]
        values["headphones"] = {name: _board_headphone(board_hp).to_dict()}
        values["headphone"] = name
    app.headphone = None
    name = values["headphone"]
    if name is not None:
        data = values["headphones"].get(name)
        if data is None:
            problems.append("settings: headphone profile '%s' missing" % name)
        else:
            app.headphone = headphones.Headphone.from_dict(name, data)
    apply_limit(app)

    # Never loud: the power-up sequence takes the lower of this and the board's power-on level.
    saved = values["volume_db"]
    app.saved_db = None if saved is None else min(saved, effective_limit(app))
    app.restore_muted = values["mute"]


def _board_headphone(cfg):
    return headphones.Headphone(
        cfg["name"],
        cfg["impedance_ohm"],
        cfg["sensitivity_db"],
        cfg.get("sensitivity_unit", "mw"),
        cfg.get("max_spl_db"),
    )


def effective_limit(app, gain_db=None):
    """The lowest of: the user's limit, the headphone's safe cap (clip point, max SPL), for the
    gain mode in effect or one with `gain_db` of gain."""
    if gain_db is None:
        gain_db = mode_gain_db(app)
    cap = app.board_max_db
    if app.user_limit_db is not None:
        cap = min(cap, app.user_limit_db)
    if app.headphone is not None and app.chain is not None:
        cap = min(cap, headphones.safe_cap_db(app.headphone, app.chain, gain_db))
    return math.floor(cap * 2) / 2  # on the volume's 0.5 dB grid, rounded down


def volume_floor(app):
    """Lowest level the volume can be set to (its floor, on the 0.5 dB grid)."""
    return -math.floor(-app.volume.min_db * 2) / 2


def limit_for_mode(app, gain_db, switching=True):
    """The volume cap for a gain mode with `gain_db` of gain, maybe below the volume's floor
    (the volume controller asks in the step that switches modes). switching=True: that mode
    takes effect, so a cap below the floor holds the amp muted (see apply_limit), one above it
    ends such a hold; switching=False only asks."""
    cap = effective_limit(app, gain_db)
    floor = volume_floor(app)
    if switching:
        if cap < floor:
            _hold(app, cap, floor)
        else:
            _release(app)
    return cap


def apply_limit(app):
    """Push the combined cap to the volume controller (which pulls the level down to it). A cap
    below the volume's floor is never raised to the floor (that could be louder than the
    headphone's safe level): the amp is muted and that is reported, until it is reachable."""
    vol = app.volume
    vol.set_limit(max(vol.min_db, limit_for_mode(app, mode_gain_db(app))))


def _hold(app, cap, floor):
    vol = app.volume
    if not vol.muted:
        vol.mute(True)
        app.floor_resume = True  # unmute once the cap is reachable again
    if getattr(app, "floor_hold", None) is None:
        name = "-" if app.headphone is None else app.headphone.name
        text = "headphone %s needs the volume at or below %.1f dB, under its floor %.1f dB"
        app.floor_hold = text % (name, cap, floor)
        _report(app, "muted: " + app.floor_hold)


def _release(app):
    if getattr(app, "floor_hold", None) is not None:
        app.floor_hold = None
        _report(
            app,
            "volume cap reachable again"
            + (": unmuting" if getattr(app, "floor_resume", False) else ""),
        )


def hold_muted(app):
    """Each app tick: while the cap is below the floor nothing may unmute (a panel button
    included); once it is reachable again, unmute if the hold muted it."""
    vol = app.volume
    if getattr(app, "floor_hold", None) is not None:
        if not vol.muted:
            vol.mute(True)  # before the volume's tick: the unmute is never heard
            app.floor_resume = True
    elif getattr(app, "floor_resume", False):
        app.floor_resume = False
        vol.mute(False)


def _report(app, line):
    console = getattr(app, "console", None)
    if console is not None:
        console.reply(line)


def spl_db(app):
    """SPL of a 0 dBFS signal at the current target volume, or None without a profile/chain."""
    if app.headphone is None or app.chain is None:
        return None
    level, _clipped = headphones.spl(
        app.headphone, app.chain, app.volume.target_db, mode_gain_db(app)
    )
    return level


def mode_gain_db(app):
    """Analog gain of the gain mode in effect (0 for a controller without modes)."""
    return float(_get(app.volume, "mode_gain_db", 0.0))


def select_headphone(app, name):
    """Select a stored profile by name (None = no profile) and re-cap the volume."""
    if name is None:
        app.headphone = None
    else:
        data = app.settings.values["headphones"].get(name)
        if data is None:
            raise ValueError("no headphone profile '%s'" % str(name)[:16])
        app.headphone = headphones.Headphone.from_dict(name, data)
    apply_limit(app)
    app.settings.changed()


def reset(app):
    """Factory reset: defaults into every part, never louder (the level may only go down, to
    the power-on level at most). Returns the problems met."""
    from uamp import settings

    values = settings.defaults()
    for name, value in _part_defaults(app).items():
        if values[name] is None:
            values[name] = value  # the part's own default (gain mode, input, flat EQ, panel)
    before = app.volume.target_db
    problems = []
    apply(app, values, problems)
    app.saved_db = None
    app.restore_muted = False
    app.volume.set_db(min(before, app.power_on_db))
    app.settings.values = values
    rate = app.profile["i2s"]["rate"]
    if _get(app.engine, "rate", rate) != rate:
        _try(problems, "sample rate", _get(app, "set_sample_rate"), rate)
    app.settings.changed()
    return problems
