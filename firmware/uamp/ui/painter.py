"""Text on a `framebuf.FrameBuffer` with uamp's own 5x7 font (uamp/ui/font.py).

Glyphs are blitted through one preallocated 5x7 glyph framebuffer (the font is stored in the
same page layout, so a glyph is 5 byte copies and one C-level blit). Large text (the volume) is
the same font scaled up with filled squares.
"""

import framebuf

from uamp.ui import font

ADVANCE = font.WIDTH + 1  # pixels from one character to the next at scale 1


def text_width(text, scale=1):
    return (len(text) * ADVANCE - 1) * scale if text else 0


class Painter:
    def __init__(self, fb, width, height):
        self.fb = fb
        self.width = width
        self.height = height
        self._glyph_buf = bytearray(font.WIDTH)
        self._glyph = framebuf.FrameBuffer(
            self._glyph_buf, font.WIDTH, font.HEIGHT, framebuf.MONO_VLSB
        )

    def clear(self):
        self.fb.fill(0)

    def _offset(self, ch):
        code = ord(ch)
        if code < font.FIRST or code > font.LAST:
            code = 63  # '?'
        return (code - font.FIRST) * font.WIDTH

    def text(self, text, x, y, color=1):
        """Draw text with its top-left corner at (x, y); returns the x after it."""
        data = font.DATA
        fb = self.fb
        for ch in text:
            start = self._offset(ch)
            if color:
                glyph = self._glyph_buf
                for i in range(font.WIDTH):
                    glyph[i] = data[start + i]
                fb.blit(self._glyph, x, y, 0)  # key 0: unlit glyph pixels stay as they are
            else:
                for i in range(font.WIDTH):
                    column = data[start + i]
                    for row in range(font.HEIGHT):
                        if column & (1 << row):
                            fb.pixel(x + i, y + row, 0)
            x += ADVANCE
        return x

    def text_right(self, text, right, y, color=1):
        return self.text(text, right - text_width(text), y, color)

    def text_center(self, text, y, color=1):
        return self.text(text, (self.width - text_width(text)) // 2, y, color)

    def big(self, text, x, y, scale):
        """Text scaled up `scale` times (the volume readout)."""
        data = font.DATA
        fb = self.fb
        for ch in text:
            start = self._offset(ch)
            for i in range(font.WIDTH):
                column = data[start + i]
                for row in range(font.HEIGHT):
                    if column & (1 << row):
                        fb.fill_rect(x + i * scale, y + row * scale, scale, scale, 1)
            x += ADVANCE * scale
        return x

    def label(self, text, x, y):
        """Inverse text in a filled box (MUTE, CLIP, titles); returns the x after the box."""
        w = text_width(text) + 4
        self.fb.fill_rect(x, y, w, font.HEIGHT + 3, 1)
        self.text(text, x + 2, y + 2, 0)
        return x + w
