"""SSD1306 128x64 / 128x32 monochrome OLED controller on I2C.

The I2C bus is passed in. Drawing goes into a `framebuf.FrameBuffer` over `buf` (MONO_VLSB is
the controller's own page layout: one byte = 8 vertical pixels). Sending is split by page
(129 bytes on the wire, ~3 ms at 400 kHz) so the caller can spread a full frame over several
ticks and never hold the bus (and the MicroPython scheduler, which runs the I2S refill) for
longer than one page. All buffers are built once.

Commands and their arguments: Solomon Systech SSD1306 datasheet Rev 1.5, section 9 (command
table) and section 10.1 (fundamental, addressing and hardware configuration commands); the I2C
control byte (Co, D/C#): section 8.1.5.2; the charge pump (8Dh): the SSD1306 charge pump
application note (14h = enable, needed on the common 3.3 V modules).
"""

import framebuf
from micropython import const

_CONTROL_COMMANDS = const(0x00)  # Co = 0, D/C# = 0: every following byte is a command
_CONTROL_DATA = const(0x40)  # Co = 0, D/C# = 1: every following byte is GDDRAM data
_SET_CONTRAST = const(0x81)  # + 1 byte, 0..255 (reset 7Fh)
_DISPLAY_RAM = const(0xA4)  # output follows RAM (A5h would light every pixel)
_NORMAL = const(0xA6)  # 1 in RAM = lit (A7h inverts)
_DISPLAY_OFF = const(0xAE)  # sleep: panel dark, RAM kept
_DISPLAY_ON = const(0xAF)
_MEMORY_MODE = const(0x20)  # + 1 byte: 0 = horizontal addressing
_COLUMN_ADDR = const(0x21)  # + start, end column
_PAGE_ADDR = const(0x22)  # + start, end page
_START_LINE = const(0x40)  # | line 0..63
_SEG_REMAP = const(0xA1)  # column 127 drives SEG0: image upright on the usual modules
_MULTIPLEX = const(0xA8)  # + height - 1
_COM_SCAN_DEC = const(0xC8)  # scan COM[N-1] to COM0: upright
_DISPLAY_OFFSET = const(0xD3)  # + vertical shift
_COM_PINS = const(0xDA)  # + 02h sequential (128x32) or 12h alternative (128x64)
_CLOCK_DIV = const(0xD5)  # + divide ratio / oscillator frequency (reset 80h)
_PRECHARGE = const(0xD9)  # + phase 1 / phase 2 periods: F1h with the internal charge pump
_VCOMH = const(0xDB)  # + 30h = 0.83 x Vcc
_CHARGE_PUMP = const(0x8D)  # + 14h enable

WIDTH = const(128)


class SSD1306:
    def __init__(self, i2c, addr=0x3C, width=128, height=64):
        if width != WIDTH or height not in (32, 64):
            raise ValueError("SSD1306 panels are 128x32 or 128x64")
        self.i2c = i2c
        self.addr = addr
        self.width = width
        self.height = height
        self.pages = height // 8
        self.buf = bytearray(width * self.pages)
        self.fb = framebuf.FrameBuffer(self.buf, width, height, framebuf.MONO_VLSB)
        view = memoryview(self.buf)
        control = bytes((_CONTROL_DATA,))
        self._page_vectors = [
            (control, view[p * width : (p + 1) * width]) for p in range(self.pages)
        ]
        # One command buffer per use, filled in place: sending allocates nothing.
        self._window = bytearray((_CONTROL_COMMANDS, _COLUMN_ADDR, 0, width - 1, _PAGE_ADDR, 0, 0))
        self._cmd1 = bytearray((_CONTROL_COMMANDS, 0))
        self._cmd2 = bytearray((_CONTROL_COMMANDS, 0, 0))
        self.next_page = self.pages  # pages still to send of the current frame
        self.on = False
        self.contrast_level = 0x7F

    def _command(self, cmd, arg=None):
        if arg is None:
            buf = self._cmd1
        else:
            buf = self._cmd2
            buf[2] = arg
        buf[1] = cmd
        self.i2c.writeto(self.addr, buf)

    def init(self):
        """Configure the panel (display stays off until power(True)). Raises OSError if the
        controller does not answer."""
        self._command(_DISPLAY_OFF)
        self._command(_CLOCK_DIV, 0x80)
        self._command(_MULTIPLEX, self.height - 1)
        self._command(_DISPLAY_OFFSET, 0)
        self._command(_START_LINE | 0)
        self._command(_CHARGE_PUMP, 0x14)
        self._command(_MEMORY_MODE, 0)
        self._command(_SEG_REMAP)
        self._command(_COM_SCAN_DEC)
        self._command(_COM_PINS, 0x12 if self.height == 64 else 0x02)
        self._command(_SET_CONTRAST, self.contrast_level)
        self._command(_PRECHARGE, 0xF1)
        self._command(_VCOMH, 0x30)
        self._command(_DISPLAY_RAM)
        self._command(_NORMAL)
        self.on = False

    def power(self, on):
        self._command(_DISPLAY_ON if on else _DISPLAY_OFF)
        self.on = on

    def contrast(self, level):
        if not 0 <= level <= 255:
            raise ValueError("contrast must be 0..255")
        self._command(_SET_CONTRAST, level)
        self.contrast_level = level

    def begin_frame(self):
        """The framebuffer holds a new frame: send all of it with send_pages()."""
        self.next_page = 0

    def sending(self):
        return self.next_page < self.pages

    def send_pages(self, count):
        """Send up to `count` pages of the current frame; True when the frame is complete."""
        while count > 0 and self.next_page < self.pages:
            page = self.next_page
            window = self._window
            window[5] = page
            window[6] = page
            self.i2c.writeto(self.addr, window)
            self.i2c.writevto(self.addr, self._page_vectors[page])
            self.next_page = page + 1
            count -= 1
        return self.next_page >= self.pages

    def show(self):
        """Send the whole frame now (start-up splash only: blocks for ~25 ms at 400 kHz)."""
        self.begin_frame()
        self.send_pages(self.pages)
