"""CPython stand-in for MicroPython's `framebuf` (host tests and tools only).

Only on sys.path under CPython: the MicroPython unix port has the real module built in, and
the screen tests compare both against the same reference images, so any difference between
this and the real thing fails a test. Only the monochrome page format the SSD1306 uses
(MONO_VLSB: one byte per 8 vertical pixels, top pixel in bit 0) and the drawing calls uamp
uses are provided.
"""

MONO_VLSB = 0
MVLSB = MONO_VLSB


class FrameBuffer:
    def __init__(self, buf, width, height, format, stride=None):
        if format != MONO_VLSB:
            raise ValueError("only MONO_VLSB is modelled")
        self.buf = buf
        self.width = width
        self.height = height
        self.stride = width if stride is None else stride
        if len(buf) < ((height + 7) // 8) * self.stride:
            raise ValueError("buffer too small")

    def pixel(self, x, y, c=None):
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None
        index = (y >> 3) * self.stride + x
        bit = 1 << (y & 7)
        if c is None:
            return 1 if self.buf[index] & bit else 0
        if c:
            self.buf[index] |= bit
        else:
            self.buf[index] &= ~bit & 0xFF

    def fill_rect(self, x, y, w, h, c):
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        for yy in range(y0, y1):
            for xx in range(x0, x1):
                self.pixel(xx, yy, c)

    def fill(self, c):
        value = 0xFF if c else 0
        for i in range((self.height + 7) // 8 * self.stride):
            self.buf[i] = value

    def hline(self, x, y, w, c):
        self.fill_rect(x, y, w, 1, c)

    def vline(self, x, y, h, c):
        self.fill_rect(x, y, 1, h, c)

    def rect(self, x, y, w, h, c, f=False):
        if f:
            self.fill_rect(x, y, w, h, c)
            return
        self.fill_rect(x, y, w, 1, c)
        self.fill_rect(x, y + h - 1, w, 1, c)
        self.fill_rect(x, y, 1, h, c)
        self.fill_rect(x + w - 1, y, 1, h, c)

    def blit(self, src, x, y, key=-1, palette=None):
        if palette is not None:
            raise NotImplementedError("blit palettes are not modelled")
        for sy in range(src.height):
            for sx in range(src.width):
                c = src.pixel(sx, sy)
                if c != key:
                    self.pixel(x + sx, y + sy, c)

    def text(self, s, x, y, c=1):
        raise NotImplementedError("uamp draws text with its own font (uamp/ui/font.py)")
