"""Small helpers shared by the tests on both interpreters (pytest is not on MicroPython)."""

from array import array


def raises(exc_type, func, *args, **kwargs):
    """Call func and return the exception it raised; fail if it raised nothing or another type."""
    try:
        func(*args, **kwargs)
    except exc_type as e:
        return e
    raise AssertionError(
        "%s did not raise %s" % (getattr(func, "__name__", func), exc_type.__name__)
    )


def int16_buffer(values):
    """A bytearray holding int16 samples, as the I2S path uses, and an array('h') copy."""
    samples = array("h", values)
    return bytearray(samples), samples


def as_int16(buf):
    return array("h", bytes(buf))


class _StreamReader:
    """asyncio.StreamReader over a stream whose read(n) returns at once."""

    def __init__(self, stream):
        self.stream = stream

    async def read(self, n):
        return self.stream.read(n)


async def _no_sleep(ms):
    return None


class FakeAsyncio:
    """The two names App._console_task takes from asyncio, so a test drives the task with
    send(None) and no event loop."""

    StreamReader = _StreamReader
    sleep_ms = staticmethod(_no_sleep)
