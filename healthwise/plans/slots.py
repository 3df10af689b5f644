"""At most a few PDF renders at once across every worker of the server.

Rendering is CPU-bound: six parallel renders of long plans on a 2-core laptop slowed
every facility's sync a hundredfold. Each render holds one of ``PDF_RENDER_SLOTS`` lock
files in the instance folder; one that finds none free within ``PDF_RENDER_WAIT``
seconds gets 503 with ``Retry-After``. The kernel drops a dead process's lock.
"""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from healthwise import filelock
from healthwise.errors import Busy

RETRY_AFTER = 5  # seconds: a long plan renders in about one


@contextmanager
def render_slot(folder: Path, slots: int, wait: float) -> Iterator[None]:
    """Hold one of ``slots`` render slots for the block, waiting up to ``wait`` seconds.

    :raises Busy: (503, with Retry-After) if none came free in time.
    """
    folder.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        for number in range(slots):
            # A new descriptor each try: locks of two descriptors exclude each other
            # even in one process, so threads of a worker queue too.
            fd = filelock.open_lock_file(folder / f"pdf-slot-{number}.lock")
            if not filelock.lock(fd, blocking=False):
                os.close(fd)
                continue
            try:
                yield
            finally:
                filelock.unlock(fd)
                os.close(fd)
            return
        if time.monotonic() >= deadline:
            raise Busy("The server is busy making other PDFs. Try again in a few seconds.",
                       retry_after=RETRY_AFTER)
        time.sleep(0.05)
