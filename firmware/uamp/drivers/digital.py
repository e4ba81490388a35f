"""Digital-only volume: for boards without a volume IC the analog stage is a fixed 0 dB and
the engine's digital trim does the whole level. The floor is where 16-bit output runs out:
Q15 gain 33 is -60 dB, and one step there is already 0.26 dB."""

MIN_DB = -60.0
MAX_DB = 0.0


class DigitalVolume:
    min_db = MIN_DB
    max_db = MAX_DB

    def gain_for(self, left_db, right_db):
        return 0.0, 0.0

    def next_gain_db(self, gain_db, up):
        return 0.0  # one fixed analog gain

    def set_gain_db(self, left_db, right_db):
        return 0.0, 0.0  # no analog gain: the trim realises everything

    def mute(self, on):
        pass  # the engine's trim fades to silence

    def enable(self, on):
        pass
