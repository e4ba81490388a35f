"""SSD1306 OLED controller model (Solomon Systech SSD1306 datasheet Rev 1.5).

I2C writes are decoded as section 8.1.5.2 says: each transfer starts with a control byte whose
Co bit (7) says whether more control bytes follow and whose D/C# bit (6) says whether the next
bytes are commands or GDDRAM data. Commands (section 9/10) update the model's state; data goes
into the 128 x 8-page GDDRAM at the address pointer, which advances as horizontal (20h = 0),
vertical (1) or page (2) addressing mode says. `screen()` is what the panel shows: nothing when
the display is off, RAM mapped through segment remap and COM scan direction, inverted by A7h.

The model also adds up the time each transfer holds the bus (9 bits per byte plus start/stop
at the bus clock), so tests can bound how long a redraw blocks the firmware.
"""

from sim.ringlog import BUS_LOG, RingLog

# Commands with argument bytes (section 9): opcode -> number of following bytes.
_ARGS = {
    0x81: 1,  # contrast
    0x20: 1,  # memory addressing mode
    0x21: 2,  # column address window
    0x22: 2,  # page address window
    0xA8: 1,  # multiplex ratio
    0xD3: 1,  # display offset
    0xDA: 1,  # COM pins configuration
    0xD5: 1,  # clock divide / oscillator
    0xD9: 1,  # pre-charge period
    0xDB: 1,  # VCOMH deselect level
    0x8D: 1,  # charge pump (application note)
}


class Screen:
    """A monochrome image: `rows[y][x]` is 0 or 1. Also what reference images hold."""

    def __init__(self, width, height, rows=None):
        self.width = width
        self.height = height
        self.rows = rows if rows is not None else [bytearray(width) for _ in range(height)]

    def pixel(self, x, y):
        return self.rows[y][x]

    def lit(self):
        return sum(sum(row) for row in self.rows)

    def __eq__(self, other):
        return (
            isinstance(other, Screen)
            and self.width == other.width
            and self.height == other.height
            and all(bytes(a) == bytes(b) for a, b in zip(self.rows, other.rows))
        )

    def differences(self, other):
        return sum(
            1
            for y in range(self.height)
            for x in range(self.width)
            if self.rows[y][x] != other.rows[y][x]
        )

    def text(self):
        """ASCII art, for failure messages and quick looks."""
        return "\n".join("".join("#" if v else "." for v in row) for row in self.rows)

    def to_pbm(self):
        """Plain PBM (P1): readable in a diff, opened by any image viewer."""
        lines = ["P1", "%d %d" % (self.width, self.height)]
        for row in self.rows:
            digits = "".join("1" if v else "0" for v in row)
            for start in range(0, len(digits), 64):
                lines.append(digits[start : start + 64])
        return "\n".join(lines) + "\n"

    @staticmethod
    def from_pbm(text):
        words = []
        for line in text.split("\n"):
            line = line.split("#")[0].strip()
            if line:
                words.extend(line.split())
        if words[0] != "P1":
            raise ValueError("not a plain PBM (P1) image")
        width, height = int(words[1]), int(words[2])
        digits = "".join(words[3:])
        if len(digits) != width * height:
            raise ValueError("PBM has %d pixels, expected %d" % (len(digits), width * height))
        rows = []
        for y in range(height):
            rows.append(
                bytearray(1 if d == "1" else 0 for d in digits[y * width : (y + 1) * width])
            )
        return Screen(width, height, rows)


class SSD1306Model:
    def __init__(self, world, bus_id, addr=0x3C, width=128, height=64):
        self.world = world
        self.bus_id = bus_id
        self.addr = addr
        self.width = width
        self.height = height
        self.ram = bytearray(128 * 8)
        # Reset state (section 10 tables): display off, contrast 7Fh, page addressing mode.
        self.on = False
        self.contrast = 0x7F
        self.inverse = False
        self.entire_on = False
        self.mode = 2
        self.col_start, self.col_end = 0, 127
        self.page_start, self.page_end = 0, 7
        self.col = 0
        self.page = 0
        self.seg_remap = False
        self.com_reverse = False
        self.mux = 63
        self.offset = 0
        self.start_line = 0
        self.com_pins = 0x12
        self.charge_pump = False
        self.protocol_errors = []
        self.commands = RingLog(BUS_LOG)  # the commands with their arguments, for tests
        self.data_bytes = 0
        self.transfers = 0
        self.busy_us = 0  # total bus time of every write so far
        self.longest_us = 0  # the longest single transfer
        self.fail = None  # set to an errno to make the chip stop answering (NACK)
        self._pending = None  # (opcode, args so far) of a command waiting for arguments
        world.i2c_bus(bus_id).attach(addr, self)

    # --- bus side ---
    def _charge(self, nbytes):
        freq = self.world.i2c_bus(self.bus_id).freq or 100000
        # Address byte + data bytes, 9 clocks each, plus start and stop.
        us = ((1 + nbytes) * 9 + 2) * 1000000 // freq
        self.busy_us += us
        self.longest_us = max(self.longest_us, us)
        self.transfers += 1

    def i2c_write(self, data):
        if self.fail is not None:
            raise OSError(self.fail)
        self._charge(len(data))
        i = 0
        while i < len(data):
            control = data[i]
            i += 1
            if control & 0x3F:
                self.protocol_errors.append("control byte %02Xh has low bits set" % control)
            is_data = bool(control & 0x40)
            if control & 0x80:  # Co = 1: one byte, then another control byte
                if i < len(data):
                    self._byte(data[i], is_data)
                    i += 1
                continue
            for byte in data[i:]:  # Co = 0: the rest of the transfer
                self._byte(byte, is_data)
            break

    def i2c_read(self, nbytes):
        if self.fail is not None:
            raise OSError(self.fail)
        # Status byte (section 8.1.5): bit 6 = display off.
        return bytes([0x00 if self.on else 0x40] * nbytes)

    def _byte(self, byte, is_data):
        if is_data:
            self._data(byte)
        elif self._pending is not None:
            opcode, args = self._pending
            args.append(byte)
            if len(args) == _ARGS[opcode]:
                self._pending = None
                self._command(opcode, args)
        elif byte in _ARGS:
            self._pending = (byte, [])
        else:
            self._command(byte, [])

    # --- command decoder (section 9) ---
    def _command(self, op, args):
        self.commands.append((op,) + tuple(args))
        if op in (0xAE, 0xAF):
            self.on = op == 0xAF
        elif op == 0x81:
            self.contrast = args[0]
        elif op in (0xA4, 0xA5):
            self.entire_on = op == 0xA5
        elif op in (0xA6, 0xA7):
            self.inverse = op == 0xA7
        elif op == 0x20:
            if args[0] > 2:
                self.protocol_errors.append("addressing mode %d is invalid" % args[0])
            self.mode = args[0] & 3
        elif op == 0x21:
            self.col_start, self.col_end = args[0] & 127, args[1] & 127
            self.col = self.col_start
        elif op == 0x22:
            self.page_start, self.page_end = args[0] & 7, args[1] & 7
            self.page = self.page_start
        elif op in (0xA0, 0xA1):
            self.seg_remap = op == 0xA1
        elif op in (0xC0, 0xC8):
            self.com_reverse = op == 0xC8
        elif op == 0xA8:
            self.mux = args[0]
        elif op == 0xD3:
            self.offset = args[0]
        elif op == 0xDA:
            self.com_pins = args[0]
        elif op == 0x8D:
            self.charge_pump = bool(args[0] & 0x04)
        elif 0x40 <= op <= 0x7F:
            self.start_line = op - 0x40
        elif 0xB0 <= op <= 0xB7:  # page mode: page start
            self.page = op - 0xB0
        elif op <= 0x0F:  # page mode: lower column nibble
            self.col = (self.col & 0xF0) | op
        elif op <= 0x1F:
            self.col = (self.col & 0x0F) | ((op & 0x0F) << 4)
        elif op in (0xD5, 0xD9, 0xDB, 0xE3):
            pass
        else:
            self.protocol_errors.append("unknown command %02Xh" % op)

    def _data(self, byte):
        self.ram[self.page * 128 + self.col] = byte
        self.data_bytes += 1
        if self.mode == 2:  # page addressing: column wraps within the page
            self.col = (self.col + 1) & 127
        elif self.mode == 0:  # horizontal: column, then page, within the windows
            if self.col >= self.col_end:
                self.col = self.col_start
                self.page = self.page_start if self.page >= self.page_end else self.page + 1
            else:
                self.col += 1
        else:  # vertical: page, then column
            if self.page >= self.page_end:
                self.page = self.page_start
                self.col = self.col_start if self.col >= self.col_end else self.col + 1
            else:
                self.page += 1

    # --- what a person sees ---
    def ready(self):
        """The firmware configured the panel the way a module needs it to light up."""
        return self.charge_pump and self.mux == self.height - 1

    def screen(self):
        image = Screen(self.width, self.height)
        if not self.on or not self.ready():
            return image
        for y in range(self.height):
            row_in_ram = (self.height - 1 - y) if not self.com_reverse else y
            row_in_ram = (row_in_ram + self.start_line + self.offset) % 64
            page, bit = row_in_ram >> 3, 1 << (row_in_ram & 7)
            out = image.rows[y]
            for x in range(self.width):
                # The glass sits rotated 180 degrees on the usual modules: with A1h and C8h
                # set, RAM column 0 / row 0 is the viewer's top left.
                column = x if self.seg_remap else 127 - x
                lit = self.entire_on or bool(self.ram[page * 128 + column] & bit)
                out[x] = 1 if lit != self.inverse else 0
        return image
