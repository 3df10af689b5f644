"""Database set-up: SQLite pragmas for durability, the same code for PostgreSQL."""

import threading
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import make_url

from healthwise import filelock
from healthwise.extensions import db


def init_database(app: Flask) -> None:
    """Bind the database to the app; on SQLite, turn on WAL, full sync and a busy timeout."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    file_based = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if file_based:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    app.extensions["writer_gate"] = \
        WriterGate(Path(url.database).with_suffix(".writer-lock")) if file_based else None
    if url.get_backend_name() != "sqlite":
        return
    timeout = app.config["SQLITE_BUSY_TIMEOUT_MS"]

    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        # WAL lets readers go on while one writer commits; synchronous=FULL makes every
        # acknowledged commit survive a power cut; the busy timeout makes writers queue
        # instead of failing when a hundred phones sync at once.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    with app.app_context():
        event.listen(db.engine, "connect", on_connect)


class WriterGate:
    """Queue SQLite writers of every worker process in line, without polling.

    SQLite's own busy handler makes a waiting writer sleep and retry (up to 100 ms at
    a time), so during a workshop burst the database sits idle between commits. A
    blocking file lock (:mod:`healthwise.filelock`) wakes the next writer the moment the
    previous one commits. The kernel drops the lock if a process dies, so a kill -9
    leaves nothing stuck.
    """

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None
        self._threads = threading.Lock()  # one descriptor's lock does not separate threads
        self._held = threading.local()

    def acquire(self) -> None:
        if getattr(self._held, "on", False):
            return
        self._threads.acquire()
        if self._fd is None:
            self._fd = filelock.open_lock_file(self.path)
        filelock.lock(self._fd)
        self._held.on = True

    def release(self) -> None:
        if not getattr(self._held, "on", False):
            return
        self._held.on = False
        filelock.unlock(self._fd)
        self._threads.release()


def hold_writer_gate() -> None:
    """Wait for this process's turn to write (SQLite files only); released at transaction end.

    The session's transaction is begun first, so that its end, whichever way it
    comes (commit, rollback, or the request's teardown closing the session), is
    sure to open the gate again.
    """
    gate = current_app.extensions.get("writer_gate")
    if gate is not None:
        db.session.connection()
        gate.acquire()


def _release_writer_gate(_session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint: the transaction goes on
        return
    gate = current_app.extensions.get("writer_gate") if current_app else None
    if gate is not None:
        gate.release()


def _gate_orm_writes(session, _context, _instances) -> None:
    # Any ORM write (a token's last_seen, a page's form) queues at the gate too: a writer
    # left to SQLite's busy handler alone can starve behind a hundred gated ones.
    if session.new or session.dirty or session.deleted:
        hold_writer_gate()


# Commit, rollback or close: whichever ends the transaction lets the next writer in.
event.listen(db.session, "after_transaction_end", _release_writer_gate)
event.listen(db.session, "before_flush", _gate_orm_writes)
