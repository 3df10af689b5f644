"""Database set-up: SQLite pragmas for durability, the same code for PostgreSQL."""

from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import make_url

from healthwise.extensions import db


def init_database(app: Flask) -> None:
    """Bind the database to the app; on SQLite, turn on WAL, full sync and a busy timeout."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
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
