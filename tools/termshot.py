"""Render lines of terminal text to a PNG: the README's front-panel screenshot.

Our own small renderer, no image library: ASCII comes from the firmware's own 5x7 font
(firmware/uamp/ui/font.py, the OLED's font) drawn at 2x; braille cells (the OLED image), block
and box-drawing characters are drawn as shapes. PNG written with zlib (PNG spec: IHDR, IDAT,
IEND chunks, filter type 0 per row).
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "firmware"))

from uamp.ui import font  # noqa: E402

SCALE = 2
CELL_W, CELL_H = 6 * SCALE, 10 * SCALE
BACKGROUND = (24, 26, 30)
TEXT = (210, 214, 220)
PIXEL = (120, 200, 255)  # OLED pixels (braille)
BAR = (110, 220, 120)  # meter bars (full blocks)
NOTE = (255, 190, 90)  # the panel's own "[sim]" notes (reverse video in the terminal)
NOTE_MARK = "[sim] "  # tools/panel_view.py NOTE_MARK


class Canvas:
    def __init__(self, cols: int, rows: int):
        self.width = cols * CELL_W
        self.height = rows * CELL_H
        self.pixels = bytearray(bytes(BACKGROUND) * (self.width * self.height))

    def rect(self, x: int, y: int, w: int, h: int, color) -> None:
        for yy in range(max(0, y), min(self.height, y + h)):
            start = (yy * self.width + max(0, x)) * 3
            end = (yy * self.width + min(self.width, x + w)) * 3
            self.pixels[start:end] = bytes(color) * ((end - start) // 3)

    def char(self, col: int, row: int, ch: str, color=TEXT) -> None:
        x, y = col * CELL_W, row * CELL_H
        code = ord(ch)
        if 0x2800 <= code <= 0x28FF:
            self.braille(x, y, code - 0x2800)
        elif ch == "█":
            self.rect(x, y + 2, CELL_W, CELL_H - 4, BAR)
        elif ch == "·":
            self.rect(x + CELL_W // 2 - 1, y + CELL_H // 2 - 1, 2, 2, (80, 84, 90))
        elif ch in "─│┌┐└┘├┤":
            self.box(x, y, ch)
        elif font.FIRST <= code <= font.LAST:
            self.glyph(x, y, code, color)
        elif ch != " ":
            self.glyph(x, y, ord("?"), color)

    def glyph(self, x: int, y: int, code: int, color=TEXT) -> None:
        base = (code - font.FIRST) * font.WIDTH
        for gx in range(font.WIDTH):
            column = font.DATA[base + gx]
            for gy in range(font.HEIGHT):
                if column >> gy & 1:
                    self.rect(x + gx * SCALE, y + (gy + 1) * SCALE, SCALE, SCALE, color)

    def braille(self, x: int, y: int, bits: int) -> None:
        dots = ((0, 0, 0x01), (0, 1, 0x02), (0, 2, 0x04), (1, 0, 0x08))
        dots += ((1, 1, 0x10), (1, 2, 0x20), (0, 3, 0x40), (1, 3, 0x80))
        for dx, dy, bit in dots:
            if bits & bit:
                self.rect(
                    x + dx * CELL_W // 2, y + dy * CELL_H // 4, CELL_W // 2, CELL_H // 4, PIXEL
                )

    def box(self, x: int, y: int, ch: str) -> None:
        cx, cy = x + CELL_W // 2, y + CELL_H // 2
        left = ch in "─┐┘┤"
        right = ch in "─┌└├"
        up = ch in "│└┘├┤"
        down = ch in "│┌┐├┤"
        if left:
            self.rect(x, cy, CELL_W // 2 + 1, 1, TEXT)
        if right:
            self.rect(cx, cy, CELL_W - CELL_W // 2, 1, TEXT)
        if up:
            self.rect(cx, y, 1, CELL_H // 2 + 1, TEXT)
        if down:
            self.rect(cx, cy, 1, CELL_H - CELL_H // 2, TEXT)

    def png(self) -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        stride = self.width * 3
        raw = b"".join(
            b"\x00" + bytes(self.pixels[y * stride : (y + 1) * stride]) for y in range(self.height)
        )
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def save(lines: list[str], path: Path, cols: int | None = None) -> None:
    cols = cols or max(len(line) for line in lines)
    canvas = Canvas(cols + 2, len(lines) + 2)
    for row, line in enumerate(lines):
        color = NOTE if line.startswith(NOTE_MARK) else TEXT
        for col, ch in enumerate(line[:cols]):
            canvas.char(col + 1, row + 1, ch, color)
    Path(path).write_bytes(canvas.png())
