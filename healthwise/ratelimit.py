"""Rate-limit counters in a SQLite file, shared by every worker process of the server.

Flask-Limiter keeps its counters in a ``limits`` storage. ``memory://`` keeps them in
each worker, so with three workers every limit was three times looser than documented;
Redis shares them but is one more server to run on a trainer's laptop. This storage
keeps them in ``instance/ratelimits.db`` (``RATELIMIT_STORAGE_URI =
sqlite:///<absolute path>``): each hit is one atomic ``INSERT ... ON CONFLICT ... RETURNING``,
so the count is exact whatever the number of workers or threads, on Linux, macOS and
Windows alike, and whatever database the app itself uses.

Only the fixed-window strategy (Flask-Limiter's default) is supported.
"""

import os
import re
import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import Storage

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID
"""
HIT = """
INSERT INTO counters (key, value, expires_at) VALUES (:key, :amount, :now + :expiry)
ON CONFLICT (key) DO UPDATE SET
    value = CASE WHEN expires_at <= :now THEN :amount ELSE value + :amount END,
    expires_at = CASE WHEN expires_at <= :now THEN :now + :expiry ELSE expires_at END
RETURNING value
"""
#: Expired counters are deleted once every this many hits of a process.
PURGE_EVERY = 500


def path_of(uri: str) -> Path:
    """Return the file of a ``sqlite:///<absolute path>`` URI, as SQLAlchemy spells it:
    ``sqlite:////srv/instance/ratelimits.db``, ``sqlite:///C:/instance/ratelimits.db``.

    :raises ValueError: if the path is not absolute.
    """
    path = uri.split("://", 1)[1].removeprefix("/")
    if not (path.startswith("/") or re.match(r"^[A-Za-z]:[/\\]", path)):
        raise ValueError(f"{uri!r} is not sqlite:///<absolute path of a file>")
    return Path(path)


class SQLiteStorage(Storage):
    """A ``limits`` storage whose counters live in one SQLite file."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, timeout: float = 10.0,
                 **options) -> None:
        """Remember where the file is; it is opened (and made) on first use.

        :param uri: ``sqlite:///`` and the file's absolute path.
        :param timeout: seconds a hit waits for another process's write.
        """
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = path_of(uri)
        self.timeout = timeout
        self._local = threading.local()
        self._hits = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        """Return this thread's connection, made anew in a new process (gunicorn forks)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            # Counters need no fsync at each hit: WAL with synchronous=NORMAL stays
            # consistent through a crash and may at worst forget the last hits. Asking
            # for WAL on every new connection failed now and then with "database is
            # locked" while many threads started at once (seen under load in the tests);
            # the file stays in WAL once switched, so only a connection that finds it
            # otherwise asks.
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(SCHEMA)
            local.conn, local.pid = conn, os.getpid()
        return local.conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to a counter (a new window if it has expired); return its value."""
        now = time.time()
        conn = self._db()
        value = conn.execute(HIT, {"key": key, "amount": amount, "now": now,
                                   "expiry": expiry}).fetchone()[0]
        self._hits += 1
        if self._hits % PURGE_EVERY == 0:
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return value

    def get(self, key: str) -> int:
        """Return a counter's value in its current window (0 if none)."""
        row = self._db().execute("SELECT value FROM counters WHERE key = ? AND expires_at > ?",
                                 (key, time.time())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        """Return when a counter's window ends (now if it has none)."""
        now = time.time()
        row = self._db().execute("SELECT expires_at FROM counters WHERE key = ? "
                                 "AND expires_at > ?", (key, now)).fetchone()
        return row[0] if row else now

    def check(self) -> bool:
        """Return True if the file can be read."""
        try:
            self._db().execute("SELECT 1 FROM counters LIMIT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int:
        """Delete every counter; return how many there were."""
        return self._db().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        """Delete one counter."""
        self._db().execute("DELETE FROM counters WHERE key = ?", (key,))
