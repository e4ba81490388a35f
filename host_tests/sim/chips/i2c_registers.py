"""Shared I2C register-file behaviour for chip models: the first byte written sets the register
pointer, further bytes are written from there with auto-increment, reads continue from the
pointer. A model subclasses it, says which registers exist and which are read-only, and may
set `fault` ("nack", "timeout") to make the simulated bus fail transfers to it."""

from sim.ringlog import BUS_LOG, RingLog


class I2CRegisterChip:
    writable = ()
    read_only = ()

    def __init__(self):
        self.regs = {}
        self.pointer = 0
        self.fault = None
        self.protocol_errors = []
        self.writes = RingLog(BUS_LOG)  # (register, value) in order, for bus-traffic tests

    def i2c_write(self, data):
        if not data:
            return
        self.pointer = data[0]
        for value in data[1:]:
            self.write_register(self.pointer, value)
            self.pointer = (self.pointer + 1) & 0xFF

    def i2c_read(self, nbytes):
        out = bytearray(nbytes)
        for i in range(nbytes):
            out[i] = self.read_register(self.pointer)
            self.pointer = (self.pointer + 1) & 0xFF
        return out

    def write_register(self, reg, value):
        if reg in self.read_only or reg not in self.writable:
            self.protocol_errors.append("write 0x%02x to register %d" % (value, reg))
            return
        self.regs[reg] = value
        self.writes.append((reg, value))

    def read_register(self, reg):
        return self.regs.get(reg, 0)
