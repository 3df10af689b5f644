"""Fixtures: an app with a fresh database per test, clients, and factories.

The ``app`` fixture holds no application context while a test makes requests (as
Flask's tutorial does): each request pushes its own, as in production. A test that
reads or writes the database itself opens one: ``with app.app_context(): ...``.
Factories do so inside and return objects whose columns are loaded.

The suite runs on SQLite by default. With ``TEST_DATABASE_URL`` set (``make test``
sets it from ``TEST_POSTGRES_URL`` for a second pass) the same tests run on that
database. Either way the schema is built once per session: on SQLite into a
template file that each test gets a copy of, on the external database once, its
tables emptied between tests.

Tests use their own instance folder (a temporary directory, set before
:mod:`healthwise.config` is imported), never the checkout's ``instance/``, and a
fixed secret key; the translation catalogues are compiled when they are missing or
older than their sources.
"""

import atexit
import os
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

INSTANCE_DIR = Path(tempfile.mkdtemp(prefix="healthwise-test-instance-"))
os.environ["HEALTHWISE_INSTANCE_DIR"] = str(INSTANCE_DIR)
atexit.register(shutil.rmtree, INSTANCE_DIR, ignore_errors=True)  # also when a script imports it

from healthwise import create_app  # noqa: E402  (reads HEALTHWISE_INSTANCE_DIR)
from healthwise.extensions import db  # noqa: E402

EXTERNAL_URL = os.environ.get("TEST_DATABASE_URL")

#: What every test app is made with (a test may add to it, never read the developer's).
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production-0123456789",
    "RATELIMIT_ENABLED": False,
    "DEMO_DATA": False,
}


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """Compile the translation catalogues when a ``.mo`` is missing or older than its ``.po``."""
    from healthwise.languages.catalogues import compile_if_needed

    compile_if_needed()


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.execute(text("INSERT INTO sync_clock (id, value) VALUES (1, 0)"))
    db.session.commit()


def _build_schema(url: str) -> None:
    """Create every table (and the sync clock's row) in an empty database."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def schema(tmp_path_factory):
    """Build the schema once: return the SQLite template file, or None on an external database.

    The external database starts from an empty public schema (models may have changed).
    """
    if EXTERNAL_URL:
        from tests.live import reset_database

        reset_database(EXTERNAL_URL)
        _build_schema(EXTERNAL_URL)
        return None
    template = tmp_path_factory.mktemp("schema") / "template.db"
    _build_schema(f"sqlite:///{template}")
    return template


@pytest.fixture
def database_url(tmp_path, schema):
    """The database URL of one test: a copy of the template, or the external database emptied.

    Copying a file is far cheaper than creating every table.
    """
    if EXTERNAL_URL:
        return EXTERNAL_URL
    path = tmp_path / "test.db"
    shutil.copyfile(schema, path)
    return f"sqlite:///{path}"


@pytest.fixture
def live_database_url(tmp_path):
    """The database of a test that serves the app under gunicorn, which migrates it itself:
    a new SQLite file, or the external database (``tests.live.served`` empties it)."""
    return EXTERNAL_URL or f"sqlite:///{tmp_path / 'live.db'}"


def new_app(database_url: str, **config):
    """Return an app on ``database_url`` with the test settings (and ``config`` over them)."""
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})


@pytest.fixture
def app(database_url, tmp_path):
    # Each test its own photos folder, as it has its own database.
    app = new_app(database_url, PHOTOS_DIR=str(tmp_path / "photos"))
    if EXTERNAL_URL:
        with app.app_context():
            _empty_tables()
    yield app
    with app.app_context():
        db.engine.dispose()


@contextmanager
def loaded(app):
    """Open an application context whose commits keep objects loaded; yield the session.

    Factories create objects in it and return them: after the context, they are
    detached, with every column and the relationships they were made with readable.
    A test passes such an object back with ``session.add(obj)`` in a context of its own.
    """
    with app.app_context():
        db.session().expire_on_commit = False
        yield db.session


def count(app, model, *where) -> int:
    """Return how many rows of ``model`` the test database holds (``where`` filters them)."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fetch(app, model, key):
    """Return the row of ``model`` with primary key ``key``, its columns loaded, or None."""
    with app.app_context():
        return db.session.get(model, key)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_facility(app):
    """Return a callable that creates a facility (and its district) and returns it."""
    from healthwise.facilities.models import District, Facility

    def make(name="Riverside Health Centre", district=None):
        with loaded(app) as session:
            facility = Facility(name=name, district=district or District(name="North District"))
            session.add(facility)
            session.commit()
            return facility

    return make


@pytest.fixture
def make_token(app):
    """Return a callable that creates a device token for a facility and returns its secret."""
    from healthwise.devices.service import create_device_token

    def make(facility, name="test phone"):
        with app.app_context():
            _, secret = create_device_token(facility.id, name)
            db.session.commit()
            return secret

    return make


@pytest.fixture
def make_workshop(app, make_user):
    """Return a callable that creates a workshop (and its practice facility) and returns it."""
    from datetime import date

    from healthwise.workshops.service import create_workshop

    # Today by default: a workshop past its last day is over, and its phones are refused.
    def make(name="Mombasa training", trainer=None, starts_on=None, ends_on=None):
        trainer = trainer or make_user("trainer")
        with loaded(app) as session:
            session.add(trainer)
            workshop = create_workshop(trainer, name, starts_on or date.today(), ends_on)
            session.commit()
            return workshop

    return make


DEFAULT_PASSWORD = "correct horse battery"


@lru_cache(maxsize=1)
def _default_password_hash() -> str:
    from healthwise.auth.service import hash_password

    return hash_password(DEFAULT_PASSWORD)  # scrypt is slow on purpose: hash it once


@pytest.fixture
def make_user(app):
    """Return a callable that creates a person (password DEFAULT_PASSWORD) and returns them."""
    from healthwise.auth.models import User

    def make(role="manager", districts=(), email=None):
        with loaded(app) as session:
            user = User(email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.org",
                        password_hash=_default_password_hash(), role=role,
                        districts=list(districts))
            session.add(user)
            session.commit()
            return user

    return make


def sign_in(client, user) -> None:
    """Sign a test client in as ``user`` (a server-side session, as the sign-in page makes)."""
    from healthwise.auth.decorators import SESSION_KEY
    from healthwise.auth.service import start_session

    with loaded(client.application) as db_session:
        db_session.add(user)
        _, raw = start_session(user)
        db_session.commit()
    with client.session_transaction() as session:
        session[SESSION_KEY] = raw


def csrf_token(client) -> str:
    """Return the CSRF token of a test client's session, as a page would embed it."""
    html = client.get("/manage/sign-in").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def phone(client, make_facility, make_token):
    """A committee phone of one facility, with a helper to sync."""
    facility = make_facility()
    return Phone(client, facility, make_token(facility))


def new_id() -> str:
    return str(uuid.uuid4())


class Phone:
    """A test double of the PWA: makes changes and syncs them like the app does."""

    def __init__(self, client, facility, token, device_id=None):
        self.client = client
        self.facility = facility
        self.token = token
        self.device_id = device_id or new_id()
        self.cursor = None

    def change(self, record_type, record_id, fields, base_rev=None, change_id=None):
        return {"change_id": change_id or new_id(), "type": record_type, "id": record_id,
                "base_rev": base_rev, "fields": fields}

    def sync(self, changes=(), cursor=None, expect=200):
        body = {"device_id": self.device_id, "cursor": cursor, "changes": list(changes)}
        response = self.client.post("/api/v1/sync", json=body,
                                    headers={"Authorization": f"Bearer {self.token}"})
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def round_changes(self, n_answers=3, checkpoint_ids=None):
        """Return the changes that create an assessment, a response and its answers."""
        assessment_id, response_id = new_id(), new_id()
        changes = [
            self.change("assessment", assessment_id, {
                "facility_id": self.facility.id, "checklist_id": "healthwise",
                "checklist_version": 1, "title": "Baseline", "kind": "baseline",
                "status": "open", "started_on": "2026-11-20"}),
            self.change("response", response_id, {"assessment_id": assessment_id,
                                                  "participant": "Amina", "role": "nurse"}),
        ]
        ids = checkpoint_ids or checklist_ids()[:n_answers]
        for checkpoint_id in ids:
            changes.append(self.change("answer", new_id(), {
                "response_id": response_id, "checkpoint_id": checkpoint_id, "action": "yes",
                "priority": False, "remark": ""}))
        return assessment_id, response_id, changes


def checklist_ids() -> list[str]:
    """Return the checkpoint ids of the shipped checklist, in order."""
    from healthwise.checklists.registry import registry_for
    from healthwise.config import CHECKLISTS_DIR

    return list(registry_for(str(CHECKLISTS_DIR)).get("healthwise").checkpoints)
