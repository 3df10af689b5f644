"""Fixtures: an app with a fresh database per test, clients, and factories.

The suite runs on SQLite by default. With ``TEST_DATABASE_URL`` set (``make test``
sets it from ``TEST_POSTGRES_URL`` for a second pass) the same tests run on that
database; tables are created once and emptied between tests.
"""

import os
import re
import uuid
from functools import lru_cache

import pytest
from sqlalchemy import text

from healthwise import create_app
from healthwise.extensions import db

EXTERNAL_URL = os.environ.get("TEST_DATABASE_URL")


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.execute(text("INSERT INTO sync_clock (id, value) VALUES (1, 0)"))
    db.session.commit()


@pytest.fixture(scope="session", autouse=True)
def fresh_external_schema():
    """Start a run on an external database from an empty schema (models may have changed)."""
    if EXTERNAL_URL:
        from tests.live import reset_database

        reset_database(EXTERNAL_URL)


@pytest.fixture
def database_url(tmp_path):
    """The database URL of one test: a new SQLite file, or the external database."""
    return EXTERNAL_URL or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        "DEMO_DATA": False,
    })
    with app.app_context():
        db.create_all()
        _empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


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
        district = district or District(name="North District")
        facility = Facility(name=name, district=district)
        db.session.add(facility)
        db.session.commit()
        return facility

    return make


@pytest.fixture
def make_token(app):
    """Return a callable that creates a device token for a facility and returns its secret."""
    from healthwise.devices.service import create_device_token

    def make(facility, name="test phone"):
        _, secret = create_device_token(facility.id, name)
        db.session.commit()
        return secret

    return make


@pytest.fixture
def make_workshop(app, make_user):
    """Return a callable that creates a workshop (and its practice facility) and returns it."""
    from datetime import date

    from healthwise.workshops.service import create_workshop

    def make(name="Mombasa training", trainer=None, starts_on=date(2026, 12, 1)):
        workshop = create_workshop(trainer or make_user("trainer"), name, starts_on)
        db.session.commit()
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
        user = User(email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.org",
                    password_hash=_default_password_hash(), role=role,
                    districts=list(districts))
        db.session.add(user)
        db.session.commit()
        return user

    return make


def sign_in(client, user) -> None:
    """Sign a test client in as ``user`` (a server-side session, as the sign-in page makes)."""
    from healthwise.auth.decorators import SESSION_KEY
    from healthwise.auth.service import start_session

    _, raw = start_session(user)
    db.session.commit()
    with client.session_transaction() as session:
        session[SESSION_KEY] = raw


def csrf_token(client) -> str:
    """Return the CSRF token of a test client's session, as a page would embed it."""
    from flask import g

    # Flask-WTF caches the token in ``g``, and the tests share one app context (one ``g``)
    # between clients and requests: drop it so the token is made from this client's session.
    g.pop("csrf_token", None)
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
