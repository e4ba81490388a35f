"""What the `make sim` front panel shows, as plain text lines (curses, --demo and screenshots).

The virtual board reports board-level facts (tools/vboard.py, `panel` status lines): the OLED
image, the volume IC's gain, the amp-enable pin, the DAC's mute, the I2S output peaks. This
module turns them, plus the serial console's text, into lines of a given size.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "host_tests"))

BRAILLE = 0x2800
# Braille dot bits for the 2 x 4 pixels of one character cell (Unicode braille patterns block).
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
METER_DB = 60  # meters span -60..0 dBFS
NOTE_MARK = "[sim] "  # the panel's own notes (keys, speakers, the supervisor): not the board's


def keys_help(buttons: list) -> list[str]:
    """The key help, with each F-key named after the profile's button it presses."""
    fkeys = "  ".join(f"F{i + 1} {b['name']}" for i, b in enumerate(buttons[:4]))
    held = " ".join(f"F{i + 5}" for i in range(len(buttons[:4])))
    lines = ["keys", "<- ->      knob (repeat: faster)", "Tab        press knob  S-Tab hold"]
    if buttons:
        lines += [f"{fkeys}", f"{held:<10} hold them (long press)"]
    return lines + [
        "Up Down    console history",
        "PgUp PgDn  console scrollback",
        "type, Enter: serial console",
        "Ctrl-C, Ctrl-D: to the board",
        "F10 or Ctrl-Q: quit",
    ]


def oled_rows(oled: dict) -> list:
    """The image the SSD1306 shows, from its RAM and settings as the virtual board sent them,
    mapped by the chip model's own screen() (segment remap, COM direction, offset, inverse)."""
    from sim.chips.ssd1306 import SSD1306Model

    model = SSD1306Model.__new__(SSD1306Model)
    for name, value in oled.items():
        if name != "ram":
            setattr(model, name, value)
    model.ram = bytearray.fromhex(oled["ram"])
    return model.screen().rows


def screen_lines(rows: list, width: int) -> list[str]:
    """An image (rows of 0/1 pixels) as braille: 2 x 4 pixels per character."""
    cols = (width + 1) // 2
    lines = []
    for top in range(0, len(rows), 4):
        out = []
        for cx in range(cols):
            code = 0
            for dy in range(4):
                if top + dy >= len(rows):
                    break
                row = rows[top + dy]
                for dx in range(2):
                    x = cx * 2 + dx
                    if x < width and row[x]:
                        code |= _DOTS[dy][dx]
            out.append(chr(BRAILLE + code))
        lines.append("".join(out))
    return lines


def dbfs(peak: int) -> float | None:
    return None if peak <= 0 else 20 * math.log10(peak / 32768)


def meter(label: str, peak: int, width: int) -> str:
    level = dbfs(peak)
    filled = 0 if level is None else round(width * max(0.0, 1 + level / METER_DB))
    text = "  -inf" if level is None else f"{level:6.1f}"
    return f"{label} {'█' * filled}{'·' * (width - filled)} {text} dBFS"


def show_db(value) -> str:
    return "mute" if value is None else f"{value:+.1f} dB"


class Console:
    """The serial console's scrollback, fed with what the board sends."""

    ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

    def __init__(self, keep: int = 400):
        self.lines = [""]
        self.keep = keep

    def feed(self, text: str) -> None:
        for ch in self.ANSI.sub("", text):
            if ch == "\n":
                self.lines.append("")
            elif ch == "\r":
                continue  # lines end in \r\n; a lone \r is rare enough to ignore
            elif ch in "\x08\x7f":
                self.lines[-1] = self.lines[-1][:-1]
            elif ch >= " " or ch == "\t":
                self.lines[-1] += ch
        del self.lines[: -self.keep]

    def rows(self, width: int = 0) -> list[str]:
        """Every line as screen rows; with `width`, long lines (status --json) wrap instead of
        being cut off at the pane's edge."""
        rows: list[str] = []
        for line in self.lines:
            if width > 0 and len(line) > width:
                rows.extend(line[i : i + width] for i in range(0, len(line), width))
            else:
                rows.append(line)
        return rows

    def tail(self, count: int, width: int = 0, back: int = 0) -> list[str]:
        """`count` rows ending `back` rows above the newest (0: the newest at the bottom)."""
        if count <= 0:
            return []
        rows = self.rows(width)
        end = len(rows) - max(0, min(back, len(rows) - count))
        return rows[max(0, end - count) : end]


class History:
    """Lines sent from the console pane, for Up/Down (a shell's history: Up goes back, Down
    forward to the line being typed)."""

    def __init__(self, keep: int = 100):
        self.lines: list[str] = []
        self.keep = keep
        self.at = 0  # index into lines; len(lines) = the line being typed
        self.draft = ""

    def add(self, line: str) -> None:
        if line.strip() and (not self.lines or self.lines[-1] != line):
            self.lines.append(line)
            del self.lines[: -self.keep]
        self.at = len(self.lines)
        self.draft = ""

    def up(self, typed: str) -> str:
        if self.at == len(self.lines):
            self.draft = typed
        self.at = max(0, self.at - 1)
        return self.lines[self.at] if self.lines else typed

    def down(self, typed: str) -> str:
        if self.at >= len(self.lines):
            return typed
        self.at += 1
        return self.draft if self.at == len(self.lines) else self.lines[self.at]


class PanelView:
    def __init__(self, board: str, profile: dict):
        self.board = board
        self.profile = profile
        self.state: dict = {}
        self.console = Console()
        self.history = History()
        self.typed = ""
        self.back = 0  # console rows scrolled back (PgUp); 0 follows the newest output
        self.note = ""  # one line of feedback: last key action, speakers, errors
        self.screen: list | None = None
        self.keys = keys_help(profile.get("buttons") or [])
        self.console_rows = 3  # set by render: the console pane's size, for PgUp/PgDn
        self.width = 120

    def feed(self, text: str) -> None:
        """Board output into the console; a pane scrolled back stays where it is."""
        before = len(self.console.rows(self.width - 1))
        self.console.feed(text)
        if self.back:
            self.back += len(self.console.rows(self.width - 1)) - before

    def scroll(self, pages: int) -> None:
        """PgUp (+1) / PgDn (-1): a pane's height less one row of context."""
        step = max(1, self.console_rows - 1)
        total = len(self.console.rows(self.width - 1))
        self.back = max(0, min(total - self.console_rows, self.back + pages * step))

    def update(self, line: str) -> None:
        try:
            state = json.loads(line)
        except ValueError:
            return
        if "oled" in state:
            self.screen = oled_rows(state["oled"])  # sent only when it changed
        self.state = state

    def oled_block(self) -> list[str]:
        display = self.profile.get("display")
        if not display:
            return ["┌─ no display " + "─" * 8 + "┐", "│" + " " * 21 + "│", "└" + "─" * 21 + "┘"]
        width, height = display["width"], display["height"]
        cols = width // 2
        title = f"─ OLED {display['type'].upper()} {width}x{height} "
        top = "┌" + title + "─" * (cols - len(title)) + "┐"
        rows = self.screen
        body = screen_lines(rows, width) if rows else [" " * cols] * (height // 4)
        return [top] + ["│" + line + "│" for line in body] + ["└" + "─" * cols + "┘"]

    def facts_block(self, width: int) -> list[str]:
        s = self.state
        lines = [f"uamp virtual board: {self.board}", ""]
        if not s:
            return lines + ["booting..."]
        vol = self.profile["volume"]["type"].upper()
        if "gain_db" in s:
            left, right = s["gain_db"]
            lines.append(f"{vol:9} L {show_db(left):>9}  R {show_db(right):>9}")
        else:
            lines.append(f"{vol:9} (digital volume)")
        amp = s.get("amp")
        dac = s.get("dac_muted")
        lines.append(
            "amp "
            + ("on " if amp else "off" if amp is not None else "n/a")
            + "   DAC "
            + ("muted" if dac else "playing" if dac is not None else "?")
            + f"   t {s.get('t', 0) / 1000:6.1f} s"
        )
        peaks = s.get("peaks", [0, 0])
        bar = max(8, min(24, width - 24))
        lines.append(meter("L", peaks[0], bar))
        lines.append(meter("R", peaks[1], bar))
        lines.append(f"MCU late {s.get('lag_ms', 0)} ms at most, model {s.get('hw_pct', 0)} %")
        return lines + [""] + self.keys

    def compact_facts(self, width: int) -> list[str]:
        """Two lines of facts for a terminal too small for the full block (80x24)."""
        s = self.state
        if not s:
            return ["booting...", "F10 quits"]
        vol = self.profile["volume"]["type"].upper()
        if "gain_db" in s:
            left, right = s["gain_db"]
            first = f"{vol} L {show_db(left)} R {show_db(right)}"
        else:
            first = f"{vol} (digital)"
        amp, dac = s.get("amp"), s.get("dac_muted")
        first += "  amp " + ("on" if amp else "off" if amp is not None else "n/a")
        first += "  DAC " + ("muted" if dac else "playing" if dac is not None else "?")
        peaks = [dbfs(p) for p in s.get("peaks", [0, 0])]
        levels = " ".join("-inf" if p is None else f"{p:.1f}" for p in peaks)
        second = f"out {levels} dBFS  late {s.get('lag_ms', 0)} ms  <- -> knob  F10 quits"
        return [first[:width], second[:width]]

    def render(self, width: int, height: int) -> list[str]:
        self.width = width
        oled = self.oled_block()
        oled_w = max(len(line) for line in oled)
        if width >= oled_w + 34:
            facts = self.facts_block(width - oled_w - 2)
            top = []
            for i in range(max(len(oled), len(facts))):
                left = oled[i] if i < len(oled) else " " * oled_w
                right = facts[i] if i < len(facts) else ""
                top.append(left.ljust(oled_w) + "  " + right)
        else:
            top = oled + self.facts_block(width)
        if height - len(top) - 3 < 3:
            # too short for the full layout (an 80x24 terminal): the console must stay on
            # screen, so the OLED loses its frame and the facts shrink to two lines
            top = [line[1:-1] for line in oled[1:-1]] + self.compact_facts(width - 1)
        room = max(3, height - len(top) - 3)
        self.console_rows = room
        title = "─ serial console "
        if self.back:
            title += f"(scrolled back {self.back} rows; PgDn returns) "
        rule = title + "─" * max(0, width - len(title))
        rows = self.console.tail(room, width - 1, self.back)
        rows += [""] * (room - len(rows)) if self.back else []
        note = NOTE_MARK + self.note if self.note else ""
        bottom = [rule] + rows + [note, "> " + self.typed]
        lines = [line[:width] for line in top + bottom]
        if len(lines) > height:  # the prompt is the last thing to lose
            lines = lines[: max(0, height - 2)] + lines[-2:]
        return lines[:height]
