"""Serial client for the virtual board tests: waits for output, never sleeps a fixed time."""

import time

import serial


class Client:
    def __init__(self, port, timeout=15.0):
        self.link = serial.serial_for_url(str(port), baudrate=115200, timeout=0.05)
        self.timeout = timeout
        self.seen = b""

    def write(self, data):
        self.link.write(data.encode() if isinstance(data, str) else data)

    def expect(self, marker, timeout=None):
        """Read until `marker` appears; returns everything up to and including it."""
        marker = marker.encode() if isinstance(marker, str) else marker
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            at = self.seen.find(marker)
            if at >= 0:
                out, self.seen = self.seen[: at + len(marker)], self.seen[at + len(marker) :]
                return out.decode(errors="replace")
            self.seen += self.link.read(4096)
        raise AssertionError("no %r within %.0f s; got %r" % (marker, timeout or 0, self.seen))

    def interrupt(self, marker=">>> ", tries=4, wait=5.0):
        """Ctrl-C until `marker` shows; returns all output up to it. A board can drop a Ctrl-C
        that lands inside a scheduled callback (mpremote sends two for the same reason)."""
        seen = ""
        for attempt in range(tries):
            self.write("\x03")
            try:
                return seen + self.expect(marker, wait)
            except AssertionError:
                if attempt == tries - 1:
                    raise
                seen += self.seen.decode(errors="replace")
                self.seen = b""
        return seen

    def read_exact(self, n):
        deadline = time.monotonic() + self.timeout
        while len(self.seen) < n and time.monotonic() < deadline:
            self.seen += self.link.read(n - len(self.seen))
        out, self.seen = self.seen[:n], self.seen[n:]
        return out

    def close(self):
        self.link.close()
