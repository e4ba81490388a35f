"""PCM sources: WAV files and an I2S receiver, converted to the Q23 work buffer.

Both read into one bytearray allocated when the source is opened; `fill` allocates nothing.
"""

import struct

import micropython


@micropython.viper
def pcm_to_q23(buf: ptr32, src: ptr8, frames: int, width: int, channels: int):
    """Little-endian signed PCM (width 2, 3 or 4 bytes; 4 = I2S 32-bit words, top 24 bits
    used) to stereo Q23; mono is copied to both channels."""
    step = width * channels
    for i in range(frames):
        for ch in range(2):
            j = i * step
            if channels == 2:
                j += ch * width
            if width == 2:
                v = (src[j + 1] << 16) | (src[j] << 8)
            elif width == 3:
                v = (src[j + 2] << 16) | (src[j + 1] << 8) | src[j]
            else:
                v = (src[j + 3] << 16) | (src[j + 2] << 8) | src[j + 1]
            if v & 0x800000:  # ptr8 loads are unsigned: sign-extend the 24-bit value
                v -= 0x1000000
            buf[2 * i + ch] = v


def pcm_to_q23_reference(buf, src, frames, width, channels):
    for i in range(frames):
        for ch in range(2):
            j = i * width * channels + (ch * width if channels == 2 else 0)
            top = bytes(src[j + width - 3 : j + width]) if width >= 3 else b"\x00" + src[j : j + 2]
            v = int.from_bytes(top, "little")
            buf[2 * i + ch] = v - 0x1000000 if v & 0x800000 else v


@micropython.viper
def _zero_bytes(buf: ptr8, start: int, end: int):
    for i in range(start, end):
        buf[i] = 0


class WavSource:
    """A 16/24-bit PCM WAV file (mono or stereo) at the engine's rate, played in a loop."""

    def __init__(self, stream, rate, frames):
        self.stream = stream
        self.channels, self.width, self.data_start, self.data_bytes = parse_header(stream, rate)
        self.frame_bytes = self.channels * self.width
        self.raw = bytearray(frames * self.frame_bytes)
        self.left = self.data_bytes

    def rewind(self):
        self.stream.seek(self.data_start)
        self.left = self.data_bytes

    def fill(self, buf, frames):
        want = frames * self.frame_bytes
        if want > self.left:
            want = self.left - self.left % self.frame_bytes
        got = self.stream.readinto(self.raw) if want == len(self.raw) else self._read_tail(want)
        got = got or 0
        self.left -= got
        _zero_bytes(self.raw, got, len(self.raw))
        pcm_to_q23(buf, self.raw, frames, self.width, self.channels)
        if self.left < self.frame_bytes:
            self.rewind()

    def _read_tail(self, want):
        # The last, short block of the file: once per loop, so a small allocation is fine here.
        data = self.stream.read(want)
        self.raw[: len(data)] = data
        return len(data)


def parse_header(stream, rate):
    """(channels, bytes per sample, data offset, data size); ValueError if not playable."""
    head = stream.read(12)
    if len(head) < 12 or head[0:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    fmt = None
    channels = bits = 0  # set with fmt
    pos = 12
    while True:
        chunk = stream.read(8)
        if len(chunk) < 8:
            raise ValueError("WAV file has no data chunk")
        name = chunk[0:4]
        size = struct.unpack("<I", chunk[4:8])[0]
        pos += 8
        if name == b"fmt ":
            fmt = stream.read(size)
            tag, channels, file_rate = struct.unpack("<HHI", fmt[0:8])
            bits = struct.unpack("<H", fmt[14:16])[0]
            if tag not in (1, 0xFFFE) or bits not in (16, 24) or channels not in (1, 2):
                raise ValueError("WAV must be 16- or 24-bit PCM, mono or stereo")
            if file_rate != rate:
                raise ValueError(
                    "WAV rate %d Hz differs from the output's %d Hz" % (file_rate, rate)
                )
        elif name == b"data":
            if fmt is None:
                raise ValueError("WAV data before its format")
            return channels, bits // 8, pos, size
        else:
            stream.seek(pos + size + (size & 1))
        if name == b"fmt ":
            if size & 1:
                stream.read(1)
        pos += size + (size & 1)


class I2SInput:
    """Pass-through of an I2S receiver (S/PDIF or Bluetooth module): 32-bit stereo words.

    The port runs non-blocking (an irq handler is set), so a receiver without clock or lock
    never stalls the output: each buffer converts what the previous read brought, one buffer
    late, or plays silence when that read has not finished; never stale or partial data."""

    def __init__(self, port, frames):
        self.port = port
        self.raw = bytearray(frames * 8)
        self.fresh = False
        self._on_read = self._read_done  # bound once: binding allocates
        port.irq(self._on_read)

    def _read_done(self, _port):
        self.fresh = True

    def rewind(self):
        pass

    def fill(self, buf, frames):
        if self.fresh:
            pcm_to_q23(buf, self.raw, frames, 4, 2)
        else:
            _zero_bytes(buf, 0, frames * 8)
        self.fresh = False
        self.port.readinto(self.raw)  # returns at once; _read_done runs when it is complete
