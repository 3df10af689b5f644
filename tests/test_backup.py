"""``healthwise backup`` and ``healthwise restore``: a consistent copy of a live database,
and its restore, on SQLite files (PostgreSQL: pg_dump, tested when the suite runs there)."""

import sqlite3
import threading
import uuid
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import make_url

from healthwise.backup import service
from healthwise.cli import main
from healthwise.extensions import db
from tests.conftest import EXTERNAL_URL, Phone

sqlite_only = pytest.mark.skipif(bool(EXTERNAL_URL), reason="a backup of an SQLite file")


@pytest.fixture
def cli(app):
    """Invoke the ``healthwise`` command against the test app."""

    def invoke(*args):
        return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))

    return invoke


@pytest.fixture
def db_path(app) -> Path:
    return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)


def rows(path: Path, table: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def tables(path: Path) -> dict[str, list[tuple]]:
    with closing(sqlite3.connect(path)) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {name: rows(path, name) for name in names}


def unpack(backup: Path, into: Path) -> Path:
    with zipfile.ZipFile(backup) as archive:
        archive.extract(service.SQLITE_NAME, into)
    return into / service.SQLITE_NAME


@sqlite_only
def test_a_backup_taken_while_phones_sync_is_a_whole_prefix_of_the_history(
        app, make_facility, make_token, db_path, tmp_path):
    """Four phones sync rounds through the real push path while backups are taken: each
    backup passes the integrity check and holds every change up to its clock, whole
    batches only, exactly as the live database has them."""
    facility = make_facility()
    phones = [Phone(app.test_client(), facility, make_token(facility, f"phone {n}"))
              for n in range(4)]
    batches: dict[str, list[str]] = {}
    stop = threading.Event()
    failures = []

    def write(phone):
        try:
            while not stop.is_set():
                _, _, changes = phone.round_changes(n_answers=8)
                batches[changes[0]["change_id"]] = [c["change_id"] for c in changes]
                phone.sync(changes)
        except Exception as exc:  # reported below: an exception in a thread is silent
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in phones]
    for thread in threads:
        thread.start()
    backups = []
    try:
        for n in range(4):
            stop.wait(0.3)
            backups.append(service.backup(app.config["SQLALCHEMY_DATABASE_URI"],
                                          tmp_path / f"b{n}.zip", tmp_path / "photos"))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not failures, failures
    live = rows(db_path, "changes")
    assert len(live) > 40  # the phones did write meanwhile
    clocks = [manifest.clock for _, manifest in backups]
    assert clocks == sorted(clocks) and clocks[-1] > clocks[0], clocks
    for n, (path, manifest) in enumerate(backups):
        copy = unpack(path, tmp_path / f"unpacked{n}")
        with closing(sqlite3.connect(copy)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            seqs = [s for (s,) in conn.execute("SELECT seq FROM changes ORDER BY seq")]
            assert conn.execute("SELECT value FROM sync_clock").fetchone()[0] == manifest.clock
            held = {c for (c,) in conn.execute("SELECT change_id FROM changes")}
        assert seqs == list(range(1, manifest.clock + 1))  # no gap: a prefix
        assert len(seqs) == manifest.changes
        # The same history as the live database, up to the backup's clock.
        with closing(sqlite3.connect(db_path)) as conn:
            up_to = conn.execute("SELECT * FROM changes WHERE seq <= ?", (manifest.clock,))
            assert rows(copy, "changes") == sorted(up_to.fetchall(), key=repr)
        for ids in batches.values():  # one request is one transaction: whole or absent
            assert {i in held for i in ids} in ({True}, {False})


@sqlite_only
def test_restore_brings_the_backup_back_and_keeps_the_database_it_replaces(
        app, phone, cli, db_path, tmp_path):
    photos = Path(app.config["PHOTOS_DIR"])
    photos.mkdir(parents=True, exist_ok=True)
    (photos / "ab").mkdir(exist_ok=True)
    (photos / "ab" / "abc123.jpg").write_bytes(b"a photo")
    _, _, changes = phone.round_changes(n_answers=5)
    phone.sync(changes)
    out = tmp_path / "backups"
    out.mkdir()
    result = cli("backup", str(out))
    assert result.exit_code == 0, result.output
    assert "1 photos" in result.output
    (backup,) = out.glob("healthwise-*.zip")
    with app.app_context():
        db.engine.dispose()
    at_backup = tables(db_path)

    _, _, later = phone.round_changes(n_answers=3)
    phone.sync(later)
    (photos / "ab" / "abc123.jpg").unlink()
    (photos / "new.jpg").write_bytes(b"uploaded after the backup")
    with app.app_context():
        db.engine.dispose()
    before_restore = tables(db_path)
    assert before_restore != at_backup

    assert cli("restore", str(backup)).exit_code != 0  # asks for --yes first
    assert tables(db_path) == before_restore
    result = cli("restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    assert tables(db_path) == at_backup
    (kept,) = db_path.parent.glob(f"{db_path.name}.before-restore-*")
    assert tables(kept) == before_restore
    assert f"kept as {kept}" in result.output
    assert (photos / "ab" / "abc123.jpg").read_bytes() == b"a photo"
    assert (photos / "new.jpg").exists()  # photos are never taken away
    # The server serves the restored database: the first round, not the later one.
    assert {c["id"] for c in phone.sync()["changes"]} == {c["id"] for c in changes}


@sqlite_only
def test_restore_refuses_while_the_database_is_in_use(app, phone, cli, db_path, tmp_path):
    phone.sync(phone.round_changes()[2])
    path, _ = service.backup(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "b.zip",
                             tmp_path / "photos")
    before = tables(db_path)
    with closing(sqlite3.connect(db_path)) as server:  # another process, as a worker would
        server.execute("SELECT count(*) FROM changes").fetchone()
        result = cli("restore", str(path), "--yes")
        assert result.exit_code != 0
        assert "stop the server" in result.output
    assert tables(db_path) == before
    assert not list(db_path.parent.glob("*before-restore*"))
    assert not list(db_path.parent.glob(".*restoring*"))


def test_restore_refuses_a_file_that_is_no_backup(cli, tmp_path):
    bad = tmp_path / "notes.zip"
    bad.write_bytes(b"not a zip")
    result = cli("restore", str(bad), "--yes")
    assert result.exit_code == 1
    assert "is not a HealthWISE backup" in result.output
    assert "Traceback" not in result.output


def test_postgres_without_pg_dump_prints_the_commands(monkeypatch, tmp_path):
    monkeypatch.setattr(service.shutil, "which", lambda name: None)
    url = "postgresql+psycopg://healthwise:pw@db.example.org/healthwise"
    with pytest.raises(service.BackupError) as raised:
        service.backup(url, tmp_path / "b.zip", tmp_path / "photos")
    message = str(raised.value)
    assert "pg_dump --format=custom" in message
    assert "postgresql://healthwise:pw@db.example.org/healthwise" in message
    assert "pg_restore --clean" in message
    assert not list(tmp_path.iterdir())  # nothing half written


@pytest.mark.skipif(not (EXTERNAL_URL or "").startswith("postgresql"),
                    reason="runs pg_dump and pg_restore against the test's PostgreSQL")
def test_postgres_backup_and_restore_with_pg_tools(app, phone, tmp_path):
    from sqlalchemy import func, select

    from healthwise.assessments.models import Answer

    phone.sync(phone.round_changes(n_answers=4)[2])
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    path, manifest = service.backup(url, tmp_path / "pg.zip", tmp_path / "photos")
    assert manifest.engine == "postgresql" and manifest.changes == 6
    phone.sync(phone.round_changes(n_answers=2)[2])
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    service.restore(path, url, tmp_path / "photos")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 4


@sqlite_only
def test_under_gunicorn_backups_while_phones_sync_and_restore_once_stopped(tmp_path,
                                                                           live_database_url):
    """The real commands beside a real server: ``healthwise backup`` while four phones
    send whole responses to two workers; ``healthwise restore`` refused while it serves,
    done once it is stopped; then a phone's cursor from after the backup is refused."""
    import subprocess
    import sys

    import requests

    from tests.live import ROOT, cli, served
    from tests.test_live_server import response_batch, send, setup_facility

    database = Path(live_database_url.removeprefix("sqlite:///"))
    with served(live_database_url, tmp_path / "instance", workers=2) as (server, env):
        tokens, assessment_id = setup_facility(server, env, 4)
        stop = threading.Event()
        failures = []

        def phone(number):
            device_id = f"00000000-0000-4000-8000-{number:012d}"
            while not stop.is_set():
                reply = send(server.url, tokens[number], device_id, response_batch(assessment_id))
                if reply.status_code != 200:
                    failures.append(reply.text)
                    return

        threads = [threading.Thread(target=phone, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        try:
            outputs = [cli(env, "backup", str(tmp_path / f"live{n}.zip")) for n in range(2)]
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert not failures, failures[:1]
        refused = subprocess.run([sys.executable, "-m", "healthwise.cli", "restore",
                                  str(tmp_path / "live0.zip"), "--yes"], env=env, cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
        assert refused.returncode == 1 and "stop the server" in refused.stderr
        late_cursor = pull_to_the_end(server.url, tokens[0], device_id := str(uuid.uuid4()))
        server.stop()
        clock = service.read_manifest(tmp_path / "live0.zip").clock
        with closing(sqlite3.connect(database)) as conn:
            assert conn.execute("SELECT value FROM sync_clock").fetchone()[0] > clock
        restored = cli(env, "restore", str(tmp_path / "live0.zip"), "--yes")
        assert "kept as" in restored
        server.start()
        reply = requests.post(f"{server.url}/api/v1/sync", timeout=60,
                              json={"device_id": device_id, "cursor": late_cursor,
                                    "changes": []},
                              headers={"Authorization": f"Bearer {tokens[0]}"})
        assert reply.status_code == 422 and reply.json()["error"]["code"] == "bad_cursor"
    for n, output in enumerate(outputs):
        assert output.startswith("Backed up to ")
        copy = unpack(tmp_path / f"live{n}.zip", tmp_path / f"live{n}")
        manifest = service.read_manifest(tmp_path / f"live{n}.zip")
        with closing(sqlite3.connect(copy)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            seqs = [s for (s,) in conn.execute("SELECT seq FROM changes ORDER BY seq")]
            # Whole responses only: each holds its response and every answer.
            per_response = conn.execute(
                "SELECT count(*) FROM answers GROUP BY response_id").fetchall()
        assert seqs == list(range(1, manifest.clock + 1))
        assert {c for (c,) in per_response} == {len(response_batch(assessment_id)) - 1}
    with closing(sqlite3.connect(database)) as conn:
        assert conn.execute("SELECT value FROM sync_clock").fetchone()[0] == clock


def pull_to_the_end(url: str, token: str, device_id: str) -> str:
    """Pull every page as a phone does; return the last cursor."""
    import requests

    cursor = None
    while True:
        body = requests.post(f"{url}/api/v1/sync", timeout=60,
                             json={"device_id": device_id, "cursor": cursor, "changes": []},
                             headers={"Authorization": f"Bearer {token}"}).json()
        cursor = body["cursor"]
        if not body["more"]:
            return cursor


def test_the_database_kept_aside_holds_what_a_killed_server_left_in_its_log(tmp_path):
    """A server killed with -9 leaves committed rows in the -wal file only: the restore
    folds them into the copy it keeps aside, and never replays that log onto the backup."""
    import subprocess
    import sys

    live = tmp_path / "healthwise.db"
    killed = (f"import os, sqlite3\nc = sqlite3.connect({str(live)!r})\n"
              "c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')\n"
              "c.execute('CREATE TABLE t (x)')\n"
              "c.executemany('INSERT INTO t VALUES (?)', [(i,) for i in range(500)])\n"
              "c.commit()\nos._exit(0)\n")
    subprocess.run([sys.executable, "-c", killed], check=True)
    assert Path(f"{live}-wal").stat().st_size > 0
    with closing(sqlite3.connect(tmp_path / "old.db")) as conn:
        conn.execute("CREATE TABLE sync_clock (id INTEGER PRIMARY KEY, value INTEGER)")
        conn.execute("CREATE TABLE changes (seq INTEGER)")
        conn.execute("INSERT INTO sync_clock VALUES (1, 0)")
        conn.commit()
    path, _ = service.backup(f"sqlite:///{tmp_path / 'old.db'}", tmp_path / "b.zip",
                             tmp_path / "photos")
    done = service.restore(path, f"sqlite:///{live}", tmp_path / "photos")
    (kept,) = done["kept"]
    assert sorted(x for (x,) in rows(kept, "t")) == list(range(500))
    assert not Path(f"{live}-wal").exists()
    assert sorted(tables(live)) == ["changes", "sync_clock"]


def test_restore_refuses_a_photo_named_outside_the_photos_folder(tmp_path):
    with closing(sqlite3.connect(tmp_path / "db.db")) as conn:
        conn.execute("CREATE TABLE sync_clock (id INTEGER PRIMARY KEY, value INTEGER)")
        conn.execute("CREATE TABLE changes (seq INTEGER)")
        conn.commit()
    path, _ = service.backup(f"sqlite:///{tmp_path / 'db.db'}", tmp_path / "b.zip",
                             tmp_path / "photos")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("photos/../../escaped.txt", b"no")
    with pytest.raises(service.BackupError, match="outside photos"):
        service.restore(path, f"sqlite:///{tmp_path / 'live.db'}", tmp_path / "photos")
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "live.db").exists()  # refused before anything changed
