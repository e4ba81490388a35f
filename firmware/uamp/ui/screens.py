"""What the display shows. Each function draws one whole screen from plain values into a
Painter, so screens are tested against reference images without a running amp.
"""

from uamp.ui.painter import text_width

ROW_H = 9  # menu row pitch: 7-pixel font plus two pixels of air
TITLE_H = 10


class Status:
    """Everything the main screen shows; the panel fills it from the live parts."""

    def __init__(self):
        self.volume_db = -30.0
        self.min_db = -95.5
        self.max_db = 0.0
        self.muted = False
        self.input_name = None
        self.gain_mode = None
        self.eq_preset: "str | None" = None
        self.spl_db = None
        self.clipping = False
        self.note = None  # a short message shown for a moment (e.g. an action's error)

    def key(self):
        """A tuple that changes whenever the screen would look different."""
        return (
            self.volume_db,
            self.min_db,
            self.max_db,
            self.muted,
            self.input_name,
            self.gain_mode,
            self.eq_preset,
            None if self.spl_db is None else int(self.spl_db + 0.5),
            self.clipping,
            self.note,
        )


def format_db(db):
    return ("%+.1f" % db) if db > 0 else ("%.1f" % db)


def main_screen(p, s):
    p.clear()
    fb = p.fb
    tall = p.height >= 64
    top = s.input_name.upper() if s.input_name else ""
    p.text(top, 0, 1)
    if s.muted:
        p.label("MUTE", p.width - text_width("MUTE") - 4, 0)
    scale = 3 if tall else 2
    y = 14 if tall else 10
    number = format_db(s.volume_db)
    right = p.width - 20
    p.big(number, right - text_width(number, scale), y, scale)
    p.text("dB", right + 3, y + 7 * scale - 7)
    if not tall:
        return
    if s.gain_mode:
        p.text("GAIN " + s.gain_mode.upper(), 0, 39)
    if s.eq_preset:
        p.text_right("EQ " + s.eq_preset.upper(), p.width, 39)
    if s.note:
        p.text(s.note.upper()[:21], 0, 48)
    elif s.spl_db is not None:
        p.text("SPL %d dB" % int(s.spl_db + 0.5), 0, 48)
    if s.clipping:
        p.label("CLIP", p.width - text_width("CLIP") - 4, 46)
    # Level bar from the lowest to the highest volume the board allows.
    fb.rect(0, 58, p.width, 6, 1)
    span = s.max_db - s.min_db
    if span > 0:
        fill = int((p.width - 4) * (s.volume_db - s.min_db) / span + 0.5)
        fb.fill_rect(2, 60, max(0, min(p.width - 4, fill)), 2, 1)


def menu_screen(p, title, rows, selected, editing):
    """rows: (label, value) pairs; the selected row is inverted, or its value boxed when
    editing."""
    p.clear()
    fb = p.fb
    fb.fill_rect(0, 0, p.width, TITLE_H - 1, 1)
    p.text(title.upper(), 2, 1, 0)
    position = "%d/%d" % (selected + 1, len(rows))
    p.text_right(position, p.width - 2, 1, 0)
    visible = (p.height - TITLE_H) // ROW_H
    first = min(max(0, selected - visible // 2), max(0, len(rows) - visible))
    for i in range(first, min(len(rows), first + visible)):
        label, value = rows[i]
        y = TITLE_H + 1 + (i - first) * ROW_H
        value = value.upper().replace("DB/S", "dB/s").replace("DB", "dB") if value else ""
        if i == selected and not editing:
            fb.fill_rect(0, y - 1, p.width, ROW_H, 1)
            p.text(label.upper(), 2, y, 0)
            p.text_right(value, p.width - 2, y, 0)
        else:
            p.text(label.upper(), 2, y)
            if i == selected:
                w = text_width(value)
                fb.fill_rect(p.width - w - 4, y - 1, w + 4, ROW_H, 1)
                p.text_right(value, p.width - 2, y, 0)
            else:
                p.text_right(value, p.width - 2, y)


def message_screen(p, lines):
    p.clear()
    y = (p.height - len(lines) * ROW_H) // 2
    for line in lines:
        p.text_center(line.upper(), y)
        y += ROW_H


def confirm_screen(p, lines, options, selected):
    """A question and a row of choices; the selected one boxed."""
    p.clear()
    y = 4
    for line in lines:
        p.text_center(line.upper(), y)
        y += ROW_H
    total = sum(text_width(o) + 12 for o in options) - 12
    x = (p.width - total) // 2
    y = p.height - 14
    for i, option in enumerate(options):
        if i == selected:
            p.label(option.upper(), x - 2, y - 2)
        else:
            p.text(option.upper(), x, y)
        x += text_width(option) + 12
