"""Backups of a live instance and their restore: the database and the photos folder.

A backup is one ``.zip`` file: ``manifest.json``, the database (``healthwise.db``, a
consistent SQLite snapshot, or ``healthwise.pgdump``, a ``pg_dump`` custom-format
archive) and ``photos/`` when the instance has a photos folder. It is written beside
its destination and moved into place once complete, so a backup is never half a file.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_NAME = "healthwise.db"
PG_NAME = "healthwise.pgdump"
PHOTOS = "photos/"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds."""

    created_at: str
    engine: str
    #: The sync clock in the backup: every change up to it, none after.
    clock: int
    changes: int
    photos: int

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **self.__dict__}, indent=2)


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%d-%H%M%S")


def pg_url(url: URL) -> str:
    """Return a PostgreSQL URL as libpq's tools (pg_dump, pg_restore) read it."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def pg_commands(url: URL) -> tuple[str, str]:
    """Return the ``pg_dump`` and ``pg_restore`` command lines for a PostgreSQL URL."""
    target = pg_url(url)
    return (f"pg_dump --format=custom --file healthwise-$(date +%F).pgdump '{target}'",
            f"pg_restore --clean --if-exists --no-owner --dbname '{target}' healthwise-DATE.pgdump")


def _history(conn: sqlite3.Connection) -> tuple[int, int]:
    """Return the sync clock and the number of changes of an SQLite database."""
    clock = conn.execute("SELECT value FROM sync_clock WHERE id = 1").fetchone()
    changes = conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    return (clock[0] if clock else 0), changes


def snapshot_sqlite(source: Path, target: Path) -> tuple[int, int]:
    """Copy a live SQLite database into ``target`` with SQLite's online backup.

    The copy is made in one step, inside one read transaction: it is the database as
    of one commit, while writers go on (WAL mode lets them). It is checked with
    ``PRAGMA integrity_check`` and left in rollback-journal mode (one self-contained file).

    :returns: the sync clock and the number of changes in the copy.
    :raises BackupError: if the source is missing or the copy is damaged.
    """
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    with closing(sqlite3.connect(source, timeout=60)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)  # pages=-1: all in one step, so one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The copy of the database failed its integrity check: {check}")
        return _history(dst)


def _photo_files(photos: Path) -> list[Path]:
    if not photos.is_dir():
        return []
    return sorted(p for p in photos.rglob("*") if p.is_file() and not p.name.startswith("."))


def backup(database_url: str, out: Path, photos: Path, now: datetime | None = None
           ) -> tuple[Path, Manifest]:
    """Write a backup of the database and the photos folder to ``out``.

    :param database_url: the app's ``SQLALCHEMY_DATABASE_URI``.
    :param out: the file to write, or an existing folder to write
        ``healthwise-<date>-<time>.zip`` into.
    :param photos: the instance's photos folder (taken if it exists).
    :returns: the file written and its manifest.
    :raises BackupError: for an in-memory database, or PostgreSQL without ``pg_dump``.
    """
    now = now or datetime.now(UTC)
    out = out.resolve()
    if out.is_dir():
        out = out / f"healthwise-{_stamp(now)}.zip"
    url = make_url(database_url)
    with tempfile.TemporaryDirectory(prefix=".healthwise-backup-", dir=out.parent) as work:
        work = Path(work)
        if url.get_backend_name() == "sqlite":
            if url.database in (None, "", ":memory:"):
                raise BackupError("An in-memory database cannot be backed up.")
            name = SQLITE_NAME
            clock, changes = snapshot_sqlite(Path(url.database), work / name)
        elif url.get_backend_name() == "postgresql":
            name = PG_NAME
            clock, changes = _pg_dump(url, work / name)
        else:
            raise BackupError(f"Backups of {url.get_backend_name()} are not supported.")
        # Photos after the database: a photo is uploaded before a record names it, so
        # every photo the snapshot refers to is already in the folder.
        files = _photo_files(photos)
        manifest = Manifest(now.isoformat(timespec="seconds"), url.get_backend_name(), clock,
                            changes, len(files))
        partial = work / "backup.zip"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MANIFEST, manifest.to_json())
            archive.write(work / name, name)
            for path in files:
                archive.write(path, PHOTOS + path.relative_to(photos).as_posix())
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, out)
    return out, manifest


def _pg_dump(url: URL, target: Path) -> tuple[int, int]:
    """Dump a PostgreSQL database with ``pg_dump`` (one consistent snapshot)."""
    if shutil.which("pg_dump") is None:
        dump, restore = pg_commands(url)
        raise BackupError("pg_dump is not installed here (apt install postgresql-client). "
                          f"Back up with:\n  {dump}\nand restore with:\n  {restore}")
    done = subprocess.run(["pg_dump", "--format=custom", "--file", str(target), pg_url(url)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            clock = conn.execute(text("SELECT value FROM sync_clock WHERE id = 1")).scalar()
            changes = conn.execute(text("SELECT count(*) FROM changes")).scalar()
    finally:
        engine.dispose()
    return clock or 0, changes


def read_manifest(path: Path) -> Manifest:
    """Return the manifest of a backup file.

    :raises BackupError: if the file is not a HealthWISE backup.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read(MANIFEST))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise BackupError(f"{path} is not a HealthWISE backup ({exc}).") from exc
    if data.get("format") != FORMAT:
        raise BackupError(f"{path} is a backup of another format ({data.get('format')}).")
    return Manifest(**{k: data[k] for k in Manifest.__dataclass_fields__})


def check_unused(database: Path) -> None:
    """Make sure no other process has the SQLite database open (a running server).

    In WAL mode every open connection holds a shared lock on the file, so an exclusive
    lock is granted only when nobody else has it open.

    :raises BackupError: if another process has it open.
    """
    if not database.exists():
        return
    with closing(sqlite3.connect(database, timeout=0.5, isolation_level=None)) as conn:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as exc:
            raise BackupError("The database is in use: stop the server (and every "
                              "`healthwise` command) before restoring.") from exc
        conn.execute("COMMIT")
        # Fold the write-ahead log into the file, so the copy kept aside is whole.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def restore(path: Path, database_url: str, photos: Path, now: datetime | None = None) -> dict:
    """Replace the database and the photos folder with a backup's.

    The database is checked and swapped with a rename (atomic); the previous one is
    kept beside it as ``<name>.before-restore-<time>``. The backup's photos are added
    to the photos folder (see :func:`_restore_photos`).

    :returns: ``{"manifest", "kept": paths kept aside, "photos_added": a count}``.
    :raises BackupError: if the file is no backup, the database is in use, or the
        backup is of another kind of database than the configured one.
    """
    manifest = read_manifest(path)
    now = now or datetime.now(UTC)
    url = make_url(database_url)
    kept: list[Path] = []
    if url.get_backend_name() != manifest.engine:
        raise BackupError(f"This backup is of a {manifest.engine} database; the server "
                          f"is configured for {url.get_backend_name()}.")
    with zipfile.ZipFile(path) as archive:
        wanted = _photo_targets(archive, photos)  # checked before anything changes
        if manifest.engine == "sqlite":
            kept += _restore_sqlite(archive, Path(url.database), now)
        else:
            _restore_pg(archive, url)
        photos_added = _restore_photos(archive, wanted)
    return {"manifest": manifest, "kept": kept, "photos_added": photos_added}


def _restore_sqlite(archive: zipfile.ZipFile, database: Path, now: datetime) -> list[Path]:
    database = database.resolve()
    database.parent.mkdir(parents=True, exist_ok=True)
    incoming = database.with_name(f".{database.name}.restoring-{_stamp(now)}")
    try:
        with archive.open(SQLITE_NAME) as src, open(incoming, "wb") as dst:
            shutil.copyfileobj(src, dst)
            dst.flush()
            os.fsync(dst.fileno())
        with closing(sqlite3.connect(incoming)) as conn:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The backup's database failed its integrity check: {check}")
        check_unused(database)
        kept = []
        if database.exists():
            aside = database.with_name(f"{database.name}.before-restore-{_stamp(now)}")
            os.replace(database, aside)
            kept.append(aside)
        # A log left beside the old file must never be replayed onto the restored one.
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(incoming, database)
        return kept
    finally:
        incoming.unlink(missing_ok=True)


def _restore_pg(archive: zipfile.ZipFile, url: URL) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore is not installed here (apt install postgresql-client): "
                          f"extract {PG_NAME} from the backup and run:\n  "
                          f"{pg_commands(url)[1]}")
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / PG_NAME
        with archive.open(PG_NAME) as src, open(dump, "wb") as dst:
            shutil.copyfileobj(src, dst)
        done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner",
                               "--single-transaction", "--dbname", pg_url(url), str(dump)],
                              capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def _photo_targets(archive: zipfile.ZipFile, photos: Path) -> list[tuple[str, Path]]:
    """Return ``(name in the backup, file to write)`` of every photo of a backup.

    :raises BackupError: for a name that would land outside the photos folder ("../").
    """
    root = photos.resolve()
    found = []
    for name in archive.namelist():
        if not name.startswith(PHOTOS) or name.endswith("/"):
            continue
        target = (photos / name[len(PHOTOS):]).resolve()
        if root not in target.parents:
            raise BackupError(f"The backup holds a file outside photos/: {name}")
        found.append((name, target))
    return found


def _restore_photos(archive: zipfile.ZipFile, wanted: list[tuple[str, Path]]) -> int:
    """Put the backup's photos back; return how many were missing.

    Photos are named by their sha-256 and never change, so a photo already there is
    the same photo, and a photo uploaded after the backup stays (nothing refers to it
    until a phone sends its record again, and then it is there).
    """
    added = 0
    for name, target in wanted:
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.restoring")
        with archive.open(name) as src, open(partial, "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(partial, target)
        added += 1
    return added
