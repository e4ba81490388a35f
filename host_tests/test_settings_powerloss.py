"""Power loss at every write step of a save: after the reboot the settings are the old ones or
the new ones, never a mix. Runs on littlefs-like (atomic rename) and FAT-like flash, from a
first save, and from the state every earlier cut left behind (a stale temporary file)."""

from sim.flashfs import FlashFS, PowerLoss
from uamp import settings


class Clock:
    def ticks_ms(self):
        return 0

    def ticks_diff(self, a, b):
        return a - b


def _values(volume, name, bands):
    values = settings.defaults()
    values["volume_db"] = volume
    values["mute"] = volume < -40
    values["gain"] = "high"
    values["headphones"] = {name: {"ohm": 32.0, "sens": 102.0, "unit": "mw", "max_spl": 110.0}}
    values["headphone"] = name
    values["eq_bands"] = [["peak", 100.0 * (i + 1), bands, 0.7] for i in range(5)]
    return values


OLD = _values(-20.0, "old-cans", 1.0)
NEW = _values(-45.5, "new-cans", -2.5)
NEWER = _values(-33.0, "newest", 4.0)


def _boot(image):
    store = settings.Settings(FlashFS(image), Clock())
    store.load()
    return store.values


def _cut_every_step(image, values, atomic):
    """Yields the files a cut at each step of boot-then-save leaves, then the uncut result."""
    probe = FlashFS(image, atomic_rename=atomic)
    store = settings.Settings(probe, Clock())
    store.load()
    store.values = values
    store.save()
    total = probe.steps
    assert total >= 4  # create, pages, rename: a save really has several steps
    for cut in range(total + 1):
        fs = FlashFS(image, cut_at=cut, atomic_rename=atomic)
        store = settings.Settings(fs, Clock())
        try:
            store.load()  # may itself write: it promotes a recovered temporary file
            store.values = values
            store.save()
            assert cut == total
        except PowerLoss:
            assert cut < total
        yield fs.image()


def _first_image(values):
    fs = FlashFS()
    store = settings.Settings(fs, Clock())
    store.values = values
    store.save()
    return fs.image()


def test_power_loss_at_every_step_never_mixes():
    checked = 0
    for atomic in (True, False):
        # A first save ever: defaults or the new values.
        for image in _cut_every_step({}, NEW, atomic):
            assert _boot(image) in (settings.defaults(), NEW)
            checked += 1
        # Saving over an old file, then saving again over whatever each cut left.
        for image in _cut_every_step(_first_image(OLD), NEW, atomic):
            first = _boot(image)
            assert first in (OLD, NEW), first
            checked += 1
            for image2 in _cut_every_step(image, NEWER, atomic):
                assert _boot(image2) in (first, NEWER)
                checked += 1
    print("power-loss cuts checked: %d, every one old or new" % checked)
    assert checked > 500


def test_torn_write_of_the_settings_file_itself_is_detected():
    """Even a file torn in place (no temp file: another tool wrote it) is refused whole."""
    data = settings.encode(NEW)
    for cut in range(1, len(data)):
        store = settings.Settings(FlashFS({settings.PATH: data[:cut]}), Clock())
        store.load()
        assert store.values == settings.defaults(), cut


def test_the_largest_legal_document_fits_and_its_save_is_counted():
    """Every list full and every name at its longest: still under MAX_BYTES (a larger file
    would be refused at the next boot), and the write steps of one save are printed."""
    values = settings.defaults()
    long = "x" * (settings.MAX_NAME - 1)
    values["headphones"] = {
        long + str(i): {"ohm": 12345.6, "sens": 123.4, "unit": "mw", "max_spl": 123.4}
        for i in range(settings.MAX_PROFILES)
    }
    band = ["highshelf", 12345.6, -12.0, 1.234]  # the longest legal band
    values["eq_user"] = {
        long + str(i): [band] * settings.MAX_EQ_BANDS for i in range(settings.MAX_EQ_PRESETS)
    }
    values["eq_bands"] = [band] * settings.MAX_EQ_BANDS
    values["headphone"] = long + "0"
    data = settings.encode(values)
    assert len(data) <= settings.MAX_BYTES, len(data)
    fs = FlashFS()
    store = settings.Settings(fs, Clock())
    store.values = values
    assert store.save()
    assert _boot(fs.image()) == store.values
    print(
        "largest settings document: %d bytes of %d allowed, %d write steps per save"
        % (len(data), settings.MAX_BYTES, fs.steps)
    )
