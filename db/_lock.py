"""One pass at a time on an archive: two passes on one db would fetch every pending page twice.

An exclusive lock (flock) on a file beside the database, held for the pass. The system lets go of it
when its process ends, however it ends, so a killed pass never leaves the archive locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from paperboy.core import PaperboyError


class Busy(PaperboyError):
    """Another process holds the lock."""


@contextmanager
def exclusive(db_path: str, name: str) -> Iterator[None]:
    """Hold `name`'s lock on the archive at `db_path`, or raise Busy saying who holds it."""
    path = f"{db_path}.{name}.lock"
    try:  # a link in the lock's place is not followed: its target would be truncated
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        if os.path.islink(path):
            raise Busy(f"{path} is a symbolic link: not followed; remove it") from None
        raise OSError(f"cannot open {path}: {exc.strerror}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise Busy(f"another {name} is running on {db_path} (process {holder})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing lets go of the lock
