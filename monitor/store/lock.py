"""The single-writer lock: an flock on ``<db>.lock`` beside the database."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import LockedError


@contextmanager
def writer_lock(path: str | Path) -> Iterator[None]:
    """Hold the database's writer lock (``<db>.lock``) or raise LockedError at once.

    The lock is an flock on the file: the kernel releases it when its process ends, so a
    lock left by a killed process never blocks the next run.
    """
    if str(path) == ":memory:":
        yield
        return
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise LockedError(f"{path}: another monitor process (pid {holder}) is writing to "
                              "this database; not starting a second writer") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
