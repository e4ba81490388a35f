"""Volume controller: the user's level in dB, reached in small ramp steps.

The analog stage (a volume IC, or None on boards without one) takes what it can; the rest, and
any mute fade, is done by the digital gain of the audio engine. Levels are kept on a 0.5 dB
grid and never above the board's cap.
"""

from uamp.dsp.gain import UNITY

STEP_DB = 0.5  # largest change per tick: each tick moves the output by at most this much


def db_to_q15(db):
    """Linear Q15 gain for an attenuation in dB (0 dB and above -> unity)."""
    if db >= 0:
        return UNITY
    return int(UNITY * 10 ** (db / 20) + 0.5)


def snap(db):
    """Round to the 0.5 dB grid."""
    return round(db * 2) / 2


class Volume:
    def __init__(self, analog, engine, min_db, max_db):
        self.analog = analog
        self.engine = engine
        self.min_db = min_db
        self.max_db = max_db
        self.target_db = min_db
        self.current_db = min_db
        self.muted = True
        self._apply()

    def set_db(self, db):
        """Request a level; clamps to the board's range and returns what will be reached."""
        if type(db) not in (int, float) or db != db:  # also rejects NaN
            raise ValueError("volume must be a number of dB")
        self.target_db = snap(max(self.min_db, min(self.max_db, db)))
        return self.target_db

    def mute(self, on):
        self.muted = on
        self._apply()

    def tick(self):
        """One ramp step toward the target; called every app tick."""
        delta = self.target_db - self.current_db
        if delta == 0:
            return
        delta = max(-STEP_DB, min(STEP_DB, delta))
        self.current_db += delta
        self._apply()

    def _apply(self):
        trim_db = self.current_db
        if self.analog is not None:
            left_db, _right_db = self.analog.set_gain_db(self.current_db, self.current_db)
            trim_db = self.current_db - left_db
            self.analog.mute(self.muted)
        self.engine.set_gain(0 if self.muted else db_to_q15(trim_db))
