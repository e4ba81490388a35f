"""A log that keeps only its newest entries, so a long simulated session stays in bounded memory.

The simulator records pin changes, I2C transfers, chip register writes, display commands and
serial output, for the tests that check sequencing, bus traffic and replies. Unbounded, those
lists grew about 14 MB per simulated hour (a virtual board left running ran out of memory). A
RingLog keeps at least the last `cap` entries and at most 2 * cap (older ones are dropped in
blocks, so an append stays cheap).

It reads like the list it replaces: iterate it for the entries it holds; indexes count every
entry ever appended, so `len(log)` is the total, `log[-1]` the newest, and `log[start:]` what was
appended since `len(log)` was `start` (entries already dropped are simply not there).
"""

PIN_HISTORY = 1000  # level changes per pin (sequencing tests look at the last few)
BUS_LOG = 10000  # I2C transfers per bus; register writes or display commands per chip
SERIAL_LOG = 10000  # serial writes (replies are a few writes each)


class RingLog:
    def __init__(self, cap):
        self.cap = cap
        self.items = []
        self.dropped = 0  # entries no longer held

    def append(self, item):
        items = self.items
        items.append(item)
        if len(items) >= 2 * self.cap:
            del items[: self.cap]
            self.dropped += self.cap

    def clear(self):
        self.dropped += len(self.items)
        self.items = []

    def __len__(self):
        return self.dropped + len(self.items)

    def __iter__(self):
        return iter(self.items)

    def __eq__(self, other):
        return self.items == list(other)

    def __getitem__(self, index):
        total = len(self)
        if isinstance(index, slice):
            start = 0 if index.start is None else index.start
            stop = total if index.stop is None else index.stop
            if start < 0:
                start += total
            if stop < 0:
                stop += total
            return self.items[max(0, start - self.dropped) : max(0, stop - self.dropped)]
        if index < 0:
            return self.items[index]
        if index < self.dropped:
            raise IndexError("log entry %d was dropped (the log keeps %d)" % (index, self.cap))
        return self.items[index - self.dropped]
