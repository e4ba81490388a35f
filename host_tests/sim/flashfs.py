"""A simulated flash filesystem that can lose power at any write step.

Files are bytes in a dict. Every change the firmware makes is counted as one step: creating or
truncating a file, programming one PROG_SIZE page of a write, renaming, removing. With
`cut_at=n` the n-th step (0-based) does not happen, and neither does anything after it:
`PowerLoss` is raised, and `image()` is what a reboot would find. A write cut mid-way keeps the
pages programmed before the cut (a torn file), as a real flash does.

`atomic_rename=True` behaves like littlefs (rename replaces the target in one step);
`False` like FAT, where renaming onto an existing file fails and the caller must remove it first.
"""

ENOENT, EBADF, EEXIST, ENOSPC = 2, 9, 17, 28  # POSIX numbers (the unix port lacks some names)

PROG_SIZE = 32  # bytes per program operation (flash page); one step each


class PowerLoss(Exception):
    pass


class _File:
    def __init__(self, fs, path, writing):
        self.fs = fs
        self.path = path
        self.writing = writing
        self.pos = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def read(self, size=-1):
        data = self.fs.files[self.path]
        end = len(data) if size is None or size < 0 else min(len(data), self.pos + size)
        chunk = data[self.pos : end]
        self.pos = end
        return chunk

    def write(self, data):
        if not self.writing:
            raise OSError(EBADF)
        data = bytes(data)
        for start in range(0, len(data), PROG_SIZE):
            self.fs.step("write %s @%d" % (self.path, start))
            self.fs.files[self.path] += data[start : start + PROG_SIZE]
        return len(data)

    def close(self):
        pass


class FlashFS:
    def __init__(self, files=None, cut_at=None, atomic_rename=True, full=False):
        self.files = dict(files or {})
        self.cut_at = cut_at
        self.atomic_rename = atomic_rename
        self.full = full  # every write fails with ENOSPC (a full flash)
        self.steps = 0
        self.log = []

    def step(self, what):
        if self.cut_at is not None and self.steps >= self.cut_at:
            raise PowerLoss("power lost before step %d (%s)" % (self.steps, what))
        self.steps += 1
        self.log.append(what)

    def image(self):
        """The files a reboot finds."""
        return dict(self.files)

    def open(self, path, mode="r"):
        if "w" in mode:
            if self.full:
                raise OSError(ENOSPC)
            self.step("create " + path)
            self.files[path] = b""
            return _File(self, path, True)
        if path not in self.files:
            raise OSError(ENOENT)
        return _File(self, path, False)

    def rename(self, old, new):
        if old not in self.files:
            raise OSError(ENOENT)
        if new in self.files and not self.atomic_rename:
            raise OSError(EEXIST)
        self.step("rename %s -> %s" % (old, new))
        self.files[new] = self.files.pop(old)

    def remove(self, path):
        if path not in self.files:
            raise OSError(ENOENT)
        self.step("remove " + path)
        del self.files[path]
