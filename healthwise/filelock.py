"""Locks on whole files between processes: ``fcntl.flock`` on POSIX, ``msvcrt`` on Windows.

The SQLite writer gate (:mod:`healthwise.database`) and the PDF render slots
(:mod:`healthwise.plans.slots`) both lock a file that every process of the server
opens. Two descriptors of one file exclude each other, even in one process, on both
systems; the kernel drops a dead process's lock, so a kill -9 leaves nothing stuck.

The ``filelock`` library was not used: its blocking wait polls, while the writer gate
relies on a blocking ``flock`` waking the next writer the moment the previous one
commits.
"""

import os
import time
from pathlib import Path

WINDOWS = os.name == "nt"
#: How long a blocking wait on Windows sleeps between tries. ``msvcrt.locking``'s own
#: blocking mode retries only once a second; on Windows the server is one waitress
#: process, whose threads already queue on a threading lock, so the file lock only
#: waits for the odd ``healthwise`` command in another process.
WINDOWS_RETRY = 0.005

if WINDOWS:  # pragma: no cover - exercised on Linux through a stand-in (tests/test_serve.py)
    import msvcrt
else:
    import fcntl


def open_lock_file(path: Path) -> int:
    """Open (making it if need be) a lock file; return its descriptor."""
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def lock(fd: int, blocking: bool = True) -> bool:
    """Take the exclusive lock of an open file; return False if ``blocking`` is off and
    another descriptor holds it.

    :param fd: a descriptor from :func:`open_lock_file`.
    :param blocking: wait for the lock (True) or give up at once (False).
    """
    if WINDOWS:
        return _lock_windows(fd, blocking)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock(fd: int) -> None:
    """Release the lock taken by :func:`lock` on this descriptor."""
    if WINDOWS:
        os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the file's position
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _lock_windows(fd: int, blocking: bool) -> bool:
    # The first byte stands for the whole file; Windows lets one lock past the end of an
    # empty file.
    while True:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            if not blocking:
                return False
            time.sleep(WINDOWS_RETRY)
        else:
            return True
